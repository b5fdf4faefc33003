"""DuckDB's memory in this project: one bound for every connection, set here.

DuckDB takes 80% of the machine's RAM by default and keeps what it freed. A run is
one process (Dagster's, holding the ingestion's connections and the checks') plus
the `dbt build` it starts, alive at the same time, so both get the same bound:
`SMESURVEY_DUCKDB_MEMORY` (a DuckDB size: `2GB`, `1500MB`), by default a quarter of
the machine's RAM, at most 3 GB. The orchestration hands the value to dbt
(`resources.SurveyHome.dbt_env`, read by `dbt_project/profiles.yml`).

Beyond the bound DuckDB spills to disk: a file database (the build DB) to
`<file>.tmp` beside it (DuckDB's default, inside the home's owner-only `build/`),
an in-memory one to a folder of its own under the home's `build/spill/` while
`spill_under` is in effect (the ingestion of `pipeline.py`): never to DuckDB's
default `.tmp` in the working directory, since the rows are restricted.

`release_free_memory` hands the heap's free pages back to the operating system:
glibc keeps what DuckDB and Arrow freed (over 1 GB after a 1,000,000-row
ingestion), which the run process would otherwise hold while dbt runs.
"""

from __future__ import annotations

import ctypes
import gc
import os
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path

import duckdb

MEMORY_ENV = "SMESURVEY_DUCKDB_MEMORY"
DEFAULT_MAX_MB = 3000  # the default's cap: "3GB" in DuckDB's units (10^9 bytes)
RAM_SHARE = 4  # the default: a quarter of the machine's RAM, up to the cap
MIN_MB = 256
_SIZE = re.compile(r"\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)", re.IGNORECASE)

_spill_root: ContextVar[Path | None] = ContextVar("duckdb_spill_root", default=None)


def memory_limit() -> str:
    """DuckDB's `memory_limit` for every connection: SMESURVEY_DUCKDB_MEMORY, else sized
    from the machine (a quarter of its RAM, at least 256 MB, at most 3 GB)."""
    value = os.environ.get(MEMORY_ENV, "").strip()
    if value:
        if not _SIZE.fullmatch(value):
            raise ValueError(f"{MEMORY_ENV}={value!r}: not a size such as 2GB or 1500MB")
        return value
    ram_mb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 10**6
    return f"{max(MIN_MB, min(DEFAULT_MAX_MB, ram_mb // RAM_SHARE))}MB"


@contextmanager
def spill_under(folder: Path) -> Iterator[None]:
    """In-memory connections opened in this block spill under `folder` (created owner-only)."""
    folder.mkdir(mode=0o700, exist_ok=True)
    token = _spill_root.set(folder)
    try:
        yield
    finally:
        _spill_root.reset(token)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def connect(
    database: Path | str | None = None, *, read_only: bool = False
) -> duckdb.DuckDBPyConnection:
    """`duckdb.connect` with the project's memory bound (None: an in-memory database).

    Set with SET, not as connection config: DuckDB refuses a second connection to a
    file opened with another config, and some callers open the build DB twice.
    """
    if database is None:
        con = duckdb.connect()
        root = _spill_root.get()
        if root is not None:
            # A folder per database: DuckDB creates it when it first spills and removes
            # it, with every temp file in it, when the database closes.
            con.execute(f"SET temp_directory = {_literal(str(root / uuid.uuid4().hex))}")
    else:
        con = duckdb.connect(str(database), read_only=read_only)
    try:
        con.execute(f"SET memory_limit = {_literal(memory_limit())}")
    except BaseException:
        con.close()
        raise
    return con


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL(None).malloc_trim  # glibc; absent on macOS and musl
    except (AttributeError, OSError):
        return None


def release_free_memory() -> bool:
    """Return the heap's free memory to the OS (glibc `malloc_trim`); False where unavailable.

    Objects still referenced keep their memory: this gives back only what was freed.
    """
    gc.collect()
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
