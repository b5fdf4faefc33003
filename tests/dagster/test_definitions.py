"""The code location: lazy import, pools, backfill policy, dbt tests as checks, validation."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import dagster as dg
import pytest

from orchestration.dagster_runs import home_instance
from orchestration.defs.asset_checks import ANALYTICS_DB, RAW_DELIVERY
from orchestration.defs.partitions import zone_wave_partitions
from orchestration.defs.resources import BUILD_DB_POOL
from orchestration.settings import DBT_PROJECT_DIR, PROJECT_ROOT, Home
from tests.support.timeouts import HANG_GUARD

needs_dbt_project = pytest.mark.skipif(
    not (DBT_PROJECT_DIR / "dbt_project.yml").is_file(), reason="dbt_project/ not present"
)

IMPORT_PROBE = textwrap.dedent(
    """
    import json, subprocess, sys, time
    spawned = []
    original = subprocess.Popen.__init__
    def spy(self, args, *a, **k):
        spawned.append(str(args))
        return original(self, args, *a, **k)
    subprocess.Popen.__init__ = spy
    started = time.perf_counter()
    import orchestration.definitions as module
    print(json.dumps({
        "seconds": time.perf_counter() - started,
        "spawned": spawned,
        "dbt_loaded": "dbt.cli.main" in sys.modules,
        "defs_type": type(module.defs).__name__,
    }))
    """
)


def test_import_runs_no_dbt(tmp_path: Path) -> None:
    manifest = DBT_PROJECT_DIR / "target" / "manifest.json"
    before = manifest.stat().st_mtime if manifest.exists() else None
    # Even under `dagster dev` (which prepares the manifest on load) import must not parse.
    env = {**os.environ, "DAGSTER_IS_DEV_CLI": "1", "DAGSTER_HOME": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", IMPORT_PROBE],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=HANG_GUARD,
    )
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert not [c for c in report["spawned"] if "dbt" in c]
    assert not report["dbt_loaded"]
    assert report["defs_type"] == "LazyDefinitions"
    after = manifest.stat().st_mtime if manifest.exists() else None
    assert after == before


@pytest.fixture(scope="module")
def defs() -> dg.Definitions:
    from orchestration.definitions import build_definitions

    return build_definitions()


def assets_by_key(defs: dg.Definitions) -> dict[dg.AssetKey, dg.AssetsDefinition]:
    graph = defs.resolve_asset_graph()
    return {key: graph.get(key).assets_def for key in graph.get_all_asset_keys()}


@needs_dbt_project
def test_every_build_db_writer_shares_one_pool(defs: dg.Definitions) -> None:
    by_key = assets_by_key(defs)
    dbt_def = next(a for a in by_key.values() if a.op.name == "warehouse_dbt")
    for asset in (by_key[RAW_DELIVERY], dbt_def, by_key[ANALYTICS_DB]):
        assert asset.op.pool == BUILD_DB_POOL


@needs_dbt_project
def test_partitions_and_backfill_policies(defs: dg.Definitions) -> None:
    by_key = assets_by_key(defs)
    dbt_def = next(a for a in by_key.values() if a.op.name == "warehouse_dbt")
    assert by_key[RAW_DELIVERY].partitions_def == zone_wave_partitions
    assert dbt_def.partitions_def == zone_wave_partitions
    assert dbt_def.backfill_policy == dg.BackfillPolicy.single_run()
    # Same policy as dbt: a backfill loads and builds in one run (tests/service proves it).
    assert by_key[RAW_DELIVERY].backfill_policy == dg.BackfillPolicy.single_run()
    assert by_key[ANALYTICS_DB].partitions_def is None


@needs_dbt_project
def test_dbt_tests_are_checks_and_publish_follows_every_mart(defs: dg.Definitions) -> None:
    by_key = assets_by_key(defs)
    dbt_def = next(a for a in by_key.values() if a.op.name == "warehouse_dbt")
    specs = list(dbt_def.check_specs)
    assert specs and any(s.blocking for s in specs)
    marts = {k for k, g in dbt_def.group_names_by_key.items() if g == "marts"}
    assert marts
    graph = defs.resolve_asset_graph()
    assert marts <= set(graph.get(ANALYTICS_DB).parent_keys)
    assert RAW_DELIVERY in {p for k in dbt_def.keys for p in graph.get(k).parent_keys}


@needs_dbt_project
def test_jobs_sensor_schedule(defs: dg.Definitions) -> None:
    assert defs.resolve_job_def("ingest_zone_wave") is not None
    assert defs.resolve_job_def("rebuild_all") is not None
    assert defs.resolve_sensor_def("inbox_sensor").job_name == "ingest_zone_wave"
    assert defs.resolve_schedule_def("yearly_current_wave").job_name == "ingest_zone_wave"


def test_home_instance_limits_every_pool_to_one(tmp_path: Path) -> None:
    with home_instance(Home(tmp_path)) as instance:
        assert instance.get_concurrency_config().pool_config.default_pool_limit == 1
    assert (tmp_path / "dagster" / "dagster.yaml").is_file()


@needs_dbt_project
@pytest.mark.slow
def test_dagster_definitions_validate(tmp_path: Path) -> None:
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path), "SMESURVEY_HOME": str(tmp_path / "h")}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "dagster",
            "definitions",
            "validate",
            "-m",
            "orchestration.definitions",
        ],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Validation successful" in result.stderr + result.stdout
