"""Where things live: every path derives from SMESURVEY_HOME (default ./data).

Restricted data (identifying answers, the key, what reveals them) lives in
owner-only folders; `warehouse/` holds only what analysts may read (the
releases). The table of who may read what is in docs/operations.md.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Owner only: what a process creates is private unless published on purpose
# (orchestration/release.py makes each release readable explicitly).
PRIVATE_UMASK = 0o077
PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
# The production `dbt build` (Dagster's warehouse_dbt, and the bench that times it).
# dbt's unit tests check model logic on fixed inputs, not the loaded data, so they
# run in CI (tests/dbt's own `dbt build`), not in every ingestion run. Without dbt's
# JSON artifacts: Dagster takes every result from dbt's event stream, and serializing
# manifest.json and run_results.json cost about 2.5 s of CPU per build whatever the
# data size (a 257-node build of the dbt fixture: 11.1 s -> 7.9 s); the partial-parse
# state is still written.
DBT_PRODUCTION_BUILD = ("build", "--exclude-resource-type", "unit_test", "--no-write-json")
# What the bench adds to read dbt's node timings (run_results.json) afterwards.
DBT_WRITE_ARTIFACTS = ("--write-json",)


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
    def build(self) -> Path:
        """Restricted: the build DB and its raw Parquet mirror (USCC, names, contacts)."""
        return self.root / "build"

    @property
    def build_db(self) -> Path:
        return self.build / "build.duckdb"

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
    def public(self) -> Path:
        """The public product of the current release: aggregate tables only (public_release.py)."""
        return self.current / "public"

    @property
    def dbt_runs(self) -> Path:
        """Restricted: the dbt target folder of the latest build (artifacts, dbt.log) and
        dbt's saved parse state, which holds the pseudonym key (orchestration/dbt_state.py)."""
        return self.build / "dbt"

    @property
    def duckdb_spill(self) -> Path:
        """Restricted: where in-memory DuckDB databases spill beyond their memory limit
        (orchestration/duckdb_memory.py); the build DB spills to `build.duckdb.tmp`."""
        return self.build / "spill"

    @property
    def raw_parquet(self) -> Path:
        """The raw tables as Parquet by wave and zone (orchestration/ingest/raw_parquet.py)."""
        return self.build / "raw_parquet"

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

    @property
    def restricted_folders(self) -> tuple[Path, ...]:
        """Owner-only folders (0700): raw deliveries, the build, offending values, run logs."""
        return (
            self.inbox,
            self.landing,
            self.build,
            self.refusals,
            self.data_docs,
            self.dagster_home,
            self.secrets,
        )

    def ensure(self) -> Home:
        """Create the folders; restricted ones owner-only, also when they already existed."""
        self.root.mkdir(parents=True, exist_ok=True)
        self._move_legacy_build()
        for folder in self.restricted_folders:
            folder.mkdir(mode=PRIVATE_DIR, exist_ok=True)
            if folder.stat().st_mode & 0o777 != PRIVATE_DIR:
                folder.chmod(PRIVATE_DIR)
        if self.spark.is_dir():  # local Spark state holds copies of the raw tables
            self.spark.chmod(PRIVATE_DIR)
        if self.build_db.is_file():
            self.build_db.chmod(PRIVATE_FILE)
        # Not `current` or its dashboards: only a publish creates them.
        self.releases.mkdir(parents=True, exist_ok=True)
        return self

    def _move_legacy_build(self) -> None:
        """Homes made before build/ kept the build DB and raw mirror inside warehouse/,
        which analysts read: move them out (same filesystem, so a rename)."""
        for name in ("build.duckdb", "build.duckdb.wal", "raw_parquet"):
            legacy, target = self.warehouse / name, self.build / name
            if legacy.exists() and not target.exists():
                self.build.mkdir(mode=PRIVATE_DIR, exist_ok=True)
                legacy.rename(target)
