"""The maturity page: score histograms, the level distribution across waves (the
`levels` chunk the zones page reads too), mean dimension scores per zone and the level
transitions of enterprises seen in two waves (the `maturity` chunk)."""

from __future__ import annotations

from typing import Any

from dashboards import figures as fg
from dashboards.catalog import POOLED_ZONE, UI, Text
from dashboards.data import DMA_BIN, MartData, cube
from dashboards.labels import Labels, level_nodes, zone_nodes
from dashboards.pages import Page, panel
from dashboards.scoring import Scoring
from dashboards.selectors import (
    Selector,
    lang_selector,
    measure_selector,
    wave_selector,
    waves,
    zone_axis,
    zone_selector,
)


def maturity_chunk(marts: MartData, labels: Labels, scoring: Scoring) -> Any:
    zones = zone_axis(marts)
    found = waves(marts)
    bins = {
        "dma": list(range(0, scoring.score_max["dma"], DMA_BIN)),
        "dii": list(range(0, scoring.score_max["dii"] + 1)),
    }
    hist = {
        m: cube(
            marts.scores[marts.scores["measure"] == m],
            {"wave_id": found, "zone_id": zones, "bin": bins[m]},
            {"n": "n"},
        )
        | {"width": DMA_BIN if m == "dma" else 1}
        for m in bins
    }
    dims = marts.dimensions.assign(
        mean=marts.dimensions["mean_score"].round(1).where(~marts.dimensions["suppressed"])
    )
    moves = marts.transitions.assign(
        pair=marts.transitions["wave_from"].astype(str)
        + "-"
        + marts.transitions["wave_to"].astype(str),
        m=marts.transitions["movement"].map({"down": -1, "same": 0, "up": 1}),
    )
    pairs = sorted(moves["pair"].unique().tolist())
    sankey = {
        m: cube(
            moves[moves["measure"] == m],
            {
                "pair": pairs,
                "zone_id": zones,
                "level_from": [lv for lv, _ in levels],
                "level_to": [lv for lv, _ in levels],
            },
            {"n": "n_enterprises", "m": "m"},
        )
        for m, levels in labels.levels.items()
    }
    return {
        "hist": hist,
        "dims": cube(
            dims,
            {"wave_id": found, "zone_id": zones, "dimension": [d for d, _ in labels.dimensions]},
            {"mean": "mean", "n": "n"},
        ),
        "sankey": sankey,
    }


def maturity_page(marts: MartData, labels: Labels, chunk: Any, levels: Any) -> Page:
    zones = zone_axis(marts)
    pairs = chunk["sankey"]["dma"]["keys"]["pair"]
    pair = Selector(
        "pair",
        [(p, Text(p, p)) for p in pairs] or [("", Text("-", "-"))],
        pairs[0] if pairs else "",
    )
    config = {
        "labels": {
            "zones": zone_nodes(labels, zones),
            "levels": level_nodes(labels),
            "dimensions": [[d, fg.t(x)] for d, x in labels.dimensions],
        },
    }
    selectors = [
        wave_selector(marts),
        zone_selector(marts, labels, POOLED_ZONE),
        measure_selector(),
        pair,
        lang_selector(),
    ]
    panels = [
        panel("hist", "maturity", fg.histogram_template(UI["score_distribution"])),
        panel("level_waves", "levels", fg.level_waves_template(UI["level_waves"])),
        panel("dims", "maturity", fg.heatmap_template(UI["dimensions"])),
        panel("sankey", "maturity", fg.sankey_template(UI["transitions"])),
    ]
    return Page("maturity", selectors, panels, config, {"maturity": chunk, "levels": levels})
