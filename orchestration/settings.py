"""Where things live: every path derives from SMESURVEY_HOME (default ./data)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"


@dataclass(frozen=True)
class Home:
    """The folders and files of one SMESURVEY_HOME."""

    root: Path

    @classmethod
    def from_env(cls, default: Path | str = "data") -> Home:
        return cls(Path(os.environ.get("SMESURVEY_HOME", default)).resolve())

    @property
    def inbox(self) -> Path:
        return self.root / "inbox"

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse"

    @property
    def build_db(self) -> Path:
        return self.warehouse / "build.duckdb"

    @property
    def analytics_db(self) -> Path:
        return self.warehouse / "analytics.duckdb"

    @property
    def parquet(self) -> Path:
        return self.warehouse / "parquet"

    @property
    def raw_parquet(self) -> Path:
        """The raw tables as Parquet by wave and zone (orchestration/ingest/raw_parquet.py)."""
        return self.warehouse / "raw_parquet"

    @property
    def spark(self) -> Path:
        """Local Spark session state: metastore, table warehouse, scratch (dbt target spark)."""
        return self.root / "spark"

    @property
    def zones_file(self) -> Path:
        """Zones registered beyond the reference ones (`smesurvey zones add`, `--new-zone`)."""
        return self.root / "zones.csv"

    @property
    def refusals(self) -> Path:
        """What admission refused; outside landing/, which only ever holds admitted files."""
        return self.root / "refusals"

    @property
    def refusals_log(self) -> Path:
        return self.refusals / "refusals.jsonl"

    @property
    def dashboards(self) -> Path:
        return self.root / "dashboards"

    @property
    def dagster_home(self) -> Path:
        return self.root / "dagster"

    @property
    def data_docs(self) -> Path:
        return self.root / "data_docs"

    def ensure(self) -> Home:
        for folder in (
            self.inbox,
            self.landing,
            self.warehouse,
            self.dashboards,
            self.dagster_home,
        ):
            folder.mkdir(parents=True, exist_ok=True)
        return self
