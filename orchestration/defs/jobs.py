"""Jobs: one zone-wave end to end, and the warehouse rebuilt from the raw schema."""

from __future__ import annotations

import dagster as dg

from orchestration.defs.asset_checks import RAW_DELIVERY
from orchestration.defs.progress import step_done, step_failed

# A line per step as it ends, in the run log (and on the CLI's stderr): see progress.py.
PROGRESS_HOOKS = {step_done, step_failed}

# Land + load the deliveries of one drop, dbt build, publish (a release with its
# dashboards). Targeted by the inbox sensor, the yearly schedule and the CLI: one run per
# drop, over one partition (zone-wave) or a range holding the drop (drops.py).
ingest_zone_wave = dg.define_asset_job(
    "ingest_zone_wave",
    selection=dg.AssetSelection.all(),
    description="The zone-waves of one drop end to end: load each delivery (a refused one "
    "does not stop the others), one dbt build, publish a release.",
    hooks=PROGRESS_HOOKS,
)

# Everything downstream of the raw schema. Launched over many partitions it is one
# run (the dbt assets' single-run backfill policy): one dbt build, one publish.
rebuild_all = dg.define_asset_job(
    "rebuild_all",
    selection=dg.AssetSelection.all() - dg.AssetSelection.assets(RAW_DELIVERY),
    description="Rebuild the warehouse from the raw schema (one dbt build), publish a release.",
    hooks=PROGRESS_HOOKS,
)
