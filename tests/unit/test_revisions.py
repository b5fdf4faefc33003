"""Revisions between two releases' public tables, on hand-made `public/` folders."""

from __future__ import annotations

import codecs
import csv
import io
import json
from pathlib import Path
from typing import Any

import duckdb

from orchestration.revisions import (
    PUBLIC_CODEBOOK,
    PUBLIC_DIR_NAME,
    REVISIONS_CSV,
    REVISIONS_PARQUET,
    new_deliveries,
    write_revisions,
)

KEYS = ["wave_id", "zone_id", "indicator_id"]
VALUES = ["estimate", "n_base"]
COLUMNS = "wave_id, zone_id, indicator_id, estimate, n_base, suppressed"
OLD_ROWS = [
    (2020, "SH-01", "i1", 0.5, 10, False),  # unchanged (but for noise in the last bits)
    (2020, "SH-01", "i2", 0.3, 10, False),  # estimate revised
    (2020, "JS-01", "i1", 0.4, 8, False),  # suppressed in the new release
    (2020, "JS-01", "i2", None, None, True),  # unsuppressed in the new release
    (2020, "ALL", "i1", 0.45, 18, False),  # pooled: revised
    (2019, "SH-01", "i1", 0.1, 9, False),  # removed
]
NEW_ROWS = [
    (2020, "SH-01", "i1", 0.5 + 1e-15, 10, False),
    (2020, "SH-01", "i2", 0.35, 10, False),
    (2020, "JS-01", "i1", None, None, True),
    (2020, "JS-01", "i2", 0.2, 6, False),
    (2020, "ALL", "i1", 0.46, 18, False),
    (2021, "上海-01", "i1", 0.7, 12, False),  # added, in a zone named in Chinese
]
DELIVERIES = [
    {"delivery_id": "d-old", "zone_id": "SH-01", "wave_id": 2019, "files": []},
    {"delivery_id": "d-sh", "zone_id": "SH-01", "wave_id": 2020, "files": []},
    {"delivery_id": "d-js", "zone_id": "JS-01", "wave_id": 2020, "files": []},
    {"delivery_id": "d-21", "zone_id": "上海-01", "wave_id": 2021, "files": []},
]


def sql_value(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, float):
        return f"{value!r}::DOUBLE"  # as the marts hold figures (a literal would be DECIMAL)
    return repr(value)


def make_public(release: Path, tables: dict[str, tuple[list[str], list[str], str, list]]) -> Path:
    """`release/public/` per the contract: <table>.parquet and codebook.json.

    tables: name -> (keys, values, column names, rows)."""
    public = release / PUBLIC_DIR_NAME
    public.mkdir(parents=True)
    codebook: dict[str, Any] = {"tables": {}}
    with duckdb.connect() as con:
        for name, (keys, values, columns, rows) in tables.items():
            literal = ", ".join("(" + ", ".join(sql_value(v) for v in row) + ")" for row in rows)
            con.execute(
                f"COPY (SELECT * FROM (VALUES {literal}) t({columns})) "
                f"TO '{public / f'{name}.parquet'}' (FORMAT parquet)"
            )
            codebook["tables"][name] = {
                "description": name,
                "keys": keys,
                "values": values,
                "columns": {},
            }
    (public / PUBLIC_CODEBOOK).write_text(json.dumps(codebook), encoding="utf-8")
    return release


def revisions_of(release: Path) -> list[dict[str, Any]]:
    with duckdb.connect() as con:
        cursor = con.execute(f"select * from read_parquet('{release / REVISIONS_PARQUET}')")
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def by_key(rows: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(json.dumps(json.loads(r["key"]), sort_keys=True), r["column_name"]): r for r in rows}


def key(wave: int, zone: str, indicator: str) -> str:
    return json.dumps({"wave_id": wave, "zone_id": zone, "indicator_id": indicator}, sort_keys=True)


def test_every_changed_figure_with_its_kind_and_deliveries(tmp_path: Path) -> None:
    old = make_public(tmp_path / "000001", {"est": (KEYS, VALUES, COLUMNS, OLD_ROWS)})
    new = make_public(tmp_path / "000002", {"est": (KEYS, VALUES, COLUMNS, NEW_ROWS)})
    fresh = new_deliveries(DELIVERIES, {"d-old"})
    assert [d["delivery_id"] for d in fresh] == ["d-sh", "d-js", "d-21"]

    summary = write_revisions(new, old, fresh)

    rows = by_key(revisions_of(new))
    expected = {
        (key(2020, "SH-01", "i2"), "estimate"): ("0.3", "0.35", "changed", "d-sh"),
        (key(2020, "JS-01", "i1"), "estimate"): ("0.4", None, "suppressed", "d-js"),
        (key(2020, "JS-01", "i1"), "n_base"): ("8", None, "suppressed", "d-js"),
        (key(2020, "JS-01", "i2"), "estimate"): (None, "0.2", "unsuppressed", "d-js"),
        (key(2020, "JS-01", "i2"), "n_base"): (None, "6", "unsuppressed", "d-js"),
        (key(2020, "ALL", "i1"), "estimate"): ("0.45", "0.46", "changed", "d-js d-sh"),
        (key(2019, "SH-01", "i1"), "estimate"): ("0.1", None, "removed", None),
        (key(2019, "SH-01", "i1"), "n_base"): ("9", None, "removed", None),
        (key(2021, "上海-01", "i1"), "estimate"): (None, "0.7", "added", "d-21"),
        (key(2021, "上海-01", "i1"), "n_base"): (None, "12", "added", "d-21"),
    }
    got = {
        k: (r["old_value"], r["new_value"], r["change"], r["deliveries"]) for k, r in rows.items()
    }
    assert got == expected
    assert {r["table_name"] for r in rows.values()} == {"est"}
    assert summary == {"compared_to": "000001", "rows": 10, "tables": ["est"], "note": None}


