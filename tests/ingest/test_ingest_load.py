"""Loading into raw.*: contract types, zone-wave replacement, supersession, blocking."""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pytest

from orchestration.ingest.landing import land_delivery, landed_deliveries
from orchestration.ingest.load import ensure_raw_schema, load_delivery, record_blocked
from orchestration.ingest.parse import parse_delivery
from orchestration.ingest.schema import PROVENANCE

from .conftest import canonical_rows, first_wave

ZONE = "WH-03"
CONTRACT_TYPES = {"int": "BIGINT", "num": "DOUBLE", "multi": "BOOLEAN"}


def query(db, sql: str, params=None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def deliver(build, home, codebook, name: str, n_online: int, n_paper: int, wave: int, edit=None):
    version = codebook.version_for_wave(wave)
    folder = build.folder(f"{name}/{ZONE}/{wave}")
    online = canonical_rows(codebook, version, "electronic", n_online)
    if edit:
        edit(online)
    files = [build.platform(folder, version, online, "utf-8-sig")]
    if n_paper:
        files.append(
            build.paper(folder, version, canonical_rows(codebook, version, "paper", n_paper))
        )
    files.append(build.register(folder, ZONE, [("C", codebook.size_class_order[0], n_online)]))
    return land_delivery(files, ZONE, wave, home)


def test_raw_responses_columns_match_the_codebook(tmp_path, codebook):
    db = tmp_path / "build.duckdb"
    con = duckdb.connect(str(db))
    ensure_raw_schema(con, codebook)
    ensure_raw_schema(con, codebook)  # idempotent
    con.close()
    got = query(
        db,
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'raw' AND table_name = 'responses' ORDER BY ordinal_position",
    )
    expected = list(PROVENANCE)
    for item in codebook.items:
        sql_type = CONTRACT_TYPES.get(item.type, "VARCHAR")
        if item.is_multi:
            expected += [(item.option_column(o.code), sql_type) for o in item.options]
        else:
            expected.append((item.id, sql_type))
    assert [c for c, _ in expected[len(PROVENANCE) :]] == list(codebook.all_columns())
    assert got == expected
    tables = query(db, "SELECT table_name FROM information_schema.tables WHERE table_schema='raw'")
    assert {t for (t,) in tables} == {
        "responses",
        "zone_register",
        "deliveries",
        "rejected_rows",
        "normalizations",
    }


def test_load_types_values_and_keeps_unknown_labels(build, home, codebook):
    wave = first_wave(codebook, "v2022")
    item = next(it for it in codebook.items_for("v2022") if it.is_choice and it.required)

    def edit(rows):
        rows[0][item.id] = "不知道"

    landing = deliver(build, home, codebook, "a", 4, 2, wave, edit)
    parsed = parse_delivery(landing, codebook)
    result = load_delivery(parsed, home.build_db)
    assert (result.rows_read, result.rows_accepted, result.rows_rejected) == (6, 6, 0)
    assert not result.replaced_previous
    db = home.build_db
    assert query(
        db, f"SELECT \"{item.id}\" FROM raw.responses WHERE source_row = 1 AND mode = 'electronic'"
    ) == [("不知道",)]
    int_col = next(it.id for it in codebook.items_for("v2022") if it.type == "int")
    multi_col = next(it for it in codebook.items_for("v2022") if it.is_multi).columns("v2022")[0]
    rows = query(
        db,
        f'SELECT source_file, source_row, "{int_col}", "{multi_col}" FROM raw.responses '
        "ORDER BY source_file, source_row",
    )
    expected_int = [int(v) for v in parsed.responses[int_col].to_pylist()]
    assert sorted(r[2] for r in rows) == sorted(expected_int)
    assert {r[3] for r in rows} <= {True, False, None}
    register = query(
        db, "SELECT delivery_id, zone_id, wave_id, n_enterprises FROM raw.zone_register"
    )
    assert register == [(landing.delivery_id, ZONE, wave, 4)]
    assert query(db, "SELECT status, rows_read, rows_accepted FROM raw.deliveries") == [
        ("loaded", 6, 6)
    ]


def test_same_delivery_twice_and_a_correction(build, home, codebook):
    wave = first_wave(codebook, "v2020")
    db = home.build_db
    first = deliver(build, home, codebook, "first", 5, 2, wave)
    load_delivery(parse_delivery(first, codebook), db)
    counts = query(db, "SELECT count(*) FROM raw.responses")

    # The very same bytes again: not new, so not processed again; nothing changes.
    again = deliver(build, home, codebook, "first-again", 5, 2, wave)
    assert not again.is_new and again.delivery_id == first.delivery_id
    assert query(db, "SELECT count(*) FROM raw.responses") == counts == [(7,)]

    # A corrected delivery (one more online questionnaire) replaces the zone-wave.
    fixed = deliver(build, home, codebook, "fixed", 6, 2, wave)
    assert fixed.is_new and fixed.delivery_id != first.delivery_id
    result = load_delivery(parse_delivery(fixed, codebook), db)
    assert result.replaced_previous and result.rows_read == 8
    assert query(db, "SELECT delivery_id, count(*) FROM raw.responses GROUP BY ALL") == [
        (fixed.delivery_id, 8)
    ]
    assert query(db, "SELECT delivery_id, n_enterprises FROM raw.zone_register") == [
        (fixed.delivery_id, 6)
    ]
    statuses = dict(query(db, "SELECT delivery_id, status FROM raw.deliveries"))
    assert statuses == {first.delivery_id: "superseded", fixed.delivery_id: "loaded"}
    history = landed_deliveries(home, ZONE, wave)
    assert [la.delivery_id for la in history] == [first.delivery_id, fixed.delivery_id]
    assert all((la.path / "manifest.json").is_file() for la in history)


def test_reloading_the_same_parse_is_idempotent(build, home, codebook):
    wave = first_wave(codebook, "v2020")
    landing = deliver(build, home, codebook, "x", 3, 0, wave)
    parsed = parse_delivery(landing, codebook)
    load_delivery(parsed, home.build_db)
    result = load_delivery(parsed, home.build_db)
    assert not result.replaced_previous
    assert query(home.build_db, "SELECT count(*) FROM raw.responses") == [(3,)]
    assert query(home.build_db, "SELECT count(*), min(status) FROM raw.deliveries") == [
        (1, "loaded")
    ]


def test_other_zone_waves_are_untouched(build, home, codebook):
    db = home.build_db
    w0, w1 = first_wave(codebook, "v2020"), first_wave(codebook, "v2022")
    load_delivery(parse_delivery(deliver(build, home, codebook, "a", 3, 0, w0), codebook), db)
    load_delivery(parse_delivery(deliver(build, home, codebook, "b", 4, 0, w1), codebook), db)
    load_delivery(parse_delivery(deliver(build, home, codebook, "c", 2, 0, w1), codebook), db)
    assert query(db, "SELECT wave_id, count(*) FROM raw.responses GROUP BY ALL ORDER BY 1") == [
        (w0, 3),
        (w1, 2),
    ]


def test_rejected_rows_are_kept_apart(build, home, codebook):
    wave = first_wave(codebook, "v2020")
    landing = deliver(build, home, codebook, "r", 4, 0, wave)
    parsed = parse_delivery(landing, codebook)
    rejected = pa.table(
        {
            "source_file": ["platform_export.csv"] * 3,
            "source_row": [2, 2, 4],
            "rule_id": ["code", "range", "code"],
            "column_name": ["A4_ownership", "A7_founded_year", "A4_ownership"],
            "value": ["x", "1800", "y"],
            "reason": ["not a code", "before 1949", "not a code"],
        }
    )
    result = load_delivery(parsed, home.build_db, rejected)
    assert (result.rows_read, result.rows_accepted, result.rows_rejected) == (4, 2, 2)
    db = home.build_db
    assert query(db, "SELECT source_row FROM raw.responses ORDER BY 1") == [(1,), (3,)]
    assert query(db, "SELECT DISTINCT delivery_id, zone_id FROM raw.rejected_rows") == [
        (landing.delivery_id, ZONE)
    ]
    assert query(db, "SELECT rows_rejected FROM raw.deliveries") == [(2,)]


def test_blocked_delivery_is_recorded_and_leaves_loaded_data(build, home, codebook):
    wave = first_wave(codebook, "v2020")
    db = home.build_db
    good = deliver(build, home, codebook, "good", 3, 0, wave)
    load_delivery(parse_delivery(good, codebook), db)
    bad = deliver(build, home, codebook, "bad", 2, 0, wave)
    record_blocked(bad, db, "platform_export.csv: no data rows")
    assert query(db, "SELECT count(*), min(delivery_id) FROM raw.responses") == [
        (3, good.delivery_id)
    ]
    rows = dict(query(db, "SELECT status, message FROM raw.deliveries ORDER BY received_at"))
    assert rows == {"loaded": None, "blocked": "platform_export.csv: no data rows"}


def test_blocking_a_loaded_delivery_removes_its_rows(build, home, codebook):
    wave = first_wave(codebook, "v2020")
    landing = deliver(build, home, codebook, "x", 3, 0, wave)
    load_delivery(parse_delivery(landing, codebook), home.build_db)
    record_blocked(landing, home.build_db, "gate: stricter rule")
    assert query(home.build_db, "SELECT count(*) FROM raw.responses") == [(0,)]
    assert query(home.build_db, "SELECT status FROM raw.deliveries") == [("blocked",)]


def test_failed_load_rolls_back(build, home, codebook):
    wave = first_wave(codebook, "v2020")
    landing = deliver(build, home, codebook, "x", 3, 0, wave)
    parsed = parse_delivery(landing, codebook)
    load_delivery(parsed, home.build_db)
    fixed = parse_delivery(deliver(build, home, codebook, "y", 5, 0, wave), codebook)
    with pytest.raises(ValueError, match="reason"):
        load_delivery(fixed, home.build_db, pa.table({"source_file": ["a"], "source_row": [1]}))
    assert query(home.build_db, "SELECT count(*) FROM raw.responses") == [(3,)]
