"""The site's zh/en labels: one `Labels` built from the marts, the codebook, scoring.yaml
and the dbt seeds, plus the bilingual text nodes the page configs carry them in."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from typing import Any

from dashboards import figures as fg
from dashboards.catalog import DIMENSION_WORDS, DOMAIN_ALL, POOLED_ZONE, UI, Text
from dashboards.data import MartData
from dashboards.figures import Spec
from dashboards.scoring import Scoring
from orchestration.codebook import Codebook
from orchestration.settings import DBT_PROJECT_DIR


class SiteLabelError(ValueError):
    """A label source lacks an id the site shows; the message is one line."""


@dataclass(frozen=True)
class Labels:
    """zh/en labels from the marts, the codebook, scoring.yaml and the dbt seeds."""

    indicators: dict[str, Text]
    zones: dict[str, Text]  # full names (hover, selectors)
    zone_short: dict[str, Text]  # axis labels: id and province
    domains: dict[str, Text]
    sections: dict[str, Text]
    sizes: dict[str, Text]
    modes: dict[str, Text]
    levels: dict[str, list[tuple[str, Text]]]  # measure -> (level, label) lowest first
    dimensions: list[tuple[str, Text]]


def _industry_groups() -> dict[str, Text]:
    path = DBT_PROJECT_DIR / "seeds" / "industry_groups.csv"
    with path.open(encoding="utf-8") as handle:
        return {
            r["industry_group"]: Text(r["label_en"], r["label_zh"]) for r in csv.DictReader(handle)
        }


def _split_label(label: str, sep: str) -> tuple[str, str] | None:
    head, found, tail = label.rpartition(sep)
    return (head, tail) if found else None


def _words(ids: list[str], words: dict[str, Text], what: str) -> list[tuple[str, Text]]:
    missing = [i for i in ids if i not in words]
    if missing:
        raise SiteLabelError(
            f"scoring.yaml: {what} {', '.join(missing)} have no words in dashboards/catalog.py"
        )
    return [(i, words[i]) for i in ids]


def text_or(value: Any, fallback: str) -> str:
    """`value` if it is a non-empty string, else `fallback` (mart text columns may be null)."""
    return value if isinstance(value, str) and value else fallback


def build_labels(marts: MartData, codebook: Codebook, scoring: Scoring) -> Labels:
    indicators = {}
    for row in marts.indicators.itertuples():
        en, zh = _split_label(row.label_en, ": "), _split_label(row.label_zh, "：")
        # "Question: option" labels break after the question so axis labels stay narrow.
        indicators[row.indicator_id] = Text(
            f"{en[0]}:\n{en[1]}" if en else row.label_en,
            f"{zh[0]}：\n{zh[1]}" if zh else row.label_zh,
        )
    zones, short = {POOLED_ZONE: UI["pooled"]}, {POOLED_ZONE: UI["pooled"]}
    for row in marts.zones.itertuples():
        zones[row.zone_id] = Text(
            text_or(row.zone_name_en, row.zone_id), text_or(row.zone_name_zh, row.zone_id)
        )
        # Full names run to 60 characters: axes show the id and the province instead,
        # the same kind of name in both languages (dim_zone has no Chinese city name).
        short[row.zone_id] = Text(
            f"{row.zone_id} {text_or(row.province_en, '')}".strip(),
            f"{row.zone_id} {text_or(row.province_zh, '')}".strip(),
        )
    sizes = {k: Text(v["en"], v["zh"]) for k, v in codebook.size_class_labels.items()}
    sizes = {k: sizes[k] for k in codebook.size_class_order}
    domains = {"all": DOMAIN_ALL, **_industry_groups(), **sizes}
    sections = {o.code: Text(o.en, o.zh) for o in codebook.item("A5_industry_section").options}
    modes = {o.code: Text(o.en, o.zh) for o in codebook.item("A12_mode").options}
    levels = {}
    for measure, spec in scoring.levels.items():
        levels[measure] = [
            (x.level, Text(f"{x.label_en} ({x.min}-{x.max})", f"{x.label_zh}（{x.min}-{x.max}）"))
            for x in spec
        ]
    dims = _words(list(scoring.dimensions), DIMENSION_WORDS, "dimensions")
    return Labels(indicators, zones, short, domains, sections, sizes, modes, levels, dims)


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
