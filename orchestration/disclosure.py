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

from orchestration.dbt_vars import dbt_vars, pooled_zone_id
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
    variables = dbt_vars(project_dir / "dbt_project.yml")
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


# Width of the bins of the public score distribution of the maturity score (dma,
# 0-100): the one place it is set (public_parameters.score_bin_width_dma). The
# digital intensity index (dii) is an integer count: one bin per value.
SCORE_BIN_WIDTH_DMA = 10


def _suppress_cells(
    con: duckdb.DuckDBPyConnection,
    prefix: str,
    order: tuple[str, ...],
    primary: str,
    relations: dict[str, tuple[str, ...]],
    more_members: str | None = None,
) -> int:
    """Cells `{prefix}_cells` of the grid `{prefix}_grid`, primary flag, secondary pass.

    The grid has a column `n` (enterprises of the cell, the base the complement is
    chosen by) and the key columns; `primary` is SQL on the grid's columns; each
    relation is the rows sharing the values of its columns (its total no member:
    published by construction or not at all); `more_members`, SQL giving
    (relation_id, cell_id) rows, adds relations of another shape. Returns the
    secondary count.
    """
    con.execute(
        f"""
        create temp table {prefix}_cells as
        select row_number() over (order by {", ".join(order)}) as cell_id, *,
            n as base, {primary} as suppressed
        from {prefix}_grid
        """
    )
    members = " union all ".join(
        f"select concat_ws('|', '{name}', {', '.join(by)}) as relation_id, cell_id "
        f"from {prefix}_cells"
        for name, by in relations.items()
    )
    if more_members:
        members += f" union all {more_members}"
    con.execute(f"create temp table {prefix}_members as {members}")
    return secondary_suppression(con, f"{prefix}_cells", f"{prefix}_members")


def _publish_cells(
    con: duckdb.DuckDBPyConnection,
    prefix: str,
    keys: tuple[str, ...],
    figures: dict[str, str],
    target: str,
    secondary: int,
) -> SuppressionCounts:
    """Create `target`: keys, suppressed, figures (SQL on the cells) null where suppressed."""
    values = ", ".join(
        f"case when suppressed then null else {expr} end as {name}"
        for name, expr in figures.items()
    )
    con.execute(
        f"create table {target} as select {', '.join(keys)}, suppressed, {values} "
        f"from {prefix}_cells order by cell_id"
    )
    counts = _counts(con, f"{prefix}_cells", secondary)
    for scratch in ("members", "cells", "grid"):
        con.execute(f"drop table {prefix}_{scratch}")
    return counts


def _with_pooled(per_zone: str, keys: str, sums: str) -> str:
    """SQL: the rows of `per_zone` and their sums over the zones as the pooled zone."""
    return (
        f"select * from {per_zone} union all "
        f"select wave_id, '{pooled_zone_id()}' as zone_id, {keys}, {sums} "
        f"from {per_zone} group by all"
    )


def _measures(con: duckdb.DuckDBPyConnection, levels: str) -> list[str]:
    query = f"select distinct measure from {levels} order by 1"
    return [r[0] for r in con.execute(query).fetchall()]


# The columns of fct_enterprise_wave the sample composition breaks the sample by.
COMPOSITION_BREAKDOWNS = ("industry_section", "industry_group", "size_class", "mode")
COMPOSITION_KEYS = ("wave_id", "zone_id", "breakdown", "category")
COMPOSITION_VALUES = ("n_enterprises_rounded",)


