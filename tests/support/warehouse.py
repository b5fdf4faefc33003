"""The fixture warehouse: the synthetic raw build DB (fixture_raw), a few quarantined
rows, its raw Parquet mirror, then one real `dbt build` (models, data and unit tests).

Built once per session (tests/support/shared.py) and read by tests/dbt (the marts),
tests/dashboards (published, then the site) and tests/spark (the DuckDB side of the
parity check; Spark builds from the raw Parquet mirror). Read-only: a test that
changes it works on a copy.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from orchestration.ingest.raw_parquet import export_all
from tests.support.dbt_harness import DbtBuild, dbt_env, run_dbt
from tests.support.fixture_raw import build
from tests.support.shared import built_once

# rows quarantined per delivery below (source_row <= 5)
QUARANTINED_DELIVERIES = ("SH-01-2021-a", "Z08-01-2022-a")


def add_rejected_rows(build_db: Path) -> None:
    """Quarantine a few rows in raw.rejected_rows (as the quality gate would) before dbt runs,
    so marts.fct_rejected_rules has something to show: the raw fixture rejects nothing."""
    with duckdb.connect(str(build_db)) as con:
        con.execute(
            """
            insert into raw.rejected_rows by name
            select delivery_id, zone_id, wave_id, source_file, source_row,
                   case when source_row % 2 = 0 then 'codes_in_codebook' else 'skip_rule_C5' end
                       as rule_id,
                   'B3_cloud' as column_name, 'x' as value, 'test fixture' as reason
            from raw.responses
            where list_contains($deliveries, delivery_id) and source_row <= 5
            """,
            {"deliveries": list(QUARANTINED_DELIVERIES)},
        )


def _build(folder: Path) -> None:
    db = build(folder / "build.duckdb")
    add_rejected_rows(db)
    export_all(db)  # the raw Parquet mirror Spark's sources read (tests/spark)
    done = run_dbt(["build"], dbt_env(db), folder / "target")
    (folder / "dbt-output.txt").write_text(done.stdout + done.stderr, encoding="utf-8")
    (folder / "dbt-returncode.txt").write_text(str(done.returncode), encoding="utf-8")


def fixture_warehouse(tmp_path_factory: pytest.TempPathFactory) -> DbtBuild:
    folder = built_once(tmp_path_factory, "warehouse", _build)
    db, target = folder / "build.duckdb", folder / "target"
    results_path = target / "run_results.json"
    results = json.loads(results_path.read_text()) if results_path.exists() else {}
    return DbtBuild(
        db,
        int((folder / "dbt-returncode.txt").read_text()),
        (folder / "dbt-output.txt").read_text(encoding="utf-8"),
        results,
        dbt_env(db),
        target,
    )
