"""Disclosure control of the public release, on tables small enough to work by hand."""

from __future__ import annotations

import duckdb
import pytest
import yaml

from orchestration.disclosure import (
    Thresholds,
    disclosure_thresholds,
    primary_rule,
    public_indicator_estimates,
    rounded,
    secondary_suppression,
)
from orchestration.settings import DBT_PROJECT_DIR

T = Thresholds(min_base=5, min_cell_count=3)


def suppress(cells: list[tuple[int, int, bool]], members: list[tuple[str, int]]) -> set[int]:
    """Run the secondary suppression on (cell_id, base, suppressed) cells; the suppressed ids."""
    con = duckdb.connect()
    con.execute("create table cells (cell_id bigint, base bigint, suppressed boolean)")
    con.executemany("insert into cells values (?, ?, ?)", cells)
    con.execute("create table members (relation_id varchar, cell_id bigint)")
    con.executemany("insert into members values (?, ?)", members)
    secondary_suppression(con, "cells", "members")
    return {r[0] for r in con.execute("select cell_id from cells where suppressed").fetchall()}


def test_one_zone_suppressed_takes_the_smallest_other_zone() -> None:
    # ALL (4) = zones 1 (base 3, primary), 2 (base 12), 3 (base 8): ALL - 2 - 3 would
    # give zone 1, so zone 3 (the smaller base, not ALL) goes too
    cells = [(1, 3, True), (2, 12, False), (3, 8, False), (4, 23, False)]
    members = [("zones", 1), ("zones", 2), ("zones", 3), ("zones", 4)]
    assert suppress(cells, members) == {1, 3}


def test_only_part_left_beside_the_total_takes_the_total() -> None:
    # ALL = zone 1 + zone 2, zone 1 suppressed: the only other members are zone 2 and
    # ALL; zone 2 has the smaller base, and then ALL - zone 2 is unknown
    assert suppress(
        [(1, 3, True), (2, 7, False), (3, 10, False)], [("r", 1), ("r", 2), ("r", 3)]
    ) == {1, 2}
    # a total with a single part: the part's figure is the total's, so the total goes
    assert suppress([(1, 3, True), (2, 3, False)], [("r", 1), ("r", 2)]) == {1, 2}


def test_all_parts_but_the_total_suppressed_is_safe() -> None:
    # two parts suppressed: their sum is known, each alone is not; nothing more goes
    cells = [(1, 3, True), (2, 4, True), (3, 7, False)]
    assert suppress(cells, [("r", 1), ("r", 2), ("r", 3)]) == {1, 2}
    assert suppress([(1, 9, False), (2, 9, False)], [("r", 1), ("r", 2)]) == set()


def test_a_complement_propagates_through_a_second_relation() -> None:
    # relation a: cells 1 (primary), 2, 3; relation b: cells 2, 4, 5. Cell 2 is the
    # complement in a, so b now has one suppressed cell and gives up cell 4.
    cells = [(1, 2, True), (2, 6, False), (3, 9, False), (4, 7, False), (5, 20, False)]
    members = [("a", 1), ("a", 2), ("a", 3), ("b", 2), ("b", 4), ("b", 5)]
    assert suppress(cells, members) == {1, 2, 4}


def test_thresholds_are_the_dbt_vars() -> None:
    variables = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())["vars"]
    got = disclosure_thresholds()
    assert (got.min_base, got.min_cell_count) == (
        variables["min_base"],
        variables["min_cell_count"],
    )


@pytest.mark.parametrize(
    ("base", "count", "suppressed"),
    [(4, 2, True), (5, 3, True), (6, 3, False), (6, 4, True), (10, 0, True), (10, 7, False)],
)
def test_primary_rule(base: int, count: int, suppressed: bool) -> None:
    sql = f"select {primary_rule(str(base), str(count), T)}, {rounded(str(base))}"
    flag, shown = duckdb.sql(sql).fetchall()[0]
    assert flag is suppressed
    assert shown % 5 == 0 and abs(shown - base) <= 2