def public_sample_composition(
    con: duckdb.DuckDBPyConnection, source: str, target: str, t: Thresholds
) -> SuppressionCounts:
    """Create `target`: enterprises per wave x zone (ALL pooled) x breakdown x category.

    Categories nobody is in are no rows. Primary: fewer than min_cell_count
    enterprises. Relations: the categories of one breakdown (their total is the
    zone's sample), a zone vs ALL.
    """
    available = {r[0] for r in con.execute(f"describe {source}").fetchall()}
    long = " union all ".join(
        f"select wave_id, zone_id, '{b}' as breakdown, cast({b} as varchar) as category "
        f"from {source} where {b} is not null"
        for b in COMPOSITION_BREAKDOWNS
        if b in available  # a breakdown the mart lacks (an older build) is left out
    )
    con.execute(
        f"""
        create temp table comp_zone as
        select wave_id, zone_id, breakdown, category, count(*) as n
        from ({long}) group by all
        """
    )
    con.execute(
        "create temp table comp_grid as "
        + _with_pooled("comp_zone", "breakdown, category", "cast(sum(n) as bigint)")
    )
    con.execute("drop table comp_zone")
    _industry_links(con, source, {"industry_section", "industry_group"} <= available)
    secondary = _suppress_cells(
        con,
        "comp",
        ("wave_id", f"zone_id = '{pooled_zone_id()}'", "zone_id", "breakdown", "category"),
        f"n < {t.min_cell_count}",
        {
            "categories": ("wave_id", "zone_id", "breakdown"),
            "zones": ("wave_id", "breakdown", "category"),
        },
        """
        select concat_ws('|', 'industries', c.wave_id, c.zone_id, links.label) as relation_id,
            c.cell_id
        from comp_cells as c
        inner join comp_links as links
            on c.wave_id = links.wave_id and c.zone_id = links.zone_id
                and c.breakdown = links.breakdown and c.category = links.category
        """,
    )
    con.execute("drop table comp_links")
    return _publish_cells(
        con, "comp", COMPOSITION_KEYS, {"n_enterprises_rounded": rounded("n")}, target, secondary
    )


def _industry_links(con: duckdb.DuckDBPyConnection, source: str, linked: bool) -> None:
    """`comp_links(wave_id, zone_id, breakdown, category, label)`: industry sections and
    groups linked through the enterprises, per wave x zone (ALL: pooled).

    An industry group is a union of sections or of parts of them (manufacturing is
    section C; software_it and telecom_or_trade share section I). In each connected
    component of the section-group graph of a wave x zone, the sections and the groups
    count the same enterprises, so its cells form one more additive relation (labelled
    by the component's smallest node): without it, section C would be group
    manufacturing's figure whenever one of the two is withheld and the other not.
    Without both columns (`linked` false) there are no links.
    """
    if not linked:
        con.execute(
            "create temp table comp_links (wave_id integer, zone_id varchar, "
            "breakdown varchar, category varchar, label varchar)"
        )
        return
    con.execute(
        f"""
        create temp table comp_edges as
        with edges as (
            select distinct wave_id, zone_id, industry_section as section,
                industry_group as grp
            from {source}
            where industry_section is not null and industry_group is not null
        )
        select * from edges
        union
        select distinct wave_id, '{pooled_zone_id()}', section, grp from edges
        """
    )
    con.execute(
        """
        create temp table comp_links as
        select distinct wave_id, zone_id, 'industry_section' as breakdown,
            section as category, 's:' || section as label
        from comp_edges
        union all
        select distinct wave_id, zone_id, 'industry_group', grp, 'g:' || grp
        from comp_edges
        """
    )
    for _ in range(MAX_PASSES):  # label propagation: every node takes its smallest neighbour's
        changed = con.execute(
            """
            update comp_links set label = smaller.label
            from (
                select node.wave_id, node.zone_id, node.breakdown, node.category,
                    min(other.label) as label
                from comp_links as node
                inner join comp_edges as e
                    on node.wave_id = e.wave_id and node.zone_id = e.zone_id
                        and node.category = case node.breakdown
                            when 'industry_section' then e.section else e.grp end
                inner join comp_links as other
                    on other.wave_id = e.wave_id and other.zone_id = e.zone_id
                        and other.breakdown <> node.breakdown
                        and other.category = case other.breakdown
                            when 'industry_section' then e.section else e.grp end
                group by all
            ) as smaller
            where comp_links.wave_id = smaller.wave_id and comp_links.zone_id = smaller.zone_id
                and comp_links.breakdown = smaller.breakdown
                and comp_links.category = smaller.category
                and smaller.label < comp_links.label
            """
        ).fetchone()[0]
        if not changed:
            con.execute("drop table comp_edges")
            return
    raise RuntimeError(f"industry links did not settle in {MAX_PASSES} passes")


LEVEL_KEYS = ("wave_id", "zone_id", "measure", "level")
LEVEL_VALUES = ("n_enterprises_rounded", "n_base_rounded", "weighted_share")


