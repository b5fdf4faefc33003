"""Session fixture: one fixture build DB, built by dbt on DuckDB and on local Spark."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from orchestration.ingest.raw_parquet import export_all, raw_parquet_root
from tests.support.dbt_harness import dbt_env, run_dbt
from tests.support.fixture_raw import build


@dataclass(frozen=True)
class EngineBuilds:
    build_db: Path
    spark_warehouse: Path
    duckdb_output: str
    duckdb_returncode: int
    spark_output: str
    spark_returncode: int


def _build(
    target: str, env: dict[str, str], target_path: Path, only: tuple[str, ...] = ()
) -> tuple[int, str]:
    selection = [arg for kind in only for arg in ("--resource-type", kind)]
    # a whole Spark build (JVM start, one session, every unit test) takes about five
    # minutes on a busy two-core machine: more than the DuckDB builds' 300 s budget
    done = run_dbt(["build", "--target", target, *selection], env, target_path, timeout=900)
    return done.returncode, done.stdout + done.stderr


@pytest.fixture(scope="session")
def engine_builds(tmp_path_factory: pytest.TempPathFactory) -> EngineBuilds:
    root = tmp_path_factory.mktemp("parity")
    db = build(root / "build" / "build.duckdb")
    export_all(db)
    spark_dir = root / "spark"
    env = {
        **dbt_env(db),
        "SMESURVEY_RAW_PARQUET": str(raw_parquet_root(db)),
        "SMESURVEY_SPARK_DIR": str(spark_dir),
    }
    # dbt's tests on DuckDB run in tests/dbt; here DuckDB only builds, Spark builds and tests
    duck_rc, duck_out = _build("duckdb", env, root / "target_duckdb", ("seed", "model"))
    spark_rc, spark_out = _build("spark", env, root / "target_spark")
    return EngineBuilds(db, spark_dir / "warehouse", duck_out, duck_rc, spark_out, spark_rc)
