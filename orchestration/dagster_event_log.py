"""The home's Dagster event log: Dagster's own SQLite storage, keeping its connections.

Dagster's `SqliteEventLogStorage` creates a SQLAlchemy engine and opens a SQLite
connection for every statement it runs, and opens another one to check that a table
exists before many of them. One `smesurvey ingest` of 40 questionnaires stores about
900 events (every dbt model, seed and test is an asset or an asset check) and so
created about 3,800 engines (cProfile); keeping them saves about 6 s of its 40-45 s
of CPU (three alternating runs each way, `/usr/bin/time`).

Same files, same schema, same statements and transactions: this subclass keeps one
engine, holding one connection, per shard it uses (the cross-run index and the few
run shards in use; older ones are closed), and remembers the tables it has found.
Every use still runs under the storage's lock, as in Dagster's class, so one
connection is never used by two threads at once. The home's `dagster.yaml` names it
(orchestration/dagster_runs.py); orchestration/defs/dagster_storage.py reads the
same files.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    SQLITE_BUSY_TIMEOUT_SECONDS,
    SqliteEventLogStorage,
)
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import StaticPool

# The index shard and the run shards of the runs being written or read at the same
# time; a long-lived process (the UI) reads many runs and must not keep a file open each.
KEPT_SHARDS = 4
# Dagster's default event log folder under DAGSTER_HOME (dagster._core.instance.ref).
EVENT_LOG_FOLDER = Path("history", "runs")


def check_in_dagster_home(base_dir: Path) -> None:
    """Refuse a `dagster.yaml` left by a home that moved, when DAGSTER_HOME says which
    home this is (`dagster dev` by hand): its runs would be written into the old home."""
    dagster_home = os.environ.get("DAGSTER_HOME")
    if not dagster_home:
        return
    expected = (Path(dagster_home) / EVENT_LOG_FOLDER).resolve()
    if base_dir.resolve() != expected:
        raise ValueError(
            f"{Path(dagster_home) / 'dagster.yaml'}: its event log folder {base_dir} is not "
            f"this home's {expected} (the home moved?); any smesurvey command on the home "
            "rewrites the file"
        )


class KeptConnectionsEventLogStorage(SqliteEventLogStorage):
    """`SqliteEventLogStorage` that keeps one connection per recently used shard."""

    def __init__(self, base_dir: str, inst_data: Any = None) -> None:
        check_in_dagster_home(Path(base_dir))
        # Dagster's __init__ may already connect (a new index shard is indexed).
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._engines_pid = os.getpid()
        self._tables_found: set[str] = set()
        super().__init__(base_dir, inst_data)

    @classmethod
    def from_config_value(  # type: ignore[override]
        cls, inst_data: Any, config_value: dict[str, Any]
    ) -> KeptConnectionsEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            engine = self._engine(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def _engine(self, shard: str) -> Engine:
        """The shard's kept engine (most recently used last); opened, and the shard
        created, on first use. Called under the lock."""
        if self._engines_pid != os.getpid():
            # A forked child must not use its parent's SQLite connections: forget them.
            self._engines, self._engines_pid = OrderedDict(), os.getpid()
        engine = self._engines.pop(shard, None)
        if engine is None:
            engine = create_engine(
                self.conn_string_for_shard(shard),
                poolclass=StaticPool,
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
            )
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
        self._engines[shard] = engine
        while len(self._engines) > KEPT_SHARDS:
            _, oldest = self._engines.popitem(last=False)
            oldest.dispose()
        return engine

    def has_table(self, table_name: str) -> bool:
        # A table, once there, stays (only a migration adds one, never removes).
        if table_name in self._tables_found:
            return True
        found = super().has_table(table_name)
        if found:
            self._tables_found.add(table_name)
        return found

    def wipe(self) -> None:
        # Dagster's wipe deletes the shard files: no kept connection may outlive them.
        self._close_engines()
        super().wipe()

    def dispose(self) -> None:
        super().dispose()
        self._close_engines()

    def _close_engines(self) -> None:
        with self._db_lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()
