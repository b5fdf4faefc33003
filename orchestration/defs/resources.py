"""Resources, configured from the environment.

`SMESURVEY_HOME` (default `./data`) locates everything; the build DB path is
derived from it and handed to dbt as `SMESURVEY_BUILD_DB`. The key of the enterprise
pseudonym is the home's own (generated on first use, orchestration/pseudonym.py)
unless `SMESURVEY_PSEUDONYM_KEY` overrides it; either way it reaches dbt as that
variable. There is no default key: a published one would let anyone re-identify
enterprises from their (public) USCCs.
`SMESURVEY_DBT_TARGET` (default `duckdb`) picks the dbt target, i.e. the engine the
models run on: `duckdb`, `spark` (local session) or `spark_thrift` (a cluster); see
docs/scale-out.md.
`SMESURVEY_DUCKDB_MEMORY` bounds DuckDB, in this process and in dbt's
(orchestration/duckdb_memory.py).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg

from orchestration.duckdb_memory import MEMORY_ENV, memory_limit
from orchestration.pseudonym import KEY_ENV, PseudonymKey, check_key_unchanged, resolve_key
from orchestration.settings import Home

HOME_ENV = "SMESURVEY_HOME"
BUILD_DB_ENV = "SMESURVEY_BUILD_DB"
PSEUDONYM_KEY_ENV = KEY_ENV
DEFAULT_HOME = "data"
DBT_TARGET_ENV = "SMESURVEY_DBT_TARGET"
DEFAULT_DBT_TARGET = "duckdb"
DBT_TARGETS = ("duckdb", "spark", "spark_thrift")  # outputs of dbt_project/profiles.yml
RAW_PARQUET_ENV = "SMESURVEY_RAW_PARQUET"
SPARK_DIR_ENV = "SMESURVEY_SPARK_DIR"
# Every step that opens the build DB read-write (or read-only while others may write)
# claims a slot of this pool; the instance limits each pool to one slot.
BUILD_DB_POOL = "build_db"


class SurveyHome(dg.ConfigurableResource):
    """Where the deliveries, the warehouse and the dashboards of this installation live."""

    home: str = DEFAULT_HOME
    # "" = the home's key file; set (from SMESURVEY_PSEUDONYM_KEY) it overrides the file.
    pseudonym_key: str = ""
    dbt_target: str = DEFAULT_DBT_TARGET

    @property
    def paths(self) -> Home:
        return Home(Path(self.home).resolve())

    @property
    def target(self) -> str:
        if self.dbt_target not in DBT_TARGETS:
            raise ValueError(
                f"{DBT_TARGET_ENV}={self.dbt_target!r}: not a dbt target of "
                f"dbt_project/profiles.yml ({', '.join(DBT_TARGETS)})"
            )
        return self.dbt_target

    def spark_marts(self) -> Path | None:
        """Where publish reads the marts: None for the build DB (target duckdb), else the
        marts folder of the local Spark warehouse (`publish_release(spark_marts=...)`)."""
        if self.target == "duckdb":
            return None
        if self.target == "spark_thrift":
            # the cluster's warehouse is not a local folder: see docs/scale-out.md
            raise ValueError(
                f"{DBT_TARGET_ENV}=spark_thrift: publish reads local marts only; copy the "
                "cluster's marts Parquet locally and publish with spark_marts=<folder>"
            )
        return self.paths.spark / "warehouse" / "marts.db"

    def pseudonym(self) -> PseudonymKey:
        """The key dbt hashes USCCs with (validated; the home's file is created on first use)."""
        return resolve_key(self.paths, self.pseudonym_key)

    def check_pseudonym_key(self) -> None:
        """Before a build: refuse a key other than the one the warehouse was built with."""
        check_key_unchanged(self.paths, self.pseudonym())

    def dbt_env(self) -> dict[str, str]:
        """What the dbt project reads from the environment (profiles.yml and the pseudonym)."""
        paths = self.paths
        return {
            HOME_ENV: str(paths.root),
            BUILD_DB_ENV: str(paths.build_db),
            PSEUDONYM_KEY_ENV: self.pseudonym().value,
            # the Spark targets' sources and the local session's state
            RAW_PARQUET_ENV: str(paths.raw_parquet),
            SPARK_DIR_ENV: str(paths.spark),
            # dbt's DuckDB gets the bound of the run's own connections (profiles.yml)
            MEMORY_ENV: memory_limit(),
        }

    @contextmanager
    def dbt_environment(self) -> Iterator[None]:
        """Expose `dbt_env()` to dbt, which inherits this process's environment, then restore it."""
        with environment(self.dbt_env()):
            self.paths.ensure()
            yield


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables for the duration of a block (dbt has no other input for them)."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, old in saved.items():
            if old is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = old


def _from_env(name: str, default: str) -> str | dg.EnvVar:
    """An EnvVar (shown as such in the UI) when set, else the default."""
    return dg.EnvVar(name) if os.environ.get(name) else default


def survey_home_from_env() -> SurveyHome:
    return SurveyHome(
        home=_from_env(HOME_ENV, DEFAULT_HOME),
        pseudonym_key=_from_env(PSEUDONYM_KEY_ENV, ""),
        dbt_target=_from_env(DBT_TARGET_ENV, DEFAULT_DBT_TARGET),
    )


def survey_home_now() -> SurveyHome:
    """The same settings with the values read now, for work at load time (outside any run)."""
    return SurveyHome(
        home=os.environ.get(HOME_ENV) or DEFAULT_HOME,
        pseudonym_key=os.environ.get(PSEUDONYM_KEY_ENV, ""),
        dbt_target=os.environ.get(DBT_TARGET_ENV) or DEFAULT_DBT_TARGET,
    )


def dbt_target_now() -> str:
    """The dbt target configured for this process (validated)."""
    return survey_home_now().target
