"""The staged and mart rules in DuckDB flag exactly what the row-level GX suites flag.

The pipeline judges the staged model and the marts in SQL and lets GX validate the
per-zone-wave outcome table (`downstream_outcomes.py`). These tests inject random
faults into a staged table and both marts and compare, rule by rule, the rows the
SQL flags with the rows the checked-in row-level suites (`staged_responses`,
`marts_*`, validated by GX on the pandas frame as before) flag, then the suite
verdicts (pass/fail, failed rules, row counts).
"""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import numpy as np
import pytest

from orchestration.quality import validate_marts, validate_staged
from orchestration.quality.downstream import enterprise_rules, indicator_rules, staged_rules
from orchestration.quality.downstream_outcomes import failing_keys
from orchestration.quality.downstream_validation import (
    STAGED_RELATION,
    enterprises_sql,
    indicators_sql,
    staged_sql,
)
from orchestration.quality.results import SuiteResult, failures, rule_key, summarize
from orchestration.quality.rules import Rule
from tests.quality.conftest import CB, STAGED_COLUMNS_SQL, staged_select, valid_frame

POS = "pos"  # a row's number, the key both sides name failing rows by
NOISE = {
    "VARCHAR": ["x", "1", "2", "C", "27", "97", "", None],
    "BIGINT": [-4, 0, 1, 2, 3000, 1800, 2030, None],
    "INTEGER": [-4, 0, 2021, 2022, None],
    "DOUBLE": [-1.5, -0.1, 0.0, 0.5, 1.2, 130.0, 1e9, None, math.nan],
    "BOOLEAN": [True, False, None],
}


def inject(con: duckdb.DuckDBPyConnection, table: str, seed: int, share: float) -> int:
    """Replace `share` of the cells of `table` (all but `pos`) by noise of their type."""
    rng = np.random.default_rng(seed)
    relation = con.sql(f"select * from {table}")
    columns = [
        (name, str(kind))
        for name, kind in zip(relation.columns, relation.types, strict=True)
        if name != POS and str(kind) in NOISE
    ]
    (rows,) = con.execute(f"select count(*) from {table}").fetchone()
    changed = int(share * rows * len(columns))
    for _ in range(changed):
        name, kind = columns[rng.integers(len(columns))]
        choices = NOISE[kind]
        value = choices[rng.integers(len(choices))]
        con.execute(
            f'update {table} set "{name}" = ? where {POS} = ?', [value, int(rng.integers(rows))]
        )
    return changed


def row_level(suite: str, con: duckdb.DuckDBPyConnection, source: str) -> tuple[dict, SuiteResult]:
    """What GX flags with the row-level suite on the frame of `source`: rule key -> pos."""
    from orchestration.quality.context import run_suite

    frame = con.sql(f"select * from ({source}) order by {POS}").to_arrow_table()
    runs = run_suite(suite, frame, run_name="conformance")
    positions = frame[POS].to_pylist()
    flagged: dict[str, set[int]] = {}
    for failure in failures(runs):
        assert failure.error is None, (failure.rule_id, failure.error)
        key = rule_key(failure.rule_id, failure.column)
        flagged.setdefault(key, set()).update(positions[i] for i in failure.rows.tolist())
    return {k: sorted(v) for k, v in flagged.items() if v}, summarize(suite, runs, frozenset())


def in_sql(con: duckdb.DuckDBPyConnection, source: str, rules: list[Rule]) -> dict:
    """What the SQL flags: rule key -> pos (rules sharing a key pooled, as GX's keys are)."""
    flagged: dict[str, set[int]] = {}
    for column, keys in failing_keys(con, source, rules, POS).items():
        flagged.setdefault(column.split("#")[0], set()).update(keys)
    return {k: sorted(v) for k, v in flagged.items()}


def same_verdict(ours: SuiteResult, theirs: SuiteResult) -> None:
    assert ours.success == theirs.success
    assert ours.evaluated == theirs.evaluated
    assert set(ours.failed_rules) == set(theirs.failed_rules)
    assert ours.unexpected_counts == theirs.unexpected_counts


