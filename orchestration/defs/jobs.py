"""Jobs: one zone-wave end to end, and the warehouse rebuilt from the raw schema."""

from __future__ import annotations

import dagster as dg

from orchestration.defs.checks import RAW_DELIVERY

# Land + load one delivery, dbt build, publish (a release with its dashboards).
# Targeted by the inbox sensor and the yearly schedule, one partition (zone-wave) per run.
ingest_zone_wave = dg.define_asset_job(
    "ingest_zone_wave",
    selection=dg.AssetSelection.all(),
    description="One zone-wave end to end: load the delivery, dbt build, publish a release.",
)

# Everything downstream of the raw schema. Launched over many partitions it is one
# run (the dbt assets' single-run backfill policy): one dbt build, one publish.
rebuild_all = dg.define_asset_job(
    "rebuild_all",
    selection=dg.AssetSelection.all() - dg.AssetSelection.assets(RAW_DELIVERY),
    description="Rebuild the warehouse from the raw schema (one dbt build), publish a release.",
)
