"""Read what the dashboards show from a release's public folder, and nothing else.

The site is a public product: every figure, label and threshold it shows is a value
of `<release>/public/*.parquet` (orchestration/public_release.py writes them, with
disclosure control). No statistic is recomputed here or in the pages' scripts:
suppressed cells arrive without figures and stay without.

`cube()` packs a long table into dense arrays over named axes (the pages' data
format), copying values as they are published.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

# The public tables the pages read; the site cannot be built without any of them.
REQUIRED = (
    "public_indicator_estimates",
    "public_sample_composition",
    "public_maturity_levels",
    "public_score_distribution",
    "public_dimension_scores",
    "public_maturity_transitions",
    "public_parameters",
    "dim_indicator",
    "dim_indicator_break",
    "dim_zone",
    "dim_wave",
    "dim_domain",
    "dim_level",
    "dim_category",
    "dim_dimension",
    "dim_reference_benchmark",
)
# Published only when the release has the quality marts; the quality page says so otherwise.
OPTIONAL = ("public_delivery_quality", "public_rejected_rules")


class DashboardDataError(RuntimeError):
    """The public release cannot feed the dashboards; the message is one line."""


@dataclass(frozen=True)
class PublicData:
    """The public tables every page is built from, as published."""

    folder: Path
    estimates: pd.DataFrame
    composition: pd.DataFrame
    levels: pd.DataFrame
    scores: pd.DataFrame
    dimensions: pd.DataFrame
    transitions: pd.DataFrame
    parameters: dict[str, float]
    indicators: pd.DataFrame
    indicator_breaks: pd.DataFrame
    zones: pd.DataFrame
    waves: pd.DataFrame
    domains: pd.DataFrame
    level_labels: pd.DataFrame
    categories: pd.DataFrame
    dimension_labels: pd.DataFrame
    benchmarks: pd.DataFrame
    pooled_zone: str  # zone_id of the rows pooled over all zones (dim_zone.is_pooled)
    delivery_quality: pd.DataFrame | None
    rejected_rules: pd.DataFrame | None


def _read(con: duckdb.DuckDBPyConnection, path: Path) -> pd.DataFrame:
    return con.execute("select * from read_parquet(?)", [str(path)]).df()


def load_public(folder: Path) -> PublicData:
    """Every public table the site needs, read from `folder` (a release's `public/`)."""
    if not folder.is_dir():
        raise DashboardDataError(f"{folder}: no public release folder (publish first)")
    missing = [name for name in REQUIRED if not (folder / f"{name}.parquet").is_file()]
    if missing:
        raise DashboardDataError(f"{folder}: the public release lacks {', '.join(missing)}")
    with duckdb.connect() as con:
        t = {name: _read(con, folder / f"{name}.parquet") for name in REQUIRED}
        optional = {
            name: _read(con, folder / f"{name}.parquet")
            if (folder / f"{name}.parquet").is_file()
            else None
            for name in OPTIONAL
        }
    zones = t["dim_zone"]
    flags = zones["is_pooled"] if "is_pooled" in zones else pd.Series(False, index=zones.index)
    pooled = zones["zone_id"][flags.fillna(False).astype(bool)].tolist()
    if len(pooled) != 1:
        raise DashboardDataError(f"{folder}: dim_zone marks no single pooled zone (is_pooled)")
    params = t["public_parameters"]
    parameters = dict(zip(params["name"], params["value"], strict=True))
    return PublicData(
        folder=folder,
        estimates=t["public_indicator_estimates"],
        composition=t["public_sample_composition"],
        levels=t["public_maturity_levels"],
        scores=t["public_score_distribution"],
        dimensions=t["public_dimension_scores"],
        transitions=t["public_maturity_transitions"],
        parameters={str(k): float(v) for k, v in parameters.items()},
        indicators=t["dim_indicator"].sort_values("sort_order", kind="stable"),
        indicator_breaks=t["dim_indicator_break"].sort_values(["indicator_id", "wave_id"]),
        zones=zones,
        waves=t["dim_wave"].sort_values("wave_id"),
        domains=t["dim_domain"],
        level_labels=t["dim_level"].sort_values(["measure", "level_rank"]),
        categories=t["dim_category"].sort_values(["breakdown", "sort_order"], kind="stable"),
        dimension_labels=t["dim_dimension"].sort_values("sort_order", kind="stable"),
        benchmarks=t["dim_reference_benchmark"],
        pooled_zone=str(pooled[0]),
        delivery_quality=optional["public_delivery_quality"],
        rejected_rules=optional["public_rejected_rules"],
    )


def cube(frame: pd.DataFrame, axes: dict[str, list], values: dict[str, str]) -> dict:
    """Dense, row-major arrays of `values` columns over `axes` (column -> ordered keys).

    Cells without a row are null; NaN values are null; values are copied as published
    (whole numbers as ints, for shorter JSON). Returns {"axes": [...], "keys": {...},
    "<name>": [...]}.
    """
    shape = tuple(len(keys) for keys in axes.values())
    codes = [pd.Categorical(frame[column], categories=keys).codes for column, keys in axes.items()]
    inside = np.logical_and.reduce([c >= 0 for c in codes]) if codes else np.ones(0, bool)
    flat = np.ravel_multi_index([c[inside] for c in codes], shape) if len(frame) else []
    out: dict = {"axes": list(axes), "keys": {k: list(v) for k, v in axes.items()}}
    for name, column in values.items():
        series = frame[column]
        if pd.api.types.is_string_dtype(series) or series.dtype == object:
            dense_text = np.full(int(np.prod(shape)), None, dtype=object)
            dense_text[flat] = series.where(series.notna(), None).to_numpy(dtype=object)[inside]
            out[name] = dense_text.tolist()
            continue
        dense = np.full(int(np.prod(shape)), np.nan)
        dense[flat] = series.astype(float).to_numpy()[inside]
        out[name] = json_numbers(dense)
    return out


def json_numbers(values: np.ndarray) -> list:
    """Floats with NaN as None; whole numbers as ints (shorter JSON); never rounded."""
    missing = np.isnan(values)
    whole = np.all(np.mod(values[~missing], 1) == 0)
    cast = np.nan_to_num(values).astype(np.int64) if whole else values
    return np.where(missing, None, cast.astype(object)).tolist()