def public_maturity_levels(
    con: duckdb.DuckDBPyConnection, source: str, levels: str, target: str, t: Thresholds
) -> SuppressionCounts:
    """Create `target`: enterprises and weighted share per wave x zone x measure x level.

    The full grid of the levels of `levels` (measure, level, level_rank) for every
    wave x zone with enterprises; the level of an enterprise is the column
    `<measure>_level` of `source`. Primary: fewer than min_cell_count enterprises at
    the level or not at it (of N, the enterprises of the wave x zone). Relations:
    the levels of one measure (shares add up to 1), a zone vs ALL.
    """
    long = " union all ".join(
        f"select wave_id, zone_id, '{m}' as measure, {m}_level as level, weight from {source}"
        for m in _measures(con, levels)
    )
    con.execute(
        f"""
        create temp table lv_zone as
        with totals as (
            select wave_id, zone_id, count(*) as n_total, sum(weight) as w_total
            from {source} group by all
        ),
        observed as (
            select wave_id, zone_id, measure, level, count(*) as n, sum(weight) as w
            from ({long}) where level is not null group by all
        )
        select totals.wave_id, totals.zone_id, lv.measure, lv.level,
            totals.n_total, totals.w_total,
            coalesce(observed.n, 0) as n, coalesce(observed.w, 0.0) as w
        from totals
        cross join {levels} as lv
        left join observed
            on totals.wave_id = observed.wave_id and totals.zone_id = observed.zone_id
                and lv.measure = observed.measure and lv.level = observed.level
        """
    )
    con.execute(
        f"""
        create temp table lv_grid as
        with cells as (
            {
            _with_pooled(
                "lv_zone",
                "measure, level",
                "cast(sum(n_total) as bigint), sum(w_total), cast(sum(n) as bigint), sum(w)",
            )
        }
        )
        select cells.*, lv.level_rank
        from cells inner join {levels} as lv
            on cells.measure = lv.measure and cells.level = lv.level
        """
    )
    con.execute("drop table lv_zone")
    secondary = _suppress_cells(
        con,
        "lv",
        ("wave_id", f"zone_id = '{pooled_zone_id()}'", "zone_id", "measure", "level_rank"),
        f"(n < {t.min_cell_count} or n_total - n < {t.min_cell_count})",
        {
            "levels": ("wave_id", "zone_id", "measure"),
            "zones": ("wave_id", "measure", "level"),
        },
    )
    figures = {
        "n_enterprises_rounded": rounded("n"),
        # the zone-wave's enterprises: the base the shares are of
        "n_base_rounded": rounded("n_total"),
        "weighted_share": "w / nullif(w_total, 0)",
    }
    return _publish_cells(con, "lv", LEVEL_KEYS, figures, target, secondary)


SCORE_KEYS = ("wave_id", "zone_id", "measure", "bin_low", "bin_high")
SCORE_VALUES = ("n_enterprises_rounded",)


