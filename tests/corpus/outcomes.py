"""What a corpus case must have left in its home, checked against the build DB, the landing
archive and the published files (tests/quality/test_corpus*.py)."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq

from orchestration.ingest.landing import landed_deliveries
from orchestration.ingest.load import published_message
from orchestration.settings import Home
from tests.corpus.build import ZONE, Case, Edit, load_cases
from tests.corpus.run import CaseRun

CASES = load_cases()
SLOW_CASES = [c for c in CASES if c.slow]
# Strings of the injection cases that must never reach a published file.
INJECTED = ("HYPERLINK", "cmd|", "<script")


def fmt(value: Any, case: Case, zone: str = ZONE) -> str:
    return str(value).format(wave=case.wave, next_wave=case.wave + 1, zone=zone)


def query(db: Path, sql: str, params: list[Any] | None = None) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tree_digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): sha256(p) for p in sorted(folder.rglob("*")) if p.is_file()}


# ---------------------------------------------------------------- assertions


def assert_accounting(build_db: Path) -> list[tuple]:
    """rows_read = rows_accepted + rows_rejected for every delivery, blocked ones too."""
    rows = query(
        build_db,
        "select delivery_id, status, rows_read, rows_accepted, rows_rejected, message "
        "from raw.deliveries",
    )
    assert rows, "no delivery recorded"
    for delivery_id, status, read, accepted, rejected, _ in rows:
        assert None not in (read, accepted, rejected), (delivery_id, status)
        assert read == accepted + rejected, (delivery_id, status, read, accepted, rejected)
    loaded = query(
        build_db,
        "select (select count(*) from raw.responses), "
        "(select coalesce(sum(rows_accepted), 0) from raw.deliveries where status = 'loaded')",
    )[0]
    assert loaded[0] == loaded[1], "raw.responses differs from the accepted rows of loaded"
    return rows


def assert_nothing_lost(home: Home, case: Case, run: CaseRun) -> None:
    """The landing archive holds exactly the delivered files, byte for byte."""
    landings = landed_deliveries(home, ZONE, case.filed_wave)
    assert len(landings) == 1
    landing = landings[0]
    assert sorted(p.name for p in landing.files) == sorted(run.files)
    for name, data in run.files.items():
        assert (landing.path / name).read_bytes() == data, name


def one_edit(run: CaseRun) -> Edit:
    assert len(run.edits) == 1, run.edits
    return run.edits[0]


def assert_blocked(case: Case, home: Home, run: CaseRun) -> None:
    message = run.message
    assert message is not None, f"{case.id}: loaded, expected blocked"
    assert "\n" not in message and message.strip() == message
    assert re.search(fmt(case.expect["message"], case), message), message
    (status, text, read, rejected) = query(
        home.build_db,
        "select status, message, rows_read, rows_rejected from raw.deliveries",
    )[0]
    assert (status, text) == ("blocked", published_message(message))
    assert read == rejected  # a blocked delivery loads nothing: every row read is rejected
    assert query(home.build_db, "select count(*) from raw.responses")[0][0] == 0


def assert_quarantined(case: Case, home: Home, run: CaseRun) -> None:
    assert run.message is None, f"{case.id}: blocked: {run.message}"
    expect = case.expect
    edit = one_edit(run)
    status, read, rejected = query(
        home.build_db, "select status, rows_read, rows_rejected from raw.deliveries"
    )[0]
    assert status == "loaded"
    assert rejected == expect.get("rows_rejected", 1) and rejected / read <= 0.05
    lines = query(
        home.build_db,
        "select source_file, source_row, value, reason from raw.rejected_rows "
        "where rule_id = ? and column_name = ?",
        [expect["rule"], expect["column"]],
    )
    hit = [line for line in lines if line[:2] == (edit.file, edit.row)]
    assert len(hit) == 1, lines
    if "value" in expect:
        assert hit[0][2] == fmt(expect["value"], case)
    assert hit[0][3] and "{" not in hit[0][3]  # a filled-in reason
    # The quarantined rows stay out of raw.responses, the others are loaded.
    kept = query(
        home.build_db,
        "select count(*) from raw.responses where source_file = ? and source_row = ?",
        [edit.file, edit.row],
    )[0][0]
    assert kept == 0
    assert query(home.build_db, "select count(*) from raw.responses")[0][0] == read - rejected


def stored_value(home: Home, column: str, edit: Edit) -> Any:
    rows = query(
        home.build_db,
        f'select "{column}" from raw.responses where source_file = ? and source_row = ?',
        [edit.file, edit.row],
    )
    assert len(rows) == 1, (edit, rows)
    return rows[0][0]


def assert_accepted(case: Case, home: Home, run: CaseRun) -> None:
    assert run.message is None, f"{case.id}: blocked: {run.message}"
    expect = case.expect
    status, read, rejected, files = query(
        home.build_db, "select status, rows_read, rows_rejected, files from raw.deliveries"
    )[0]
    assert status == "loaded" and rejected == expect.get("rows_rejected", 0)
    assert query(home.build_db, "select count(*) from raw.responses")[0][0] == read
    if "normalized" in expect:
        norm, edit = expect["normalized"], one_edit(run)
        logged = query(
            home.build_db,
            "select before, after from raw.normalizations where source_file = ? "
            "and source_row = ? and column_name = ? and rule = ?",
            [edit.file, edit.row, norm["column"], norm["rule"]],
        )
        assert logged == [(norm["before"], str(norm["after"]))]
        assert str(stored_value(home, norm["column"], edit)) == str(norm["after"])
    if expect.get("stored"):
        for edit in run.edits:
            assert stored_value(home, edit.column, edit) == edit.value
    if "unknown_columns" in expect:
        recorded = {c for f in json.loads(files) for c in f["unknown_columns"]}
        assert set(expect["unknown_columns"]) <= recorded
    if "modes" in expect:
        modes = query(home.build_db, 'select distinct "A12_mode" from raw.responses')
        assert {m for (m,) in modes} == set(expect["modes"])


def assert_refused(case: Case, home: Home, run: CaseRun) -> None:
    """Refused at admission: one line, nothing in the archive or the build DB, one log line."""
    message = run.message
    assert message is not None, f"{case.id}: admitted, expected refused"
    assert "\n" not in message and message.strip() == message
    assert re.search(fmt(case.expect["message"], case), message), message
    assert [p for p in home.landing.rglob("*") if p.is_file()] == []
    assert not home.build_db.exists()
    [line] = home.refusals_log.read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["reason"] == message


def published_text(home: Path) -> list[str]:
    """Every string cell of the analytics DB and the Parquet files."""
    texts: list[str] = []
    db = Home(home).analytics_db
    with duckdb.connect(str(db), read_only=True) as con:
        columns = con.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where data_type = 'VARCHAR'"
        ).fetchall()
        for schema, table, column in columns:
            rows = con.execute(f'select distinct "{column}" from "{schema}"."{table}"').fetchall()
            texts += [v for (v,) in rows if v is not None]
    for parquet in Home(home).parquet.rglob("*.parquet"):
        table = pq.read_table(parquet)
        for name in table.column_names:
            if str(table.schema.field(name).type) in ("string", "large_string"):
                texts += [v for v in table[name].to_pylist() if v is not None]
    return texts