def test_csv_is_utf8_with_bom_and_the_same_rows(tmp_path: Path) -> None:
    old = make_public(tmp_path / "000001", {"est": (KEYS, VALUES, COLUMNS, OLD_ROWS)})
    new = make_public(tmp_path / "000002", {"est": (KEYS, VALUES, COLUMNS, NEW_ROWS)})
    write_revisions(new, old, new_deliveries(DELIVERIES, {"d-old"}))

    raw = (new / REVISIONS_CSV).read_bytes()
    assert raw.startswith(codecs.BOM_UTF8)
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert list(rows[0]) == [
        "table_name",
        "key",
        "column_name",
        "old_value",
        "new_value",
        "change",
        "deliveries",
    ]
    assert len(rows) == 10
    assert any("上海-01" in r["key"] for r in rows)


def test_tables_added_or_dropped_and_tables_without_figures(tmp_path: Path) -> None:
    dim = (["zone_id"], [], "zone_id", [("SH-01",)])  # no "values": not compared
    gone = (["wave_id"], ["share"], "wave_id, share, suppressed", [(2020, 0.1, False)])
    born = (["wave_id"], ["mean"], "wave_id, mean, suppressed", [(2020, 1.5, False)])
    keyless = ([], ["total"], "total", [(1.0,), (2.0,)])  # cannot be matched: not compared
    old = make_public(tmp_path / "000001", {"dim_zone": dim, "gone": gone, "total": keyless})
    new = make_public(tmp_path / "000002", {"dim_zone": dim, "born": born, "total": keyless})
    fresh = [{"delivery_id": "d1", "zone_id": "SH-01", "wave_id": 2020, "files": []}]

    summary = write_revisions(new, old, fresh)

    rows = revisions_of(new)
    assert {(r["table_name"], r["change"], r["deliveries"]) for r in rows} == {
        ("born", "added", "d1"),  # no zone in the key: the wave's new deliveries
        ("gone", "removed", "d1"),
    }
    assert summary["tables"] == ["born", "gone"]
    assert summary["note"] == "not compared, no keys in the codebook: total"


def test_no_previous_release_or_no_public_tables_gives_an_empty_file(tmp_path: Path) -> None:
    new = make_public(tmp_path / "000002", {"est": (KEYS, VALUES, COLUMNS, NEW_ROWS)})
    first = write_revisions(new, None, DELIVERIES)
    assert first == {
        "compared_to": None,
        "rows": 0,
        "tables": [],
        "note": "first release: nothing to compare",
    }
    assert revisions_of(new) == []
    assert (new / REVISIONS_CSV).read_bytes().startswith(codecs.BOM_UTF8)

    bare = tmp_path / "000001"
    bare.mkdir()  # a release from before the public tables
    summary = write_revisions(new, bare, DELIVERIES)
    assert summary["compared_to"] == "000001" and summary["rows"] == 0
    assert summary["note"] == "no public/ tables in release 000001"

    newest = tmp_path / "000003"
    newest.mkdir()
    assert write_revisions(newest, new, [])["note"] == "no public/ tables in this release"
    assert revisions_of(newest) == []


def test_transitions_point_at_both_waves_and_no_new_delivery_is_null(tmp_path: Path) -> None:
    keys = ["zone_id", "wave_from", "wave_to", "level_from", "level_to"]
    columns = "zone_id, wave_from, wave_to, level_from, level_to, share, suppressed"
    old_rows = [("SH-01", 2020, 2021, 1, 2, 0.5, False), ("JS-01", 2020, 2021, 1, 2, 0.1, False)]
    new_rows = [("SH-01", 2020, 2021, 1, 2, 0.6, False), ("JS-01", 2020, 2021, 1, 2, 0.2, False)]
    old = make_public(tmp_path / "000001", {"tr": (keys, ["share"], columns, old_rows)})
    new = make_public(tmp_path / "000002", {"tr": (keys, ["share"], columns, new_rows)})
    fresh = [
        {"delivery_id": "d-sh-20", "zone_id": "SH-01", "wave_id": 2020, "files": []},
        {"delivery_id": "d-sh-21", "zone_id": "SH-01", "wave_id": 2021, "files": []},
        {"delivery_id": "d-sh-22", "zone_id": "SH-01", "wave_id": 2022, "files": []},
    ]

    write_revisions(new, old, fresh)

    caused = {json.loads(r["key"])["zone_id"]: r["deliveries"] for r in revisions_of(new)}
    # JS-01 changed without a new delivery of its own: through its waves' new deliveries
    # elsewhere (secondary suppression follows the other zones).
    assert caused == {"SH-01": "d-sh-20 d-sh-21", "JS-01": "d-sh-20 d-sh-21"}
    write_revisions(new, old, [])  # nothing new at all: a change of code or parameters
    assert {r["deliveries"] for r in revisions_of(new)} == {None}