def test_public_estimates_hand_worked() -> None:
    """Zones Z1, Z2 and ALL; domain all and two size classes, one indicator, one wave.

    Primary (from the mart's flag): Z1/small. Secondary: in Z1, small vs all: the
    smallest other member of {small, large, all} is large (base 6). In the zones of
    domain small, Z1 suppressed: Z2 (base 20) < ALL (24) goes. In the zones of domain
    large: Z1 suppressed, Z2 (30) < ALL (36) goes. Z2's size classes now hold two
    suppressed cells; domain all keeps its figures everywhere.
    """
    con = duckdb.connect()
    con.execute(
        """
        create table mart (wave_id int, zone_id varchar, domain_type varchar, domain varchar,
            indicator_id varchar, n_base bigint, n_yes bigint, weighted_estimate double,
            weighted_ci_low double, weighted_ci_high double, std_error double, cv double,
            quality_grade varchar, suppressed boolean)
        """
    )
    rows = [
        ("Z1", "all", "all", 10, 5),
        ("Z1", "size_class", "small", 4, 2),
        ("Z1", "size_class", "large", 6, 3),
        ("Z2", "all", "all", 50, 25),
        ("Z2", "size_class", "small", 20, 10),
        ("Z2", "size_class", "large", 30, 15),
        ("ALL", "all", "all", 60, 30),
        ("ALL", "size_class", "small", 24, 12),
        ("ALL", "size_class", "large", 36, 18),
    ]
    for zone, domain_type, domain, n_base, n_yes in rows:
        con.execute(
            "insert into mart values (2020, ?, ?, ?, 'i1', ?, ?, 0.5, 0.4, 0.6, 0.05, 0.1, 'A', ?)",
            [zone, domain_type, domain, n_base, n_yes, n_base < 5],
        )
    counts = public_indicator_estimates(con, "mart", "pub")
    assert (counts.cells, counts.primary, counts.secondary) == (9, 1, 3)
    got = {
        (zone, domain): (suppressed, base, estimate)
        for zone, domain, suppressed, base, estimate in con.execute(
            "select zone_id, domain, suppressed, n_base_rounded, weighted_estimate from pub"
        ).fetchall()
    }
    hidden = (True, None, None)
    assert got[("Z1", "small")] == hidden
    assert got[("Z1", "large")] == hidden
    assert got[("Z2", "small")] == hidden
    assert got[("Z2", "large")] == hidden
    assert got[("ALL", "small")] == (False, 25, 0.5)  # 24 rounded to 25
    assert got[("ALL", "large")] == (False, 35, 0.5)
    assert got[("Z1", "all")] == (False, 10, 0.5)
    # nothing but keys and the flag on a suppressed row
    columns = [r[0] for r in con.execute("describe pub").fetchall()]
    figures = [c for c in columns if c not in ("wave_id", "zone_id", "domain_type", "domain")]
    figures = [c for c in figures if c not in ("indicator_id", "suppressed")]
    nonnull = " or ".join(f"{c} is not null" for c in figures)
    assert con.execute(f"select count(*) from pub where suppressed and ({nonnull})").fetchone() == (
        0,
    )


def enterprises(con: duckdb.DuckDBPyConnection, rows: list[tuple]) -> str:
    """A hand-made fct_enterprise_wave: (zone, section, group, dma_score, dii_score, weight)."""
    con.execute(
        "create table people (wave_id integer, zone_id varchar, industry_section varchar, "
        "industry_group varchar, size_class varchar, mode varchar, weight double, "
        "dma_score double, dma_level varchar, dii_score integer, dii_level varchar, "
        "dma_infrastructure_cloud double)"
    )
    for zone, section, group, dma, dii, weight in rows:
        dma_level = "basic" if dma <= 25 else "advanced" if dma >= 76 else "average"
        dii_level = "very_low" if dii <= 3 else "very_high" if dii >= 10 else "low"
        con.execute(
            "insert into people values (2020, ?, ?, ?, 'micro', 'paper', ?, ?, ?, ?, ?, ?)",
            [zone, section, group, weight, dma, dma_level, dii, dii_level, dma],
        )
    con.execute(
        "create table levels as select * from read_csv(?, header = true)",
        [str(DBT_PROJECT_DIR / "seeds" / "scoring_levels.csv")],
    )
    return "people"


