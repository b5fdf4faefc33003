"""The site's zh/en labels: one `Labels` built from the public release's dimension
tables (dim_indicator, dim_zone, dim_domain, dim_category, dim_level, dim_dimension),
plus the bilingual text nodes the page configs carry them in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from dashboards import figures as fg
from dashboards.catalog import Text
from dashboards.data import PublicData
from dashboards.figures import Spec


class SiteLabelError(ValueError):
    """A label table lacks an id the site shows; the message is one line."""


@dataclass(frozen=True)
class Labels:
    """zh/en labels from the public dimension tables."""

    indicators: dict[str, Text]
    zones: dict[str, Text]  # full names (hover, selectors)
    zone_short: dict[str, Text]  # axis labels: id and province
    domains: dict[str, Text]
    sections: dict[str, Text]
    sizes: dict[str, Text]
    modes: dict[str, Text]
    measures: dict[str, Text]
    levels: dict[str, list[tuple[str, Text]]]  # measure -> (level, label) lowest first
    dimensions: list[tuple[str, Text]]


def _split_label(label: str, sep: str) -> tuple[str, str] | None:
    head, found, tail = label.rpartition(sep)
    return (head, tail) if found else None


def text_or(value: Any, fallback: str) -> str:
    """`value` if it is a non-empty string, else `fallback` (label columns may be null)."""
    return value if isinstance(value, str) and value else fallback


def _texts(frame: pd.DataFrame, key: str) -> dict[str, Text]:
    return {
        str(getattr(r, key)): Text(
            text_or(r.label_en, str(getattr(r, key))), text_or(r.label_zh, "")
        )
        for r in frame.itertuples()
    }


def _category(data: PublicData, breakdown: str) -> dict[str, Text]:
    return _texts(data.categories[data.categories["breakdown"] == breakdown], "category")


def build_labels(data: PublicData) -> Labels:
    indicators = {}
    for row in data.indicators.itertuples():
        en, zh = _split_label(row.label_en, ": "), _split_label(row.label_zh, "：")
        # "Question: option" labels break after the question so axis labels stay narrow.
        indicators[row.indicator_id] = Text(
            f"{en[0]}:\n{en[1]}" if en else row.label_en,
            f"{zh[0]}：\n{zh[1]}" if zh else row.label_zh,
        )
    zones: dict[str, Text] = {}
    short: dict[str, Text] = {}
    for row in data.zones.itertuples():
        zones[row.zone_id] = Text(
            text_or(row.zone_name_en, row.zone_id), text_or(row.zone_name_zh, row.zone_id)
        )
        # Full names run to 60 characters: axes show the id and the province instead,
        # the same kind of name in both languages (dim_zone has no Chinese city name).
        short[row.zone_id] = (
            zones[row.zone_id]
            if row.zone_id == data.pooled_zone
            else Text(
                f"{row.zone_id} {text_or(row.province_en, '')}".strip(),
                f"{row.zone_id} {text_or(row.province_zh, '')}".strip(),
            )
        )
    domains = _texts(data.domains, "domain")  # published in display order
    levels: dict[str, list[tuple[str, Text]]] = {}
    measures: dict[str, Text] = {}
    for row in data.level_labels.itertuples():
        lo, hi = f"{row.min_score:g}", f"{row.max_score:g}"
        levels.setdefault(row.measure, []).append(
            (row.level, Text(f"{row.label_en} ({lo}-{hi})", f"{row.label_zh}（{lo}-{hi}）"))
        )
        measures[row.measure] = Text(row.measure_label_en, row.measure_label_zh)
    dims = list(_texts(data.dimension_labels, "dimension").items())
    if not dims:
        raise SiteLabelError(f"{data.folder}: dim_dimension is empty")
    return Labels(
        indicators,
        zones,
        short,
        domains,
        _category(data, "industry_section"),
        _category(data, "size_class"),
        _category(data, "mode"),
        measures,
        levels,
        dims,
    )


def nodes(labels: dict[str, Text]) -> dict[str, Spec]:
    """Labels as bilingual text nodes, the form page configs carry them in."""
    return {k: fg.t(v) for k, v in labels.items()}


def zone_nodes(labels: Labels, zones: list[str]) -> dict[str, Spec]:
    """Per zone its axis label (`short`) and full name (`name`, for hovers)."""
    return {
        z: {"short": fg.t(labels.zone_short.get(z, Text(z, z))), "name": fg.t(labels.zones[z])}
        for z in zones
    }


def level_nodes(labels: Labels) -> dict[str, list[list[Any]]]:
    """Per measure its levels, lowest first, as [level, text node] pairs."""
    return {m: [[lv, fg.t(x)] for lv, x in v] for m, v in labels.levels.items()}