def public_score_distribution(
    con: duckdb.DuckDBPyConnection, source: str, levels: str, target: str, t: Thresholds
) -> SuppressionCounts:
    """Create `target`: enterprises per wave x zone x measure x score bin, the full grid.

    Bins [bin_low, bin_high) from 0 up to the measure's highest score (max_score of
    `levels`), the score being the column `<measure>_score` of `source`: an integer
    score (dii) one bin per value, the maximum's bin holding just it; a continuous one
    (dma) bins of SCORE_BIN_WIDTH_DMA, the last closed ([90, 100]). Primary: 1 to
    min_cell_count - 1 enterprises (a zero says nothing about anyone and is shown).
    Relations: the bins of one measure (their total is the zone's sample), a zone vs
    ALL.
    """
    kinds = {r[0]: r[1] for r in con.execute(f"describe {source}").fetchall()}
    tops = dict(
        con.execute(f"select measure, max(max_score) from {levels} group by all").fetchall()
    )
    specs = []
    for measure in _measures(con, levels):
        score, top = f"{measure}_score", int(tops[measure])
        integer = kinds.get(score, "").upper() in ("INTEGER", "BIGINT", "SMALLINT", "TINYINT")
        width = 1 if integer else SCORE_BIN_WIDTH_DMA
        n_bins = top // width + 1 if integer else -(-top // width)
        specs.append((measure, score, width, n_bins))
    bins = " union all ".join(
        f"select '{m}' as measure, range * {w} as bin_low, range * {w} + {w} as bin_high "
        f"from range({n})"
        for m, _, w, n in specs
    )
    scored = " union all ".join(
        f"select wave_id, zone_id, '{m}' as measure, "
        f"cast(least(floor({s} / {w}) * {w}, {(n - 1) * w}) as bigint) as bin_low "
        f"from {source} where {s} is not null"
        for m, s, w, n in specs
    )
    con.execute(
        f"""
        create temp table sc_zone as
        with bins as ({bins}),
        wave_zones as (select distinct wave_id, zone_id from {source}),
        observed as (
            select wave_id, zone_id, measure, bin_low, count(*) as n from ({scored}) group by all
        )
        select wz.wave_id, wz.zone_id, bins.measure,
            cast(bins.bin_low as integer) as bin_low, cast(bins.bin_high as integer) as bin_high,
            coalesce(observed.n, 0) as n
        from wave_zones as wz
        cross join bins
        left join observed
            on wz.wave_id = observed.wave_id and wz.zone_id = observed.zone_id
                and bins.measure = observed.measure and bins.bin_low = observed.bin_low
        """
    )
    con.execute(
        "create temp table sc_grid as "
        + _with_pooled("sc_zone", "measure, bin_low, bin_high", "cast(sum(n) as bigint)")
    )
    con.execute("drop table sc_zone")
    secondary = _suppress_cells(
        con,
        "sc",
        ("wave_id", f"zone_id = '{pooled_zone_id()}'", "zone_id", "measure", "bin_low"),
        f"(n > 0 and n < {t.min_cell_count})",
        {
            "bins": ("wave_id", "zone_id", "measure"),
            "zones": ("wave_id", "measure", "bin_low"),
        },
    )
    return _publish_cells(
        con, "sc", SCORE_KEYS, {"n_enterprises_rounded": rounded("n")}, target, secondary
    )


DIMENSION_KEYS = ("wave_id", "zone_id", "dimension")
DIMENSION_VALUES = ("n_enterprises_rounded", "weighted_mean_score")


def public_dimension_scores(
    con: duckdb.DuckDBPyConnection,
    source: str,
    dimensions: tuple[str, ...],
    target: str,
    t: Thresholds,
) -> SuppressionCounts:
    """Create `target`: weighted mean score per wave x zone x DMA dimension.

    A dimension's score is the column `dma_<dimension>` of `source` (a dimension
    without its column is left out); the mean is over the enterprises with a score,
    weighted by `weight`. Primary: fewer than min_base enterprises with a score.
    Relation: a zone vs ALL.
    """
    available = {r[0] for r in con.execute(f"describe {source}").fetchall()}
    kept = [(k, d) for k, d in enumerate(dimensions, start=1) if f"dma_{d}" in available]
    long = " union all ".join(
        f"select wave_id, zone_id, '{d}' as dimension, {k} as sort_order, "
        f"dma_{d} as score, weight from {source}"
        for k, d in kept
    )
    con.execute(
        f"""
        create temp table dim_zone_sums as
        select wave_id, zone_id, dimension, sort_order,
            count(score) as n,
            sum(weight * score) filter (where score is not null) as w_score,
            sum(weight) filter (where score is not null) as w
        from ({long}) group by all
        """
    )
    con.execute(
        "create temp table ds_grid as "
        + _with_pooled(
            "dim_zone_sums",
            "dimension, sort_order",
            "cast(sum(n) as bigint), sum(w_score), sum(w)",
        )
    )
    con.execute("drop table dim_zone_sums")
    secondary = _suppress_cells(
        con,
        "ds",
        ("wave_id", f"zone_id = '{pooled_zone_id()}'", "zone_id", "sort_order"),
        f"n < {t.min_base}",
        {"zones": ("wave_id", "dimension")},
    )
    figures = {
        "n_enterprises_rounded": rounded("n"),
        "weighted_mean_score": "w_score / nullif(w, 0)",
    }
    return _publish_cells(con, "ds", DIMENSION_KEYS, figures, target, secondary)