def test_sample_composition_links_sections_and_groups() -> None:
    # E (1) is small; C (4) is the smallest other section and becomes its complement;
    # C is group manufacturing exactly, so manufacturing must go too (else C = it),
    # and then the other group, the only other group
    con = duckdb.connect()
    rows = [("Z1", "E", "other", 50.0, 5, 1.0)]
    rows += [("Z1", "C", "manufacturing", 50.0, 5, 1.0)] * 4
    rows += [("Z1", s, "other", 50.0, 5, 1.0) for s in ("M", "L") for _ in range(10)]
    people = enterprises(con, rows)
    from orchestration.disclosure import public_sample_composition

    counts = public_sample_composition(con, people, "composition", T)
    hidden = {
        (breakdown, category)
        for breakdown, category in con.execute(
            "select breakdown, category from composition where suppressed and zone_id = 'Z1'"
        ).fetchall()
    }
    # (E's relation with the other group and sections M, L takes L in the same pass)
    assert hidden == {
        ("industry_section", "E"),
        ("industry_section", "C"),
        ("industry_section", "L"),
        ("industry_group", "manufacturing"),
        ("industry_group", "other"),
    }
    assert counts.primary == 2  # E in Z1 and in ALL
    # the one zone's cells equal ALL's: they go together
    assert con.execute(
        "select count(*) from composition where suppressed and zone_id = 'ALL'"
    ).fetchone()[0] == len(hidden)
    assert (
        con.execute(
            "select n_enterprises_rounded from composition where category = 'M' and zone_id = 'Z1'"
        ).fetchone()[0]
        == 10
    )


def test_score_bins_levels_and_dimension_scores() -> None:
    from orchestration.disclosure import (
        public_dimension_scores,
        public_maturity_levels,
        public_score_distribution,
    )

    con = duckdb.connect()
    # ten enterprises at dma 100 / dii 12 (weight 1), ten at dma 50 / dii 5 (weight 3)
    rows = [("Z1", "C", "manufacturing", 100.0, 12, 1.0)] * 10
    rows += [("Z1", "C", "manufacturing", 50.0, 5, 3.0)] * 10
    people = enterprises(con, rows)
    public_score_distribution(con, people, "levels", "bins", T)
    bins = con.execute(
        "select measure, bin_low, bin_high, suppressed, n_enterprises_rounded from bins "
        "where zone_id = 'Z1' and n_enterprises_rounded <> 0 order by all"
    ).fetchall()
    assert bins == [
        ("dii", 5, 6, False, 10),
        ("dii", 12, 13, False, 10),  # one bin per integer, the maximum's holds just it
        ("dma", 50, 60, False, 10),
        ("dma", 90, 100, False, 10),  # the last dma bin is closed: 100 is in it
    ]
    grid = con.execute(
        "select measure, count(*), count(*) filter (where suppressed) from bins "
        "where zone_id = 'Z1' group by all order by all"
    ).fetchall()
    assert grid == [("dii", 13, 0), ("dma", 10, 0)]  # zero bins are shown, not withheld

    public_maturity_levels(con, people, "levels", "lv", T)
    levels = con.execute(
        "select level, suppressed, n_enterprises_rounded, weighted_share from lv "
        "where zone_id = 'Z1' and measure = 'dma' order by level"
    ).fetchall()
    # the zero levels are cells: suppressed, and so nothing is left to subtract from
    assert levels == [
        ("advanced", False, 10, 0.25),
        ("average", False, 10, 0.75),
        ("basic", True, None, None),
        ("moderately_advanced", True, None, None),
    ]

    public_dimension_scores(con, people, ("infrastructure_cloud", "not_a_column"), "ds", T)
    assert con.execute(
        "select zone_id, dimension, suppressed, n_enterprises_rounded, weighted_mean_score "
        "from ds order by all"
    ).fetchall() == [
        ("ALL", "infrastructure_cloud", False, 20, 62.5),
        ("Z1", "infrastructure_cloud", False, 20, 62.5),
    ]
