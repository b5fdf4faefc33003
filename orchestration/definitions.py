"""The Dagster code location `smesurvey` (pyproject `[tool.dagster] module_name`).

`defs` is a lazy definitions function: importing this module builds nothing and
runs no dbt. Dagster calls it when it loads the code location, which is when the
dbt manifest is prepared (`dbt parse`, only if missing or older than the dbt
project's files) and the dbt assets are built from it.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from orchestration.settings import DBT_PROJECT_DIR


def build_definitions(dbt_project_dir: Path = DBT_PROJECT_DIR) -> dg.Definitions:

    from orchestration.defs.asset_checks import build_downstream_checks, check_keys, checked_assets
    from orchestration.defs.assets.dbt import (
        blocking_check_keys,
        build_dbt_assets,
        dbt_project,
        dbt_resource,
        mart_keys,
        prepare_manifest,
    )
    from orchestration.defs.assets.ingestion import raw_delivery
    from orchestration.defs.assets.publish import build_analytics_db_asset, no_restricted_columns
    from orchestration.defs.jobs import ingest_zone_wave, rebuild_all
    from orchestration.defs.resources import survey_home_from_env, survey_home_now
    from orchestration.defs.schedules import yearly_current_wave
    from orchestration.defs.sensors import inbox_sensor

    project = dbt_project(dbt_project_dir)
    prepare_manifest(project, survey_home_now())
    warehouse_dbt = build_dbt_assets(project)
    suites = build_downstream_checks(warehouse_dbt)
    analytics_db = build_analytics_db_asset(
        mart_keys(warehouse_dbt),
        [*blocking_check_keys(warehouse_dbt), *check_keys(suites)],
        gated_by=checked_assets(suites),
    )
    return dg.Definitions(
        assets=[raw_delivery, warehouse_dbt, analytics_db],
        asset_checks=[no_restricted_columns, *suites],
        jobs=[ingest_zone_wave, rebuild_all],
        schedules=[yearly_current_wave],
        sensors=[inbox_sensor],
        resources={"survey": survey_home_from_env(), "dbt": dbt_resource(project)},
        # Steps form one chain through the build DB: processes per step would only add
        # start-up time, and a single process never races itself for the file lock.
        executor=dg.in_process_executor,
    )


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions()
