"""Staged and mart suites on frames read out of a real DuckDB file."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from conftest import CB, valid_frame

from orchestration.quality import validate_marts, validate_staged


def _typed_select(present: set[str]) -> str:
    """raw.responses' typing (contract) of a text frame: ints, doubles, booleans, text."""
    parts = []
    for item in CB.items:
        for col in (
            (item.option_column(o.code) for o in item.options) if item.is_multi else [item.id]
        ):
            source = f'"{col}"' if col in present else "null"
            kind = {"int": "bigint", "num": "double"}.get(item.type, "varchar")
            kind = "boolean" if item.is_multi else kind
            parts.append(f'cast({source} as {kind}) as "{col}"')
    return ", ".join(parts)


@pytest.fixture(scope="module")
def staged_db(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("staged") / "build.duckdb"
    frame = valid_frame("v2022", 200, wave_id=2022)
    with duckdb.connect(str(db)) as con:
        con.register("frame", frame)
        con.execute("create schema raw")
        con.execute(
            "create table raw.responses as select delivery_id, zone_id, wave_id, "
            "instrument_version, mode, source_file, source_row, "
            f"{_typed_select(set(frame.column_names))} from frame"
        )
    return db


def test_staged_suite_passes_on_typed_responses(staged_db):
    result = validate_staged(staged_db)
    assert result.success, result.failed_rules


def test_staged_suite_catches_a_second_answer_in_the_wave(staged_db, tmp_path):
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(staged_db.read_bytes())
    with duckdb.connect(str(copy)) as con:
        con.execute("insert into raw.responses select * from raw.responses limit 1")
    result = validate_staged(copy)
    assert not result.success
    assert "staged.uscc_unique_in_wave:A1_uscc" in result.failed_rules


def test_mart_suites(tmp_path):
    db = tmp_path / "build.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.dim_indicator as select * from (values "
            "('b4_cloud', 'all'), ('b4_ai', 'all'), ('d1_line', 'manufacturers')) "
            "t(indicator_id, base_population)"
        )
        con.execute(
            """
            create table marts.fct_indicator_estimates as select * from (values
              (2022, 'Z01', 'all', 'b4_cloud', 100, 40, 0.40, 0.31, 0.50, 0.41, 0.32, 0.51, false),
              (2022, 'Z01', 'all', 'b4_ai',     90, 10, 0.11, 0.20, 0.30, 0.11, 0.05, 0.20, false),
              (2022, 'Z01', 'all', 'd1_line',   30,  3, 0.10, 0.02, 0.26, 0.10, 0.02, 0.26, true)
            ) t(wave_id, zone_id, domain, indicator_id, n_base, n_yes, estimate, ci_low, ci_high,
                weighted_estimate, weighted_ci_low, weighted_ci_high, suppressed)
            """
        )
        con.execute(
            """
            create table marts.fct_enterprise_wave as select * from (values
              ('k1', 2022, 55.0, 'developing', 1.5),
              ('k2', 2022, 120.0, 'advanced', 2.0),
              ('k3', 2022, 10.0, null, 1.0)
            ) t(enterprise_key, wave_id, maturity_score, maturity_level, weight)
            """
        )
    indicators, enterprises = validate_marts(db, data_docs_dir=tmp_path / "docs")
    assert not indicators.success
    failed = set(indicators.failed_rules)
    # b4_ai: ci_low 0.20 > estimate 0.11; b4_cloud and b4_ai share a base but not n_base
    assert "marts.interval:estimate" in failed
    assert "marts.base_consistency:n_base" in failed
    assert indicators.unexpected_counts["marts.base_consistency:n_base"] == 2
    assert not any(k.startswith("marts.share") for k in failed)
    assert set(enterprises.failed_rules) == {
        "marts.score_range:chk_score_range",
        "marts.level:chk_level_missing",
    }
    assert all(p.is_file() for p in indicators.data_docs_pages)