@pytest.mark.parametrize("seed", [1, 2])
def test_staged_rules_flag_the_rows_gx_flags(tmp_path: Path, seed: int) -> None:
    db = tmp_path / "build.duckdb"
    frame = valid_frame("v2022", 240, wave_id=2022, seed=seed)
    with duckdb.connect(str(db)) as con:
        con.register("frame", frame)
        con.execute(f"create schema {STAGED_RELATION.split('.')[0]}")
        con.execute(
            f"create table {STAGED_RELATION} as select {STAGED_COLUMNS_SQL}, "
            f"{staged_select(set(frame.column_names))}, 1 as questionnaire_rank, "
            f"cast(row_number() over () - 1 as integer) as {POS} from frame"
        )
        inject(con, STAGED_RELATION, seed, share=0.02)
        # Cross-row faults random cells rarely make: a response id and an enterprise twice.
        for column, copy, into in (("response_id", 1, 2), ("enterprise_key", 3, 4)):
            con.execute(
                f"update {STAGED_RELATION} set {column} = "
                f"(select {column} from {STAGED_RELATION} where {POS} = ?) where {POS} = ?",
                [copy, into],
            )
        source = staged_sql(STAGED_RELATION, None)
        ours = in_sql(con, source, staged_rules(CB))
        theirs, verdict = row_level("staged_responses", con, source)
    assert ours == theirs
    assert len(theirs) > 20  # the noise breaks many rules, uniqueness among them
    assert {
        "staged.response_id:response_id",
        "staged.enterprise_unique_in_wave:enterprise_key",
    } <= set(theirs)
    same_verdict(validate_staged(db), verdict)


def _marts(con: duckdb.DuckDBPyConnection, seed: int) -> None:
    """Valid indicator estimates and enterprise facts of two waves, keyed by `pos`."""
    rng = np.random.default_rng(seed)
    con.execute("create schema marts")
    con.execute(
        "create table marts.dim_indicator as select * from (values "
        "('b4_cloud', 'all'), ('b4_ai', 'all'), ('d1_line', 'manufacturers')) "
        "t(indicator_id, base_population)"
    )
    rows = []
    for wave in (2022, 2023):
        for zone in ("Z01", "Z02", "ALL"):
            for domain in ("all", "small"):
                n_base = int(rng.integers(50, 200))
                for indicator in ("b4_cloud", "b4_ai", "d1_line"):
                    n_yes = int(rng.integers(0, n_base + 1))
                    share = n_yes / n_base
                    low, high = max(share - 0.1, 0.0), min(share + 0.1, 1.0)
                    key = (wave, zone, domain, indicator)
                    weighted = (share, low, high)
                    suppressed = bool(rng.integers(2))
                    rows.append((*key, n_base, n_yes, share, low, high, *weighted, suppressed, 0))
    con.execute(
        "create table marts.fct_indicator_estimates (wave_id integer, zone_id varchar, "
        "domain varchar, indicator_id varchar, n_base bigint, n_yes bigint, estimate double, "
        "ci_low double, ci_high double, weighted_estimate double, weighted_ci_low double, "
        "weighted_ci_high double, suppressed boolean, n_item_missing bigint)"
    )
    con.executemany("insert into marts.fct_indicator_estimates values (?" + ", ?" * 13 + ")", rows)
    con.execute(
        f"alter table marts.fct_indicator_estimates add column {POS} integer; "
        f"update marts.fct_indicator_estimates set {POS} = rowid"
    )
    levels = ("beginner", "developing", "advanced")
    con.execute(
        "create table marts.fct_enterprise_wave as select "
        "md5(cast(i % 90 as varchar)) as enterprise_key, 2022 + i // 90 as wave_id, "
        "case when i % 2 = 0 then 'Z01' else 'Z02' end as zone_id, "
        "cast(i * 37 % 101 as double) as maturity_score, "
        f"{list(levels)}[1 + i % 3] as maturity_level, "
        "cast(i * 13 % 100 as double) as digital_score, "
        f"{list(levels)}[1 + i % 3] as digital_level, "
        f"1 + (i % 7) / 2.0 as weight, cast(i as integer) as {POS} "
        "from range(180) t(i)"
    )


