"""Session fixture: the fixture warehouse (built by dbt on DuckDB, shared with tests/dbt
and tests/dashboards) and the same dbt project built on local Spark from its raw Parquet
mirror."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from orchestration.ingest.raw_parquet import raw_parquet_root
from tests.support.dbt_harness import DbtBuild, dbt_env, run_dbt


@dataclass(frozen=True)
class EngineBuilds:
    build_db: Path
    spark_warehouse: Path
    duckdb_output: str
    duckdb_returncode: int
    spark_output: str
    spark_returncode: int


@pytest.fixture(scope="session")
def engine_builds(
    fixture_warehouse: DbtBuild, tmp_path_factory: pytest.TempPathFactory
) -> EngineBuilds:
    db = fixture_warehouse.db  # read only: Spark reads its raw Parquet mirror
    root = tmp_path_factory.mktemp("parity")
    spark_dir = root / "spark"
    env = {
        **dbt_env(db),
        "SMESURVEY_RAW_PARQUET": str(raw_parquet_root(db)),
        "SMESURVEY_SPARK_DIR": str(spark_dir),
        # Planning-bound (a few hundred rows): compiling each plan and expression to
        # Java costs more than it saves, so do a parallel collector's threads and more
        # than one task per shuffle (docs/scale-out.md, Parity).
        "SMESURVEY_SPARK_CODEGEN": "false",
        "SMESURVEY_SPARK_JAVA_OPTIONS": "-XX:+UseSerialGC",
        "SMESURVEY_SPARK_SHUFFLE_PARTITIONS": "1",
    }
    # JVM start, one session, every seed and model, and the unit tests (hand-worked cases
    # the fixture data does not reach, such as a converged raking). Not the data tests:
    # every table Spark builds is compared with DuckDB's, row by row, and DuckDB's pass
    # them (test_every_table_is_identical); run on Spark too they cost minutes.
    args = ["build", "--target", "spark", "--exclude-resource-type", "test"]
    done = run_dbt(args, env, root / "target_spark")
    return EngineBuilds(
        db,
        spark_dir / "warehouse",
        fixture_warehouse.output,
        fixture_warehouse.returncode,
        done.stdout + done.stderr,
        done.returncode,
    )
