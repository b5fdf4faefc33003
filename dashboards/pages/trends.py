"""The trends page: one indicator across waves, per population and zone, with the
instrument-version breaks and comparability notes the release records."""

from __future__ import annotations

import html
from typing import Any

from dashboards import figures as fg
from dashboards.catalog import UI
from dashboards.data import PublicData
from dashboards.figures import Spec
from dashboards.labels import Labels, nodes, zone_nodes
from dashboards.pages import Page
from dashboards.selectors import (
    DEFAULT_ZONE,
    domain_selector,
    indicator_ids,
    indicator_selector,
    lang_selector,
    zone_axis,
    zone_selector,
)


def indicator_meta(data: PublicData) -> dict[str, Spec]:
    """Per indicator, the waves its series breaks at (a version asked the same way as
    the one before continues the line) with the comparability and note of each."""
    breaks: dict[str, list[Spec]] = {}
    for b in data.indicator_breaks.itertuples():
        breaks.setdefault(b.indicator_id, []).append(
            {
                "wave": int(b.wave_id),
                "comparability": str(b.comparability),
                "note": html.escape(str(b.comparability_note or "")),
            }
        )
    return {
        r.indicator_id: {
            "comparability": r.comparability or "exact",
            "note": html.escape(str(r.comparability_note or "")),
            "breaks": breaks.get(r.indicator_id, []),
        }
        for r in data.indicators.itertuples()
    }


def _wave_meta(data: PublicData) -> list[Spec]:
    return [
        {
            "wave": int(r.wave_id),
            "version": html.escape(str(r.instrument_version)),
            "first": bool(r.is_first_wave_of_version),
        }
        for r in data.waves.itertuples()
    ]


def trends_page(data: PublicData, labels: Labels, chunks: dict[str, Any]) -> Page:
    zones = zone_axis(data)
    config = {
        "labels": {
            "indicators": nodes({i: labels.indicators[i] for i in indicator_ids(data)}),
            "domains": nodes(labels.domains),
            "zones": zone_nodes(labels, zones),
        },
        "indicators": indicator_meta(data),
        "waves": _wave_meta(data),
    }
    selectors = [
        indicator_selector(data, labels),
        domain_selector(data, labels),
        zone_selector(data, labels, DEFAULT_ZONE),
        lang_selector(),
    ]
    panels = [
        {
            "id": "trend",
            "kind": "trend",
            "chunk": "ind/{indicator}",
            "template": fg.trend_template(UI["trend"]),
        }
    ]
    return Page("trends", selectors, panels, config, chunks)
