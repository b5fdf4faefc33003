"""The wave report page: the 2020 report's figures for one wave and zone, with the
external benchmark; its chunks `report/<wave>` carry only the indicators it shows."""

from __future__ import annotations

import html
from typing import Any

from dashboards import figures as fg
from dashboards.catalog import REPORT_FIGURES, UI
from dashboards.data import PublicData, cube
from dashboards.labels import Labels, nodes
from dashboards.pages import ESTIMATE_VALUES, Page, counts_of
from dashboards.selectors import (
    DEFAULT_ZONE,
    lang_selector,
    wave_selector,
    waves,
    zone_axis,
    zone_selector,
)


def _report_indicators() -> tuple[list[str], list[str]]:
    ids = list(dict.fromkeys(i for f in REPORT_FIGURES for i in f.indicators))
    domains = list(dict.fromkeys(d for f in REPORT_FIGURES for d in f.domains))
    return ids, domains


def report_chunks(data: PublicData) -> dict[str, Any]:
    """Per wave: report indicators x domains x zones, and the industry and size counts."""
    ids, domains = _report_indicators()
    zones = zone_axis(data)
    est = data.estimates[data.estimates["indicator_id"].isin(ids)]
    counts = counts_of(data.composition)
    breakdowns = {"sections": "industry_section", "groups": "industry_group", "sizes": "size_class"}
    chunks = {}
    for wave in waves(data):
        body = {
            "est": cube(
                est[est["wave_id"] == wave],
                {"indicator_id": ids, "domain": domains, "zone_id": zones},
                ESTIMATE_VALUES,
            )
        }
        for name, breakdown in breakdowns.items():
            part = counts[(counts["wave_id"] == wave) & (counts["breakdown"] == breakdown)]
            keys = sorted(part["category"].dropna().unique().tolist())
            body[name] = cube(part, {"zone_id": zones, "category": keys}, {"n": "n", "h": "hidden"})
        chunks[f"report/{wave}"] = body
    return chunks


def report_page(data: PublicData, labels: Labels) -> Page:
    ids, _ = _report_indicators()
    panels = []
    for f in REPORT_FIGURES:
        if f.kind == "industry":
            template = fg.two_panel_template(
                f.title, (UI["sections"], UI["groups"]), right_share=False
            )
        elif f.kind == "size":
            template = fg.two_panel_template(
                f.title, (UI["size_classes"], UI["size_flags"]), right_share=True
            )
        else:
            template = fg.bars_template(f.title)
        panels.append(
            {
                "id": f.fig_id,
                "kind": f.kind,
                "chunk": "report/{wave}",
                "indicators": list(f.indicators),
                "domains": list(f.domains),
                "template": template,
            }
        )
    bench = data.benchmarks
    config = {
        "labels": {
            "indicators": nodes({i: labels.indicators[i] for i in ids}),
            "domains": nodes(labels.domains),
            "sections": nodes(labels.sections),
            "sizes": nodes(labels.sizes),
        },
        "benchmark": {
            "indicators": bench["indicator_id"].tolist(),
            "share": bench["share"].astype(float).tolist(),
            "source": html.escape(
                f"{bench['source_en'].iloc[0]} {bench['survey_year'].iloc[0]}" if len(bench) else ""
            ),
        },
    }
    selectors = [
        wave_selector(data),
        zone_selector(data, labels, DEFAULT_ZONE),
        lang_selector(),
    ]
    return Page("report", selectors, panels, config, report_chunks(data))
