"""Storage failures become one line naming the path and the cause."""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

import duckdb
import pytest

from orchestration import storage
from orchestration.storage import NO_SPACE, storage_problem, storage_problem_in_text

HOME = Path("/srv/survey")


def test_os_error_names_its_file() -> None:
    exc = OSError(errno.ENOSPC, "No space left on device", "/srv/survey/landing/x.csv")
    assert storage_problem(exc, HOME) == (
        f"/srv/survey/landing/x.csv: {NO_SPACE}; free space, then run the same command again"
    )


def test_sqlite_error_through_a_wrapper_names_the_fallback() -> None:
    try:
        try:
            raise sqlite3.OperationalError("database or disk is full")
        except sqlite3.OperationalError as inner:
            raise RuntimeError("(sqlite3.OperationalError) database or disk is full") from inner
    except RuntimeError as exc:
        line = storage_problem(exc, HOME / "dagster")
    assert line is not None and line.startswith(f"/srv/survey/dagster: {NO_SPACE}")


def test_io_error_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(storage, "free_bytes", lambda path: 50 << 30)
    line = storage_problem_in_text("(sqlite3.OperationalError) disk I/O error", HOME)
    assert line == "/srv/survey: I/O error"


def test_sqlite_io_error_on_a_nearly_full_disk_is_no_space(monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite says "disk I/O error" when its write hits a full disk."""
    monkeypatch.setattr(storage, "free_bytes", lambda path: 4096)
    line = storage_problem_in_text("(sqlite3.OperationalError) disk I/O error", HOME)
    assert line is not None and line.startswith(f"/srv/survey: {NO_SPACE}")


def test_free_bytes_of_a_missing_path_is_measured_on_its_parent() -> None:
    assert storage.free_bytes(Path("/tmp/no/such/folder")) is not None


def test_duckdb_message_quoting_a_path() -> None:
    text = 'IO Error: Could not write file "/srv/survey/warehouse/build.duckdb": No space left'
    assert storage_problem_in_text(text, HOME) == (
        f"/srv/survey/warehouse/build.duckdb: {NO_SPACE}; free space, then run the same "
        "command again"
    )


def test_other_errors_are_not_storage_errors() -> None:
    assert storage_problem(ValueError("zone id 'x y': use letters"), HOME) is None
    with pytest.raises(duckdb.CatalogException) as caught:
        duckdb.connect().execute("select * from nowhere")
    assert storage_problem(caught.value, HOME) is None
