"""The zones page: zones side by side for one wave, indicator and population (all
enterprises, an industry group or a size class), grouped by distance to the tech hubs,
the indicator by size class, and each zone's maturity-level mix (the `levels` chunk)."""

from __future__ import annotations

from typing import Any

from dashboards import figures as fg
from dashboards.catalog import HUB_GROUPS, UI
from dashboards.data import PublicData, cube
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


def levels_chunk(data: PublicData, labels: Labels) -> Any:
    """Per measure: the published level cells over wave x zone (weighted share w, rounded
    count n, withheld flag s, the zone-wave's rounded base N)."""
    zones = zone_axis(data)
    return {
        m: cube(
            data.levels[data.levels["measure"] == m],
            {"wave_id": waves(data), "zone_id": zones, "level": [lv for lv, _ in levels]},
            {
                "s": "suppressed",
                "w": "weighted_share",
                "n": "n_enterprises_rounded",
                "N": "n_base_rounded",
            },
        )
        for m, levels in labels.levels.items()
    }


def zones_page(data: PublicData, labels: Labels, chunks: dict[str, Any], levels: Any) -> Page:
    """Zones side by side for one wave, indicator and population (e.g. manufacturers)."""
    zones = zone_axis(data)
    # Size classes as the estimates' domains hold them (domain_type size_class), in the
    # labels' order (smallest first).
    sized = set(data.estimates.loc[data.estimates["domain_type"] == "size_class", "domain"])
    group = data.zones.set_index("zone_id")["hub_distance_group"]
    km = f"{data.parameters['hub_far_km']:g}"
    config = {
        "labels": {
            "indicators": nodes({i: labels.indicators[i] for i in indicator_ids(data)}),
            "zones": zone_nodes(labels, zones),
            "levels": level_nodes(labels),
            "hubs": [[k, fg.t(fg.fmt(v, km=km))] for k, v in HUB_GROUPS.items()],
            "population": fg.t(labels.domains["all"]),
            "domains": nodes(labels.domains),
        },
        "size_classes": [d for d in labels.sizes if d in sized],
        "hub_group": {z: text_or(group.get(z), "unknown") for z in zones[1:]},
        "population_title": fg.t(UI["population_of"]),
    }
    selectors = [
        indicator_selector(data, labels),
        domain_selector(data, labels),
        wave_selector(data),
        measure_selector(labels),
        lang_selector(),
    ]
    panels = [
        panel("dots", "ind/{indicator}", fg.dots_template(UI["zone_dots"])),
        panel("hubs", "ind/{indicator}", fg.hubs_template(UI["hub_groups"])),
        panel("sizes", "ind/{indicator}", fg.bars_template(UI["by_size"])),
        panel("levels", "levels", fg.level_mix_template(UI["level_mix"])),
    ]
    return Page("zones", selectors, panels, config, {**chunks, "levels": levels})
