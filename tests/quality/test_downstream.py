"""Staged and mart suites on frames read out of a real DuckDB file."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from orchestration.quality import validate_marts, validate_staged
from orchestration.quality.downstream import STAGED_KEY, staged_rules
from orchestration.quality.downstream_outcomes import judge
from orchestration.quality.downstream_validation import STAGED_RELATION, staged_sql
from tests.quality.conftest import CB, STAGED_COLUMNS_SQL, staged_select, valid_frame

STAGED_SCHEMA = STAGED_RELATION.split(".")[0]


@pytest.fixture(scope="module")
def staged_db(tmp_path_factory) -> Path:
    """The classified staged responses as dbt builds them: keyed, typed, no restricted
    column, ranked."""
    db = tmp_path_factory.mktemp("staged") / "build.duckdb"
    frame = valid_frame("v2022", 200, wave_id=2022)
    with duckdb.connect(str(db)) as con:
        con.register("frame", frame)
        con.execute(f"create schema {STAGED_SCHEMA}")
        con.execute(
            f"create table {STAGED_RELATION} as select {STAGED_COLUMNS_SQL}, "
            f"{staged_select(set(frame.column_names))}, 1 as questionnaire_rank from frame"
        )
    return db


def test_staged_suite_passes_on_the_staged_model(staged_db):
    result = validate_staged(staged_db)
    assert result.success, result.failed_rules
    assert result.evaluated == len(staged_rules(CB))  # every rule ran on the model


def test_staged_suite_catches_a_second_answer_in_the_wave(staged_db, tmp_path):
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(staged_db.read_bytes())
    with duckdb.connect(str(copy)) as con:
        con.execute(
            f"insert into {STAGED_RELATION} "
            "select * replace (md5(response_id) as response_id) "
            f"from {STAGED_RELATION} limit 1"
        )
    result = validate_staged(copy)
    assert not result.success
    assert set(result.failed_rules) == {"staged.enterprise_unique_in_wave:enterprise_key"}


def test_staged_suite_checks_only_the_waves_it_is_given(staged_db, tmp_path):
    """A run validates the waves it loaded: a bad row of another wave is not read."""
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(staged_db.read_bytes())
    with duckdb.connect(str(copy)) as con:
        (wave,) = con.execute(f"select max(wave_id) from {STAGED_RELATION}").fetchone()
        con.execute(
            f"insert into {STAGED_RELATION} "
            "select * replace (md5(response_id) as response_id, ? as wave_id) "
            f"from {STAGED_RELATION} limit 2",
            [wave + 1],
        )
        con.execute(
            f"insert into {STAGED_RELATION} "
            "select * replace (md5(response_id) as response_id) "
            f"from {STAGED_RELATION} where wave_id = ? limit 1",
            [wave + 1],
        )
    assert validate_staged(copy, waves=[wave]).success
    assert not validate_staged(copy, waves=[wave + 1]).success
    assert not validate_staged(copy).success


def test_staged_suite_ignores_a_dropped_duplicate(staged_db, tmp_path):
    """A second questionnaire the warehouse drops (rank 2, reported in
    fct_duplicate_questionnaires) is not a second answer in the wave."""
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(staged_db.read_bytes())
    with duckdb.connect(str(copy)) as con:
        con.execute(
            f"insert into {STAGED_RELATION} "
            "select * replace (md5(response_id) as response_id, 2 as questionnaire_rank) "
            f"from {STAGED_RELATION} limit 1"
        )
    result = validate_staged(copy)
    assert result.success, result.failed_rules


def test_staged_suite_names_the_missing_model(tmp_path):
    db = tmp_path / "build.duckdb"
    duckdb.connect(str(db)).close()
    with pytest.raises(Exception, match="int_responses_classified"):
        validate_staged(db)


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
    # scoped to another wave, no row is read and nothing fails
    assert all(suite.success for suite in validate_marts(db, waves=[2021]))


def test_available_case_bases_are_consistent_with_their_item_nonresponse(tmp_path):
    """Two indicators of one base population: n_base 90 and 100 differ only by the
    first one's 10 item non-respondents (available-case base), so the base is fine."""
    db = tmp_path / "build.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.dim_indicator as select * from (values "
            "('b4_cloud', 'all'), ('b4_ai', 'all')) t(indicator_id, base_population)"
        )
        con.execute(
            """
            create table marts.fct_indicator_estimates as select * from (values
              (2022, 'Z01', 'all', 'b4_cloud', 100, 40, 0.40, 0.31, 0.50, 0.41, 0.32, 0.51,
               false, 0),
              (2022, 'Z01', 'all', 'b4_ai', 90, 30, 0.33, 0.25, 0.44, 0.33, 0.25, 0.44,
               false, 10)
            ) t(wave_id, zone_id, domain, indicator_id, n_base, n_yes, estimate, ci_low, ci_high,
                weighted_estimate, weighted_ci_low, weighted_ci_high, suppressed, n_item_missing)
            """
        )
        con.execute(
            "create table marts.fct_enterprise_wave as select * from (values "
            "('k1', 2022, 55.0, 'developing', 1.5)) "
            "t(enterprise_key, wave_id, maturity_score, maturity_level, weight)"
        )
    indicators, _ = validate_marts(db, data_docs_dir=tmp_path / "docs")
    assert indicators.success, indicators.failed_rules


def test_only_failing_rules_carry_their_count_and_example_keys(staged_db, tmp_path):
    """The outcome table names the failing rows of a failing rule (count and up to
    EXAMPLES keys, found in a second pass) and nothing for the rules that pass."""
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(staged_db.read_bytes())
    with duckdb.connect(str(copy)) as con:
        broken = [
            key
            for (key,) in con.execute(
                f"update {STAGED_RELATION} set A8_employees = -5 "
                f"where response_id in (select response_id from {STAGED_RELATION} "
                "order by response_id limit 2) returning response_id"
            ).fetchall()
        ]
        rules = staged_rules(CB)
        judged = judge(con, staged_sql(STAGED_RELATION, None), rules, STAGED_KEY)
    [row] = judged.table.to_pylist()
    failing = {name: text for name, text in row.items() if name in judged.counts and text}
    assert list(failing) == [name for name, n in judged.counts.items() if n]
    assert len(failing) == 1 and judged.counts[next(iter(failing))] == 2
    text = next(iter(failing.values()))
    assert text.startswith("2 of 200 rows, e.g. ")
    assert sorted(text.removeprefix("2 of 200 rows, e.g. ").split(", ")) == sorted(broken)
