"""The zones page: zones side by side for one wave, indicator and population (all
enterprises, an industry group or a size class), grouped by distance to the tech hubs,
the indicator by size class, and each zone's maturity-level mix (the `levels` chunk)."""

from __future__ import annotations

from typing import Any

from dashboards import figures as fg
from dashboards.catalog import DOMAIN_ALL, HUB_GROUPS, UI
from dashboards.data import MartData, cube
from dashboards.labels import Labels, level_nodes, nodes, text_or, zone_nodes
from dashboards.pages import Page, panel
from dashboards.selectors import (
    domain_selector,
    indicator_ids,
    indicator_selector,
    lang_selector,
    measure_selector,
    wave_selector,
    waves,
    zone_axis,
)


def levels_chunk(marts: MartData, labels: Labels) -> Any:
    """Per measure: enterprises per level over wave x zone."""
    zones = zone_axis(marts)
    return {
        m: cube(
            marts.levels[marts.levels["measure"] == m],
            {"wave_id": waves(marts), "zone_id": zones, "level": [lv for lv, _ in levels]},
            {"n": "n"},
        )
        for m, levels in labels.levels.items()
    }


def zones_page(marts: MartData, labels: Labels, chunks: dict[str, Any], levels: Any) -> Page:
    """Zones side by side for one wave, indicator and population (e.g. manufacturers)."""
    zones = zone_axis(marts)
    # Size classes as the estimates' domains hold them (domain_type size_class), in the
    # labels' order (smallest first).
    sized = set(marts.estimates.loc[marts.estimates["domain_type"] == "size_class", "domain"])
    group = marts.zones.set_index("zone_id")["hub_distance_group"]
    config = {
        "labels": {
            "indicators": nodes({i: labels.indicators[i] for i in indicator_ids(marts)}),
            "zones": zone_nodes(labels, zones),
            "levels": level_nodes(labels),
            "hubs": [[k, fg.t(v)] for k, v in HUB_GROUPS.items()],
            "population": fg.t(DOMAIN_ALL),
            "domains": nodes(labels.domains),
        },
        "size_classes": [d for d in labels.sizes if d in sized],
        "hub_group": {z: text_or(group.get(z), "unknown") for z in zones[1:]},
        "population_title": fg.t(UI["population_of"]),
    }
    selectors = [
        indicator_selector(marts, labels),
        domain_selector(marts, labels),
        wave_selector(marts),
        measure_selector(),
        lang_selector(),
    ]
    panels = [
        panel("dots", "ind/{indicator}", fg.dots_template(UI["zone_dots"])),
        panel("hubs", "ind/{indicator}", fg.hubs_template(UI["hub_groups"])),
        panel("sizes", "ind/{indicator}", fg.bars_template(UI["by_size"])),
        panel("levels", "levels", fg.level_mix_template(UI["level_mix"])),
    ]
    return Page("zones", selectors, panels, config, {**chunks, "levels": levels})
