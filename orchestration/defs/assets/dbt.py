"""The dbt project as Dagster assets (dagster-dbt), loaded lazily.

Nothing here runs at import: `load_dbt_assets()` is called when the code location
loads (`orchestration.definitions.defs`), and only then is the manifest prepared
(`dbt parse`, about 5 s) if it is missing or older than the project's files.
"""

import importlib.metadata
import os
import shutil
import time
import uuid
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)
from packaging import version

from orchestration.dbt_command import DBT
from orchestration.dbt_state import PARTIAL_PARSE, keep_parse_state, prepare_run_target
from orchestration.defs.asset_checks import RAW_DELIVERY
from orchestration.defs.partitions import zone_wave_partitions
from orchestration.defs.progress import progress, seconds
from orchestration.defs.resources import BUILD_DB_POOL, SurveyHome, dbt_target_now
from orchestration.duckdb_memory import release_free_memory
from orchestration.faults import crash_point
from orchestration.pseudonym import PseudonymKeyError
from orchestration.settings import DBT_PRODUCTION_BUILD, DBT_PROJECT_DIR

RAW_SCHEMA = "raw"
LAYERS = ("staging", "intermediate", "marts")
MARTS_GROUP = "marts"
# Files whose change makes a prepared manifest stale.
PROJECT_SOURCES = ("models", "seeds", "macros", "snapshots", "tests", "analyses")
PROJECT_FILES = ("dbt_project.yml", "profiles.yml", "packages.yml", "dependencies.yml")


