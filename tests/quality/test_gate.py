"""The quality gate on frames made from the codebook: clean frames pass, each defect is caught."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from orchestration.quality import REJECTED_SCHEMA, run_gate
from orchestration.quality.gate import within_threshold
from tests.quality.conftest import CB, ZONE, set_value, valid_frame

WAVE = 2022
VERSION = CB.version_for_wave(WAVE)


def _first(table: pa.Table, column: str, predicate) -> int:
    return next(i for i, v in enumerate(table[column].to_pylist()) if predicate(v))


def _keys(table: pa.Table) -> pa.ChunkedArray:
    return pc.binary_join_element_wise(
        table["source_file"], pc.cast(table["source_row"], pa.string()), "#"
    )


def _flip_check(code: str) -> str:
    return code[:17] + ("0" if code[17] != "0" else "1")


@pytest.fixture(scope="module")
def defects() -> dict[str, tuple[int, str, str]]:
    """rule_id -> (row, column, injected value); filled while building the frame."""
    return {}


@pytest.fixture(scope="module")
def defective(defects, tmp_path_factory) -> tuple[pa.Table, object]:
    table = valid_frame(VERSION, 300, wave_id=WAVE, seed=7)
    section = CB.item("D1_smart_mfg").asked_if.codes[0]
    c3_no = CB.item("C4_online_marketing_spend_share").forced_if.codes[0]
    non_mfg = _first(table, "A5_industry_section", lambda v: v != section)
    mfg = _first(table, "A5_industry_section", lambda v: v == section)
    c3 = _first(table, "C3_online_marketing", lambda v: v == c3_no)
    codes = table["A1_uscc"].to_pylist()
    wrong_division = str(CB.item("A6_industry_division").range["max"])  # 97: not manufacturing
    d1_column = CB.item("D1_smart_mfg").columns(VERSION)[1]
    c4_bad = next(
        o.code
        for o in CB.item("C4_online_marketing_spend_share").options
        if o.code != CB.item("C4_online_marketing_spend_share").forced_value
    )
    injected = {
        "code.A4_ownership": (10, "A4_ownership", "not_an_owner"),
        "range.A7_founded_year": (11, "A7_founded_year", str(WAVE + 3)),
        "range.A8_employees": (12, "A8_employees", "-4"),
        "numeric.A9_revenue": (13, "A9_revenue", "lots"),
        "skip.D1_smart_mfg": (non_mfg, d1_column, "1"),
        "forced.C4_online_marketing_spend_share": (c3, "C4_online_marketing_spend_share", c4_bad),
        "cross.division_in_section": (mfg, "A6_industry_division", wrong_division),
        "uscc.check_character": (20, "A1_uscc", _flip_check(codes[20])),
        "uscc.duplicate": (22, "A1_uscc", codes[21]),
        "pattern.A1_uscc": (30, "A1_uscc", "not-a-code"),
    }
    for _rule, (row, column, value) in injected.items():
        table = set_value(table, column, row, value)
    table = set_value(table, "A8_employees", 10, "1800.5")  # row 10 also fails numeric.A8
    defects.update(injected)
    result = run_gate(table, wave_id=WAVE, zone_id=ZONE, version=VERSION, threshold=0.5)
    return table, result


def test_clean_frame_passes_with_nothing_rejected(tmp_path):
    table = valid_frame(VERSION, 400, wave_id=WAVE)
    for row, raw in enumerate(["1,200", "１２００", " 12 ", "12.0"]):  # normalized, not rejected
        table = set_value(table, "A8_employees", row, raw)
    result = run_gate(table, wave_id=WAVE, zone_id=ZONE, version=VERSION, data_docs_dir=tmp_path)
    assert result.passed, result.reason
    assert result.rows_rejected == 0 and result.rejected_rows.num_rows == 0
    assert result.accepted.num_rows == 400
    assert result.accepted["A8_employees"].to_pylist()[:4] == ["1200", "1200", "12", "12"]
    assert result.normalizations.num_rows == 4
    suite = result.suite_results[0]
    assert suite.success and suite.failed == 0 and suite.evaluated > 50
    page = suite.data_docs_pages[0]
    assert page.is_file() and page.is_relative_to(tmp_path) and page.suffix == ".html"


def test_v2020_frame_passes_and_rejects_answers_to_later_items():
    table = valid_frame("v2020", 200, wave_id=2020)
    g4 = next(it for it in CB.items if "v2020" not in it.versions and it.is_choice)
    table = table.append_column(g4.id, pa.array([g4.options[0].code] + [None] * 199, pa.string()))
    result = run_gate(table, wave_id=2020, zone_id=ZONE, version="v2020")
    rows = result.rejected_rows.to_pylist()
    assert [(r["rule_id"], r["column_name"]) for r in rows] == [(f"version.{g4.id}", g4.id)]


@pytest.mark.parametrize(
    "rule_id",
    [
        "code.A4_ownership",
        "range.A7_founded_year",
        "range.A8_employees",
        "numeric.A9_revenue",
        "skip.D1_smart_mfg",
        "forced.C4_online_marketing_spend_share",
        "cross.division_in_section",
        "uscc.check_character",
        "uscc.duplicate",
        "pattern.A1_uscc",
    ],
)
def test_each_rule_family_catches_its_defect(defective, defects, rule_id):
    table, result = defective
    row, column, value = defects[rule_id]
    lines = [r for r in result.rejected_rows.to_pylist() if r["rule_id"] == rule_id]
    source_row = table["source_row"][row].as_py()
    source_file = table["source_file"][row].as_py()
    hit = [r for r in lines if (r["source_file"], r["source_row"]) == (source_file, source_row)]
    assert len(hit) == 1, lines
    assert hit[0]["column_name"] == column and hit[0]["value"] == value
    assert hit[0]["reason"] and "{" not in hit[0]["reason"]
    assert hit[0]["zone_id"] == ZONE and hit[0]["wave_id"] == WAVE


def test_reasons_are_readable(defective, defects):
    _, result = defective
    by_rule = {r["rule_id"]: r["reason"] for r in result.rejected_rows.to_pylist()}
    assert (
        by_rule["skip.D1_smart_mfg"] == "A5_industry_section = C required for D1_smart_mfg answers"
    )
    assert by_rule["range.A7_founded_year"].endswith(f"1949..{WAVE}")
    section = next(
        r for r in result.rejected_rows.to_pylist() if r["rule_id"] == "cross.division_in_section"
    )
    assert "is not a division of A5_industry_section C" in section["reason"]


def test_duplicate_uscc_rejects_every_occurrence(defective):
    _, result = defective
    dup = [r for r in result.rejected_rows.to_pylist() if r["rule_id"] == "uscc.duplicate"]
    assert len(dup) == 2 and len({r["value"] for r in dup}) == 1


def test_accounting_invariant_and_schema(defective, defects):
    table, result = defective
    keys = _keys(result.rejected_rows)
    distinct = len(pc.unique(keys))
    assert result.rows_read == table.num_rows == result.accepted.num_rows + distinct
    assert result.rows_rejected == distinct
    # one row per defect, plus the second occurrence of the duplicated USCC
    assert distinct == len(defects) + 1
    # rows 10 and 30 fail two rules each: one line per rule, the row counted once
    assert result.rejected_rows.num_rows > distinct
    assert result.rejected_rows.schema == REJECTED_SCHEMA
    assert not set(_keys(result.accepted).to_pylist()) & set(keys.to_pylist())
    meta = result.metadata()
    assert meta["rows_rejected"] == distinct and meta["rows_accepted"] == result.accepted.num_rows
    assert meta["suites"][0]["expectations_failed"] >= len(defects)
    assert meta["suites"][0]["top_offending_values"]["code.A4_ownership:A4_ownership"] == [
        {"value": "not_an_owner", "count": 1}
    ]


def test_restricted_values_are_masked_in_metadata(defective):
    _, result = defective
    tops = result.metadata()["suites"][0]["top_offending_values"]
    assert tops["pattern.A1_uscc:A1_uscc"] == [{"value": "<restricted>", "count": 1}]
    assert "not-a-code" in result.rejected_rows["value"].to_pylist()  # the build DB keeps it


def test_rejected_share_against_threshold():
    table = valid_frame(VERSION, 100, wave_id=WAVE)
    for row in range(10):  # 10% rejected
        table = set_value(table, "A4_ownership", row, "x")
    result = run_gate(table, wave_id=WAVE, zone_id=ZONE, version=VERSION, threshold=0.05)
    assert result.rows_rejected == 10 and not result.passed
    assert "blocked" in result.reason and "10.0%" in result.reason
    assert within_threshold(result.rows_read, result.rows_rejected, 0.2)
    assert within_threshold(100, 5, 0.05) and not within_threshold(100, 6, 0.05)


def test_missing_required_column_blocks_the_delivery():
    table = valid_frame(VERSION, 30, wave_id=WAVE).drop_columns(["A5_industry_section"])
    result = run_gate(table, wave_id=WAVE, zone_id=ZONE, version=VERSION)
    assert not result.passed and "A5_industry_section" in result.reason


def test_uscc_answered_in_another_zone_of_the_wave(tmp_path: Path):
    table = valid_frame(VERSION, 40, wave_id=WAVE)
    taken = table["A1_uscc"][3].as_py()
    db = tmp_path / "build.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("create schema raw")
        con.execute(
            'create table raw.responses (zone_id varchar, wave_id integer, "A1_uscc" varchar)'
        )
        con.execute(
            "insert into raw.responses values (?, ?, ?), (?, ?, ?), (?, ?, ?)",
            ["Z02", WAVE, taken, "Z02", WAVE - 1, table["A1_uscc"][4].as_py(), ZONE, WAVE, "x"],
        )
    result = run_gate(table, wave_id=WAVE, zone_id=ZONE, version=VERSION, build_db=db)
    rows = result.rejected_rows.to_pylist()
    assert [(r["rule_id"], r["value"]) for r in rows] == [("uscc.other_zone", taken)]
    assert rows[0]["reason"] == f"A1_uscc already answered in zone Z02 in wave {WAVE}"


def test_identity_mismatch_is_a_clear_error():
    table = valid_frame(VERSION, 5, wave_id=WAVE)
    with pytest.raises(ValueError, match="uses instrument"):
        run_gate(table, wave_id=WAVE, zone_id=ZONE, version="v2020")
    with pytest.raises(ValueError, match="zone_id"):
        run_gate(table, wave_id=WAVE, zone_id="Z02", version=VERSION)


def test_repeated_gates_build_only_their_own_docs(tmp_path):
    """Each call renders its own pages; the index (it reads every result) is built on request."""
    from orchestration.quality.context import build_docs_index

    table = valid_frame(VERSION, 120, wave_id=WAVE)
    first = run_gate(table, wave_id=WAVE, zone_id=ZONE, version=VERSION, data_docs_dir=tmp_path)
    stamps = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*.html")}
    second = run_gate(table, wave_id=WAVE, zone_id=ZONE, version=VERSION, data_docs_dir=tmp_path)
    [old_page], [new_page] = (r.suite_results[0].data_docs_pages for r in (first, second))
    assert old_page != new_page and new_page.is_file()
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps  # earlier pages untouched
    assert not (tmp_path / "index.html").exists()
    build_docs_index(tmp_path)
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert all(p.relative_to(tmp_path).as_posix() in index for p in (old_page, new_page))


def test_nothing_rejected_means_no_copies(tmp_path):
    """Unchanged columns keep their buffers, and accepted is the normalized table itself."""
    table = valid_frame(VERSION, 50, wave_id=WAVE)
    table = set_value(table, "A8_employees", 0, "1,200")
    result = run_gate(table, wave_id=WAVE, zone_id=ZONE, version=VERSION)
    assert result.rows_rejected == 0 and result.accepted is result.normalized
    for column in ("A4_ownership", "A1_uscc"):
        before, after = table[column].chunks[0], result.normalized[column].chunks[0]
        assert after.buffers()[2].address == before.buffers()[2].address
    assert result.normalized["A8_employees"][0].as_py() == "1200"
