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
    def releases(self) -> Path:
        """Every kept publication, one folder each: `releases/000001/`... (release.py)."""
        return self.warehouse / "releases"

    @property
    def current(self) -> Path:
        """The published release: a symlink `current -> releases/<id>`, switched atomically."""
        return self.warehouse / "current"

    @property
    def analytics_db(self) -> Path:
        # Through the symlink: whoever opens this path gets one whole release.
        return self.current / "analytics.duckdb"

    @property
    def parquet(self) -> Path:
        return self.current / "parquet"

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
        """The static site of the current release (built with it, never changed afterwards)."""
        return self.current / "dashboards"

    @property
    def dagster_home(self) -> Path:
        return self.root / "dagster"

    @property
    def data_docs(self) -> Path:
        return self.root / "data_docs"

    @property
    def secrets(self) -> Path:
        """Owner-only (0700), outside warehouse/ and dagster/: those are shared and copied."""
        return self.root / "secrets"

    @property
    def pseudonym_key_file(self) -> Path:
        """The key of the enterprise pseudonyms (orchestration/pseudonym.py), 0600."""
        return self.secrets / "pseudonym.key"

    @property
    def pseudonym_fingerprint_file(self) -> Path:
        """The fingerprint of the key the warehouse was built with (never the key)."""
        return self.secrets / "pseudonym.fingerprint"

    def ensure(self) -> Home:
        for folder in (
            self.inbox,
            self.landing,
            self.warehouse,
            # Not `current` or its dashboards: only a publish creates them.
            self.releases,
            self.dagster_home,
        ):
            folder.mkdir(parents=True, exist_ok=True)
        return self