class SurveyDbtTranslator(DagsterDbtTranslator):
    """Sources in the raw schema are what `raw_delivery` writes; groups follow the model layers."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if (
            dbt_resource_props["resource_type"] == "source"
            and dbt_resource_props.get("schema") == RAW_SCHEMA
        ):
            return RAW_DELIVERY
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "seeds"
        layer = next((p for p in dbt_resource_props.get("fqn", []) if p in LAYERS), None)
        return layer or super().get_group_name(dbt_resource_props)


translator = SurveyDbtTranslator(
    # Several raw tables are one Dagster asset (raw_delivery writes them all). Raw data
    # is judged by the quality gate inside raw_delivery; dbt's source tests as checks
    # would start dbt in every ingestion run.
    settings=DagsterDbtTranslatorSettings(
        enable_duplicate_source_asset_keys=True, enable_source_tests_as_checks=False
    )
)


def dbt_project(project_dir: Path = DBT_PROJECT_DIR, target: str | None = None) -> DbtProject:
    """The project on the target SMESURVEY_DBT_TARGET names (default duckdb), unless given."""
    return _dbt_project(project_dir, target or dbt_target_now())


@cache
def _dbt_project(project_dir: Path, target: str) -> DbtProject:
    return DbtProject(project_dir=project_dir, profiles_dir=project_dir, target=target)


def manifest_is_stale(project: DbtProject) -> bool:
    manifest = project.manifest_path
    if not manifest.is_file():
        return True
    root = Path(project.project_dir)
    paths = [root / name for name in PROJECT_FILES if (root / name).is_file()]
    for folder in PROJECT_SOURCES:
        if (root / folder).is_dir():
            # Folders too: deleting or renaming a model changes only its folder's mtime.
            paths += [root / folder, *(root / folder).rglob("*")]
    newest = max((p.stat().st_mtime for p in paths), default=0.0)
    return newest > manifest.stat().st_mtime


def dbt_executable() -> str:
    """The project's dbt entry point beside this Python (dbt Core installed with it, whose
    version SurveyDbtCliResource reports), else dbt on PATH."""
    return str(DBT) if DBT.is_file() else (shutil.which("dbt") or str(DBT))


class SurveyDbtCliResource(DbtCliResource):
    """dagster-dbt's dbt resource without two costs it pays before every `dbt build`.

    Before starting dbt, `DbtCliResource.cli` runs `dbt --version` in a subprocess (to
    tell dbt Core from dbt Fusion) and imports dbt Core into this process to open an
    adapter, which serves only `fetch_column_metadata` and `fetch_row_counts`; together
    about 6 s of CPU per run (cProfile of `smesurvey ingest`), whatever the data size.
    This project runs the dbt Core installed beside it and fetches no metadata.
    """

    @property
    def _cli_version(self) -> version.Version:  # type: ignore[override]
        return version.parse(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:  # type: ignore[override]
        return None


def dbt_resource(project: DbtProject) -> DbtCliResource:
    return SurveyDbtCliResource(project_dir=project, dbt_executable=dbt_executable())


def parse_project(project: DbtProject) -> Path:
    """`dbt parse` into a private folder, then swap the manifest in (loads may run concurrently)."""
    target = Path(project.project_dir) / project.target_path
    scratch = target / f".parse-{uuid.uuid4().hex}"
    started = time.time()
    try:
        dbt_resource(project).cli(["parse", "--quiet"], target_path=scratch).wait()
        # Its parse state is not kept: it holds the pseudonym key of the home that parsed,
        # and each home keeps its own (orchestration/dbt_state.py). One left by an older
        # version goes too: dagster-dbt would copy it into run folders.
        (target / PARTIAL_PARSE).unlink(missing_ok=True)
        # Dated when the parse began: a file saved while dbt was parsing may be missing
        # from this manifest, and must still make it stale (manifest_is_stale).
        os.utime(scratch / "manifest.json", (started, started))
        os.replace(scratch / "manifest.json", project.manifest_path)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return project.manifest_path


def prepare_manifest(project: DbtProject, survey: SurveyHome) -> Path:
    """`dbt parse` only when the manifest is missing or older than the project's files.

    Not on every load under `dagster dev` (dagster-dbt's `prepare_if_dev`): every run
    worker inherits the dev flag and loads the code location, so each run would spend
    its first 5-40 s parsing; the staleness test already catches edits made while
    developing (reload the code location to pick them up).
    """
    if manifest_is_stale(project):
        with survey.dbt_environment():
            parse_project(project)
    return project.manifest_path


def build_dbt_assets(project: DbtProject) -> dg.AssetsDefinition:
    """The dbt models, seeds and tests (as asset checks) of a prepared project."""

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        name="warehouse_dbt",
        dagster_dbt_translator=translator,
        partitions_def=zone_wave_partitions,
        # A backfill of many zone-waves is one `dbt build`, not one per partition.
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool=BUILD_DB_POOL,
    )
    def warehouse_dbt(context: dg.AssetExecutionContext, dbt: DbtCliResource, survey: SurveyHome):
        # No --vars: the incremental models find the zone-waves to rebuild from the
        # stamps of the loaded data, and vars that change from run to run would make
        # dbt parse the whole project again on every run (seconds of fixed cost).
        args = list(DBT_PRODUCTION_BUILD)
        # every enterprise_key would change under another key: refuse before dbt starts
        # (Failure, not a trace: the UI and the CLI show the one line)
        try:
            survey.check_pseudonym_key()
        except PseudonymKeyError as exc:
            raise dg.Failure(description=str(exc), allow_retries=False) from exc
        # This process waits while dbt works, the two alive together: give back the
        # heap the ingestion freed (over 1 GB at 1,000,000 rows), kept by malloc otherwise.
        release_free_memory()
        started, built, total = time.perf_counter(), 0, len(context.selected_asset_keys)
        target = prepare_run_target(survey.paths.dbt_runs, context.run_id)
        with survey.dbt_environment():
            invocation = dbt.cli(args, context=context, target_path=target)
            for count, event in enumerate(invocation.stream(), start=1):
                yield event
                if count == 3:  # dbt is writing the build DB
                    crash_point("dbt")
                if isinstance(event, dg.Output | dg.AssetMaterialization):
                    # A line per model or seed as dbt finishes it: the longest step shows
                    # that it moves (in the run log, and on the CLI's stderr).
                    built += 1
                    progress(context.log, f"dbt {built}/{total} {model_line(event)}")
        keep_parse_state(target, survey.paths.dbt_runs)
        progress(context.log, f"dbt build {built} models and seeds {seconds(started)}")

    return warehouse_dbt


def model_line(event: dg.Output | dg.AssetMaterialization) -> str:
    """`<model> <seconds>` from a dagster-dbt event (its dbt node and execution time)."""
    meta = event.metadata
    unique_id = meta.get("unique_id")
    if unique_id is not None:
        name = str(unique_id.value).split(".")[-1]
    elif isinstance(event, dg.AssetMaterialization):
        name = event.asset_key.path[-1]
    else:
        name = event.output_name
    duration = meta.get("Execution Duration")
    return f"{name} {float(duration.value):.1f} s" if duration is not None else name


def mart_keys(dbt_defs: dg.AssetsDefinition) -> list[dg.AssetKey]:
    return sorted(k for k, g in dbt_defs.group_names_by_key.items() if g == MARTS_GROUP)


def blocking_check_keys(dbt_defs: dg.AssetsDefinition) -> list[dg.AssetCheckKey]:
    """dbt tests of severity error (dagster-dbt marks them blocking)."""
    return sorted((s.key for s in dbt_defs.check_specs if s.blocking), key=str)
