"""Statistical disclosure control of the public release: pure functions on DuckDB.

The internal release (`analytics.duckdb`, `parquet/`) keeps the marts with their
counts for analysts under a confidentiality agreement. The public release
(`public/`) holds aggregate tables only, built here from that internal DB:

- primary suppression: a cell with a base under `min_base`, or fewer than
  `min_cell_count` enterprises on either side (yes / not yes, moved / did not),
  is suppressed. The thresholds are the dbt vars of dbt_project/dbt_project.yml,
  read from there, never retyped. For indicator estimates the flag is the mart's
  own `suppressed` column (dbt applies the rule); the transitions mart has no flag
  and the public grid adds its zero cells, so the same rule is applied here.
- secondary suppression: in every additive relation (a total and its parts, the
  total counting as a member) either no cell or at least two cells are suppressed,
  so no suppressed figure follows from one subtraction. Relations with exactly one
  suppressed member get their unsuppressed member with the smallest base
  suppressed too, in bulk, one SQL update per pass, until a pass changes nothing.
- a suppressed cell publishes no figure at all (every value column null); bases
  of published cells are rounded to a multiple of `ROUND_TO`; no numerator counts
  and no unweighted estimate (its Wilson interval gives the exact base back).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import yaml

from orchestration.settings import DBT_PROJECT_DIR

# Published bases are rounded to this: an exact base of a cell next to the
# rounded base of its total would give the difference back to the enterprise.
ROUND_TO = 5
MAX_PASSES = 1000  # a fixpoint is reached long before; a bound against a bug looping


@dataclass(frozen=True)
class Thresholds:
    min_base: int
    min_cell_count: int


def disclosure_thresholds(project_dir: Path = DBT_PROJECT_DIR) -> Thresholds:
    """The primary suppression thresholds: dbt vars `min_base`, `min_cell_count`."""
    config = yaml.safe_load((project_dir / "dbt_project.yml").read_text(encoding="utf-8"))
    variables = config["vars"]
    return Thresholds(int(variables["min_base"]), int(variables["min_cell_count"]))


def primary_rule(base: str, count: str, t: Thresholds) -> str:
    """SQL: true when the cell (`count` of `base`) is too small to publish.

    The same rule as fct_indicator_estimates.suppressed (dbt), for tables without it.
    """
    return (
        f"({base} < {t.min_base} or {count} < {t.min_cell_count}"
        f" or {base} - {count} < {t.min_cell_count})"
    )


def rounded(column: str) -> str:
    """SQL: `column` rounded to the nearest multiple of ROUND_TO (n/5 has no .5 ties)."""
    return f"cast(round({column} / {float(ROUND_TO)}) * {ROUND_TO} as bigint)"


def secondary_suppression(con: duckdb.DuckDBPyConnection, cells: str, members: str) -> int:
    """Suppress complementary cells until no relation has exactly one suppressed member.

    `cells(cell_id, base, suppressed)` is updated in place; `members(relation_id,
    cell_id)` lists the cells of each additive relation, its total included (a total
    that is public by construction, such as shares summing to 1, is simply not a
    member). Per pass and relation with one suppressed member, the unsuppressed member
    with the smallest base (then the smallest cell_id, for a deterministic result) is
    suppressed. Returns the number of cells suppressed here.
    """
    total = 0
    for _ in range(MAX_PASSES):
        changed = con.execute(
            f"""
            update {cells} set suppressed = true
            where cell_id in (
                with lonely as (
                    select m.relation_id
                    from {members} as m
                    inner join {cells} as c on m.cell_id = c.cell_id
                    group by m.relation_id
                    having count(*) filter (where c.suppressed) = 1
                ),
                candidates as (
                    select
                        m.cell_id,
                        row_number() over (
                            partition by m.relation_id order by c.base nulls last, c.cell_id
                        ) as pick
                    from {members} as m
                    inner join lonely on m.relation_id = lonely.relation_id
                    inner join {cells} as c on m.cell_id = c.cell_id
                    where not c.suppressed
                )
                select cell_id from candidates where pick = 1
            )
            """
        ).fetchone()[0]
        if not changed:  # a relation whose only other members are suppressed has no pick
            return total
        total += changed
    raise RuntimeError(f"{cells}: secondary suppression did not settle in {MAX_PASSES} passes")


@dataclass(frozen=True)
class SuppressionCounts:
    cells: int
    primary: int
    secondary: int

    @property
    def published(self) -> int:
        return self.cells - self.primary - self.secondary


def _counts(con: duckdb.DuckDBPyConnection, cells: str, secondary: int) -> SuppressionCounts:
    n, suppressed = con.execute(
        f"select count(*), count(*) filter (where suppressed) from {cells}"
    ).fetchone()
    return SuppressionCounts(cells=n, primary=suppressed - secondary, secondary=secondary)


# The figures of the public estimates, nulled together when a cell is suppressed.
ESTIMATE_KEYS = ("wave_id", "zone_id", "domain_type", "domain", "indicator_id")
ESTIMATE_VALUES = (
    "n_base_rounded",
    "weighted_estimate",
    "weighted_ci_low",
    "weighted_ci_high",
    "std_error",
    "cv",
    "quality_grade",
)


def public_indicator_estimates(
    con: duckdb.DuckDBPyConnection, source: str, target: str
) -> SuppressionCounts:
    """Create table `target` from the estimates mart `source` (primary flag from dbt)."""
    keys = ", ".join(ESTIMATE_KEYS)
    con.execute(
        f"""
        create temp table est_cells as
        select
            row_number() over (order by {keys}) as cell_id,
            {keys},
            n_base as base,
            coalesce(suppressed, true) as suppressed
        from {source}
        """
    )
    # zone vs ALL (ALL is the stratified sum of the zones) per wave x domain x
    # indicator; the breakdowns of each domain type vs domain `all` per wave x zone
    # x indicator (domain `all` is a member of one relation per domain type)
    con.execute(
        """
        create temp table est_members as
        select
            concat_ws('|', 'zones', wave_id, domain_type, domain, indicator_id) as relation_id,
            cell_id
        from est_cells
        union all
        select
            concat_ws('|', 'domains', parts.wave_id, parts.zone_id, parts.indicator_id,
                parts.domain_type) as relation_id,
            parts.cell_id
        from est_cells as parts
        where parts.domain_type != 'all'
        union all
        select distinct
            concat_ws('|', 'domains', total.wave_id, total.zone_id, total.indicator_id,
                parts.domain_type) as relation_id,
            total.cell_id
        from est_cells as total
        inner join est_cells as parts
            on total.wave_id = parts.wave_id
                and total.zone_id = parts.zone_id
                and total.indicator_id = parts.indicator_id
        where total.domain_type = 'all' and parts.domain_type != 'all'
        """
    )
    secondary = secondary_suppression(con, "est_cells", "est_members")
    figures = {
        "n_base_rounded": rounded("m.n_base"),
        **{v: f"m.{v}" for v in ESTIMATE_VALUES if v != "n_base_rounded"},
    }
    values = ", ".join(
        f"case when c.suppressed then null else {expr} end as {name}"
        for name, expr in figures.items()
    )
    key_select = ", ".join(f"c.{k}" for k in ESTIMATE_KEYS)
    join = " and ".join(f"m.{k} = c.{k}" for k in ESTIMATE_KEYS)
    con.execute(
        f"""
        create table {target} as
        select {key_select}, c.suppressed, {values}
        from est_cells as c
        inner join {source} as m on {join}
        order by c.cell_id
        """
    )
    counts = _counts(con, "est_cells", secondary)
    con.execute("drop table est_members")
    con.execute("drop table est_cells")
    return counts


TRANSITION_KEYS = ("zone_id", "wave_from", "wave_to", "measure", "level_from", "level_to")
TRANSITION_VALUES = (
    "n_level_from_rounded",
    "n_enterprises_rounded",
    "weighted_share_of_level_from",
    "std_error",
    "weighted_ci_low",
    "weighted_ci_high",
    "quality_grade",
)


def public_maturity_transitions(
    con: duckdb.DuckDBPyConnection, source: str, levels: str, target: str, t: Thresholds
) -> SuppressionCounts:
    """Create table `target` from the transitions mart `source` and the levels table.

    The mart holds observed moves only; the public table is the full grid of
    level_to for every (zone, wave pair, measure, level_from) with enterprises, so a
    zero is a cell like any other (fewer than min_cell_count moved: suppressed) and
    the rows shown do not tell where everyone went.
    """
    con.execute(
        f"""
        create temp table tr_grid as
        with groups as (
            select zone_id, wave_from, wave_to, measure, level_from,
                sum(n_enterprises) as n_level_from
            from {source}
            group by all
        )
        select
            groups.zone_id, groups.wave_from, groups.wave_to, groups.measure,
            groups.level_from, lv.level as level_to, groups.n_level_from,
            coalesce(m.n_enterprises, 0) as n_enterprises
        from groups
        inner join {levels} as lv on groups.measure = lv.measure
        left join {source} as m
            on groups.zone_id = m.zone_id and groups.wave_from = m.wave_from
                and groups.wave_to = m.wave_to and groups.measure = m.measure
                and groups.level_from = m.level_from and lv.level = m.level_to
        """
    )
    keys = ", ".join(TRANSITION_KEYS)
    con.execute(
        f"""
        create temp table tr_cells as
        select
            row_number() over (order by {keys}) as cell_id,
            {keys},
            n_enterprises as base,
            {primary_rule("n_level_from", "n_enterprises", t)} as suppressed
        from tr_grid
        """
    )
    # the level_to cells of one level_from (their shares add up to 1, public by
    # construction, so the total is no member); a zone's cell vs the ALL cell
    con.execute(
        """
        create temp table tr_members as
        select
            concat_ws('|', 'levels', zone_id, wave_from, wave_to, measure, level_from)
                as relation_id,
            cell_id
        from tr_cells
        union all
        select
            concat_ws('|', 'zones', wave_from, wave_to, measure, level_from, level_to)
                as relation_id,
            cell_id
        from tr_cells
        """
    )
    secondary = secondary_suppression(con, "tr_cells", "tr_members")
    figures = {
        "n_level_from_rounded": rounded("g.n_level_from"),
        "n_enterprises_rounded": rounded("g.n_enterprises"),
        # a published zero cell cannot happen (0 < min_cell_count), but stay exact
        "weighted_share_of_level_from": "coalesce(m.weighted_share_of_level_from, 0.0)",
        "std_error": "m.std_error",
        "weighted_ci_low": "m.weighted_ci_low",
        "weighted_ci_high": "m.weighted_ci_high",
        "quality_grade": "m.quality_grade",
    }
    values = ", ".join(
        f"case when c.suppressed then null else {expr} end as {name}"
        for name, expr in figures.items()
    )
    key_select = ", ".join(f"c.{k}" for k in TRANSITION_KEYS)
    on_grid = " and ".join(f"g.{k} = c.{k}" for k in TRANSITION_KEYS)
    on_mart = " and ".join(f"m.{k} = c.{k}" for k in TRANSITION_KEYS)
    # comparability is a property of the wave pair and measure, not of the cell
    con.execute(
        f"""
        create table {target} as
        with comparability as (
            select distinct wave_from, wave_to, measure, is_comparable, comparability
            from {source}
        )
        select
            {key_select},
            case
                when lt.level_rank > lf.level_rank then 'up'
                when lt.level_rank < lf.level_rank then 'down'
                else 'same'
            end as movement,
            k.is_comparable,
            k.comparability,
            c.suppressed,
            {values}
        from tr_cells as c
        inner join tr_grid as g on {on_grid}
        left join {source} as m on {on_mart}
        left join {levels} as lf on c.measure = lf.measure and c.level_from = lf.level
        left join {levels} as lt on c.measure = lt.measure and c.level_to = lt.level
        left join comparability as k
            on c.wave_from = k.wave_from and c.wave_to = k.wave_to and c.measure = k.measure
        order by c.cell_id
        """
    )
    counts = _counts(con, "tr_cells", secondary)
    for scratch in ("tr_members", "tr_cells", "tr_grid"):
        con.execute(f"drop table {scratch}")
    return counts
