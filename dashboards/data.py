"""Read what the dashboards need from the published analytics DB (read-only, schema marts).

Every aggregation runs inside DuckDB; Python only receives small tables. Count
cells of fewer than MIN_CELL enterprises come back flagged `suppressed` (the
same rule as the marts' disclosure control, dbt var min_cell_count).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from dashboards.catalog import DMA_DIMENSIONS, POOLED_ZONE

SCHEMA = "marts"
MIN_CELL = 3
DMA_BIN = 10  # width of the maturity-score histogram bins (points)


class DashboardDataError(RuntimeError):
    """The analytics DB cannot feed the dashboards; the message is one line."""


@dataclass(frozen=True)
class MartData:
    """The small, pre-aggregated tables every page is built from."""

    estimates: pd.DataFrame
    indicators: pd.DataFrame
    zones: pd.DataFrame
    waves: pd.DataFrame
    benchmarks: pd.DataFrame
    sections: pd.DataFrame  # wave, zone, industry_section, n, suppressed
    divisions: pd.DataFrame  # wave, zone, industry_division (manufacturers), n, suppressed
    size_classes: pd.DataFrame  # wave, zone, size_class, n, suppressed
    levels: pd.DataFrame  # wave, zone, measure, level, n, suppressed
    scores: pd.DataFrame  # wave, zone, measure, bin, n, suppressed
    dimensions: pd.DataFrame  # wave, zone, dimension, mean_score, n, suppressed
    transitions: pd.DataFrame
    delivery_quality: pd.DataFrame | None
    rejected_rules: pd.DataFrame | None


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute(
        "select table_name from information_schema.tables where table_schema = ?", [SCHEMA]
    ).fetchall()
    return {r[0] for r in rows}


def _pooled(select_by_zone: str, keys: str) -> str:
    """Counts per zone plus the same counts over all zones as zone `ALL`."""
    return f"""
        with per_zone as ({select_by_zone})
        select * from per_zone
        union all
        select wave_id, '{POOLED_ZONE}' as zone_id, {keys}, sum(n)::bigint as n
        from per_zone group by wave_id, {keys}
    """


def _flag_small(con: duckdb.DuckDBPyConnection, sql: str) -> pd.DataFrame:
    frame = con.execute(f"select *, n < {MIN_CELL} as suppressed from ({sql})").df()
    return frame


def _count_by(con: duckdb.DuckDBPyConnection, column: str, where: str = "true") -> pd.DataFrame:
    by_zone = f"""
        select wave_id, zone_id, {column}, count(*)::bigint as n
        from {SCHEMA}.fct_enterprise_wave where {where} and {column} is not null
        group by all
    """
    return _flag_small(con, _pooled(by_zone, column))


def _levels(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    by_zone = f"""
        select wave_id, zone_id, 'dma' as measure, dma_level as level, count(*)::bigint as n
        from {SCHEMA}.fct_enterprise_wave group by all
        union all
        select wave_id, zone_id, 'dii', dii_level, count(*)::bigint
        from {SCHEMA}.fct_enterprise_wave group by all
    """
    return _flag_small(con, _pooled(by_zone, "measure, level"))


def _scores(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    # dma bins: [0,10), ..., [90,100]; dii is an integer 0-12, one bin per value.
    by_zone = f"""
        select wave_id, zone_id, 'dma' as measure,
               least(floor(dma_score / {DMA_BIN}) * {DMA_BIN}, {100 - DMA_BIN})::int as bin,
               count(*)::bigint as n
        from {SCHEMA}.fct_enterprise_wave group by all
        union all
        select wave_id, zone_id, 'dii', dii_score, count(*)::bigint
        from {SCHEMA}.fct_enterprise_wave group by all
    """
    return _flag_small(con, _pooled(by_zone, "measure, bin"))


def _dimensions(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    columns = ", ".join(f"dma_{d} as {d}" for d in DMA_DIMENSIONS)
    sql = f"""
        with long as (
            unpivot (select wave_id, zone_id, {columns} from {SCHEMA}.fct_enterprise_wave)
            on {", ".join(DMA_DIMENSIONS)} into name dimension value score
        ),
        grouped as (
            select wave_id, coalesce(zone_id, '{POOLED_ZONE}') as zone_id, dimension,
                   avg(score) as mean_score, count(score)::bigint as n
            from long group by grouping sets ((wave_id, zone_id, dimension), (wave_id, dimension))
        )
        select *, n < 5 as suppressed from grouped
    """
    return con.execute(sql).df()


def _optional(con: duckdb.DuckDBPyConnection, tables: set[str], name: str) -> pd.DataFrame | None:
    if name not in tables:
        return None
    return con.execute(f"select * from {SCHEMA}.{name}").df()


def load_marts(analytics_db: Path) -> MartData:
    """Every table the site needs, read from `analytics_db` opened read-only."""
    if not analytics_db.is_file():
        raise DashboardDataError(f"{analytics_db}: no analytics DB (publish the marts first)")
    with duckdb.connect(str(analytics_db), read_only=True) as con:
        tables = _tables(con)
        required = {
            "fct_indicator_estimates",
            "dim_indicator",
            "dim_zone",
            "dim_wave",
            "dim_reference_benchmark",
            "fct_enterprise_wave",
            "fct_maturity_transitions",
        }
        missing = sorted(required - tables)
        if missing:
            raise DashboardDataError(f"{analytics_db}: schema marts lacks {', '.join(missing)}")
        estimates = con.execute(
            f"""select * replace (n_base::bigint as n_base, n_yes::bigint as n_yes)
                from {SCHEMA}.fct_indicator_estimates"""
        ).df()
        return MartData(
            estimates=estimates,
            indicators=con.execute(
                f"select * from {SCHEMA}.dim_indicator order by sort_order"
            ).df(),
            zones=con.execute(f"select * from {SCHEMA}.dim_zone order by zone_id").df(),
            waves=con.execute(f"select * from {SCHEMA}.dim_wave order by wave_id").df(),
            benchmarks=con.execute(f"select * from {SCHEMA}.dim_reference_benchmark").df(),
            sections=_count_by(con, "industry_section"),
            divisions=_count_by(con, "industry_division", "is_manufacturer"),
            size_classes=_count_by(con, "size_class"),
            levels=_levels(con),
            scores=_scores(con),
            dimensions=_dimensions(con),
            transitions=con.execute(
                f"""select * replace (n_enterprises::bigint as n_enterprises)
                    from {SCHEMA}.fct_maturity_transitions"""
            ).df(),
            delivery_quality=_optional(con, tables, "fct_delivery_quality"),
            rejected_rules=_optional(con, tables, "fct_rejected_rules"),
        )
