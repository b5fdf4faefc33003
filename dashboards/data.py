"""Read what the dashboards need from the published analytics DB (read-only, schema marts).

Every aggregation runs inside DuckDB; Python only receives small tables. Count
cells of fewer than MIN_CELL enterprises come back flagged `suppressed` (the
same rule as the marts' disclosure control, dbt var min_cell_count).

`cube()` packs a long table into dense arrays over named axes (the pages' data
format); `check_intervals()` proves the marts' estimates and intervals are what the
pages recompute from (n_base, n_yes), so only the two counts are shipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from dashboards.catalog import POOLED_ZONE
from dashboards.scoring import Scoring

SCHEMA = "marts"
MIN_CELL = 3
MIN_ZONE = 5  # fewer enterprises in a zone-wave: its level mix and dimension means hide
DMA_BIN = 10  # width of the maturity-score histogram bins (points)
WILSON_Z = 1.96  # dbt macro wilson_bound's default: the pages use the same
INTERVAL_TOLERANCE = 2e-6  # the marts round to 6 decimals
ESTIMATE_COLUMNS = ["wave_id", "zone_id", "domain", "domain_type", "indicator_id"]
ESTIMATE_COLUMNS += ["n_base", "n_yes", "estimate", "ci_low", "ci_high", "suppressed"]


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
    groups: pd.DataFrame  # wave, zone, industry_group (the report's groups), n, suppressed
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


def _dimensions(con: duckdb.DuckDBPyConnection, dimensions: tuple[str, ...]) -> pd.DataFrame:
    columns = ", ".join(f"dma_{d} as {d}" for d in dimensions)
    sql = f"""
        with long as (
            unpivot (select wave_id, zone_id, {columns} from {SCHEMA}.fct_enterprise_wave)
            on {", ".join(dimensions)} into name dimension value score
        ),
        grouped as (
            select wave_id, coalesce(zone_id, '{POOLED_ZONE}') as zone_id, dimension,
                   avg(score) as mean_score, count(score)::bigint as n
            from long group by grouping sets ((wave_id, zone_id, dimension), (wave_id, dimension))
        )
        select *, n < {MIN_ZONE} as suppressed from grouped
    """
    return con.execute(sql).df()


def _optional(con: duckdb.DuckDBPyConnection, tables: set[str], name: str) -> pd.DataFrame | None:
    if name not in tables:
        return None
    return con.execute(f"select * from {SCHEMA}.{name}").df()


def load_marts(analytics_db: Path, scoring: Scoring) -> MartData:
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
                from (select {", ".join(ESTIMATE_COLUMNS)} from {SCHEMA}.fct_indicator_estimates)"""
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
            groups=_count_by(con, "industry_group"),
            size_classes=_count_by(con, "size_class"),
            levels=_levels(con),
            scores=_scores(con),
            dimensions=_dimensions(con, scoring.dimensions),
            transitions=con.execute(
                f"""select * replace (n_enterprises::bigint as n_enterprises)
                    from {SCHEMA}.fct_maturity_transitions"""
            ).df(),
            delivery_quality=_optional(con, tables, "fct_delivery_quality"),
            rejected_rules=_optional(con, tables, "fct_rejected_rules"),
        )


def wilson(n_yes: np.ndarray, n_base: np.ndarray, z: float = WILSON_Z) -> tuple[np.ndarray, ...]:
    """95% Wilson score interval (the dbt macro `wilson_bound`), vectorized."""
    with np.errstate(divide="ignore", invalid="ignore"):
        p = n_yes / n_base
        centre = p + z * z / (2 * n_base)
        half = z * np.sqrt(p * (1 - p) / n_base + z * z / (4 * n_base * n_base))
        scale = 1 + z * z / n_base
        return p, np.maximum(0.0, (centre - half) / scale), np.minimum(1.0, (centre + half) / scale)


def check_intervals(estimates: pd.DataFrame, source: Path) -> None:
    """The pages draw estimate = n_yes / n_base and its Wilson interval: prove the marts agree."""
    shown = estimates[~estimates["suppressed"].astype(bool)]
    n_yes = shown["n_yes"].to_numpy(dtype=float)
    n_base = shown["n_base"].to_numpy(dtype=float)
    computed = wilson(n_yes, n_base)
    for name, values in zip(("estimate", "ci_low", "ci_high"), computed, strict=True):
        gap = np.abs(values - shown[name].to_numpy(dtype=float))
        if gap.size and not np.nanmax(gap) <= INTERVAL_TOLERANCE:
            raise DashboardDataError(
                f"{source}: fct_indicator_estimates.{name} is not the Wilson/ratio of "
                f"(n_yes, n_base) the pages recompute (max gap {np.nanmax(gap):.2g})"
            )


def cube(frame: pd.DataFrame, axes: dict[str, list], values: dict[str, str]) -> dict:
    """Dense, row-major arrays of `values` columns over `axes` (column -> ordered keys).

    Cells without a row are null; NaN values are null. Integer-valued columns stay
    integers in JSON. Returns {"axes": [...], "keys": {...}, "<name>": [...]}.
    """
    shape = tuple(len(keys) for keys in axes.values())
    codes = [pd.Categorical(frame[column], categories=keys).codes for column, keys in axes.items()]
    inside = np.logical_and.reduce([c >= 0 for c in codes]) if codes else np.ones(0, bool)
    flat = np.ravel_multi_index([c[inside] for c in codes], shape) if len(frame) else []
    out: dict = {"axes": list(axes), "keys": {k: list(v) for k, v in axes.items()}}
    for name, column in values.items():
        dense = np.full(int(np.prod(shape)), np.nan)
        dense[flat] = frame[column].to_numpy(dtype=float)[inside]
        out[name] = _json_numbers(dense)
    return out


def _json_numbers(values: np.ndarray) -> list:
    """Floats with NaN as None; whole numbers as ints (shorter JSON)."""
    missing = np.isnan(values)
    whole = np.all(np.mod(values[~missing], 1) == 0)
    cast = np.nan_to_num(values).astype(np.int64) if whole else np.round(values, 4)
    return np.where(missing, None, cast.astype(object)).tolist()
