"""The wave report page: the 2020 report's figures for one wave and zone, with the
external benchmark; its chunks `report/<wave>` carry only the indicators it shows."""

from __future__ import annotations

import html
from typing import Any

import pandas as pd

from dashboards import figures as fg
from dashboards.catalog import REPORT_FIGURES, UI
from dashboards.data import MartData, cube
from dashboards.labels import Labels, nodes
from dashboards.pages import Page, shares
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


def _counts(frame: pd.DataFrame) -> pd.DataFrame:
    """n for shown cells, hidden = 1 for suppressed ones (a ghost, never a value)."""
    hidden = frame["suppressed"].astype(bool)
    return frame.assign(n=frame["n"].where(~hidden), hidden=hidden.astype(int).where(hidden))


def report_chunks(marts: MartData) -> dict[str, Any]:
    """Per wave: report indicators x domains x zones, and the industry and size counts."""
    ids, domains = _report_indicators()
    zones = zone_axis(marts)
    est = shares(marts.estimates[marts.estimates["indicator_id"].isin(ids)])
    counts = {
        "sections": (_counts(marts.sections), "industry_section"),
        "groups": (_counts(marts.groups), "industry_group"),
        "sizes": (_counts(marts.size_classes), "size_class"),
    }
    chunks = {}
    for wave in waves(marts):
        body = {
            "est": cube(
                est[est["wave_id"] == wave],
                {"indicator_id": ids, "domain": domains, "zone_id": zones},
                {"n": "n_base", "y": "n_yes"},
            )
        }
        for name, (frame, key) in counts.items():
            part = frame[frame["wave_id"] == wave]
            keys = sorted(part[key].dropna().unique().tolist())
            body[name] = cube(part, {"zone_id": zones, key: keys}, {"n": "n", "h": "hidden"})
        chunks[f"report/{wave}"] = body
    return chunks


def report_page(marts: MartData, labels: Labels) -> Page:
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
    bench = marts.benchmarks
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
        wave_selector(marts),
        zone_selector(marts, labels, DEFAULT_ZONE),
        lang_selector(),
    ]
    return Page("report", selectors, panels, config, report_chunks(marts))