@pytest.mark.parametrize("seed", [3, 4])
def test_mart_rules_flag_the_rows_gx_flags(tmp_path: Path, seed: int) -> None:
    db = tmp_path / "build.duckdb"
    with duckdb.connect(str(db)) as con:
        _marts(con, seed)
        inject(con, "marts.fct_indicator_estimates", seed, share=0.06)
        inject(con, "marts.fct_enterprise_wave", seed, share=0.06)
        # Faults random cells rarely make, in rows the noise left alone: two indicators of
        # one base that disagree on n_base (wave 2030), one key twice (2031), NaN (missing
        # to pandas), an enterprise twice in a wave.
        shares = "0.1, 0.0, 0.2, 0.1, 0.0, 0.2, false, 0"
        con.execute(
            "insert into marts.fct_indicator_estimates values "
            f"(2030, 'Z01', 'all', 'b4_cloud', 100, 10, {shares}, 1000),"
            f"(2030, 'Z01', 'all', 'b4_ai', 120, 12, {shares}, 1001),"
            f"(2031, 'Z01', 'all', 'd1_line', 30, 3, {shares}, 1002),"
            f"(2031, 'Z01', 'all', 'd1_line', 30, 3, {shares}, 1003)"
        )
        con.execute(f"update marts.fct_indicator_estimates set estimate = 'nan' where {POS} = 7")
        con.execute(
            "update marts.fct_enterprise_wave set enterprise_key = "
            f"(select enterprise_key from marts.fct_enterprise_wave where {POS} = 0) "
            f"where {POS} = 2"
        )
        cases = [
            ("marts_indicator_estimates", indicators_sql(con), indicator_rules()),
            ("marts_enterprise_wave", enterprises_sql(con), enterprise_rules()),
        ]
        found = [(in_sql(con, s, rules), *row_level(suite, con, s)) for suite, s, rules in cases]
    for (ours, theirs, _), minimum in zip(found, (8, 4), strict=True):
        assert ours == theirs
        assert len(theirs) >= minimum  # the noise breaks many rules
    indicators, enterprises = found[0][1], found[1][1]
    assert {"marts.base_consistency:n_base", "marts.key:indicator_id"} <= set(indicators)
    assert "marts.key:enterprise_key" in enterprises
    for judged, (_, _, verdict) in zip(validate_marts(db), found, strict=True):
        same_verdict(judged, verdict)


def test_a_missing_mart_column_fails_the_same_rules(tmp_path: Path) -> None:
    """A rule on a column the mart lacks fails (GX errors on it) with its schema rule,
    also when the run's waves have no rows."""
    db = tmp_path / "build.duckdb"
    with duckdb.connect(str(db)) as con:
        _marts(con, seed=5)
        con.execute("alter table marts.fct_indicator_estimates drop column weighted_ci_low")
        con.execute("alter table marts.fct_enterprise_wave drop column weight")
        source = indicators_sql(con)
        _, verdict = row_level_with_errors("marts_indicator_estimates", con, source)
    judged, enterprises = validate_marts(db)
    same_verdict(judged, verdict)
    assert "marts.schema:weighted_ci_low" in judged.failed_rules
    assert "marts.weight:weight" in enterprises.failed_rules
    assert not any(suite.success for suite in validate_marts(db, waves=[1999]))


def row_level_with_errors(
    suite: str, con: duckdb.DuckDBPyConnection, source: str
) -> tuple[list, SuiteResult]:
    from orchestration.quality.context import run_suite

    frame = con.sql(f"select * from ({source}) order by {POS}").to_arrow_table()
    runs = run_suite(suite, frame, run_name="conformance")
    return failures(runs), summarize(suite, runs, frozenset())
