"""The maturity page: score histograms, the level distribution across waves (the
`levels` chunk the zones page reads too), mean dimension scores per zone and the level
transitions of enterprises seen in two waves (the `maturity` chunk)."""

from __future__ import annotations

from typing import Any

from dashboards import figures as fg
from dashboards.catalog import UI, Text
from dashboards.data import PublicData, cube
from dashboards.labels import Labels, level_nodes, zone_nodes
from dashboards.pages import Page, panel
from dashboards.selectors import (
    Selector,
    lang_selector,
    measure_selector,
    wave_selector,
    waves,
    zone_axis,
    zone_selector,
)


def _histograms(data: PublicData, zones: list[str], found: list[int]) -> dict[str, Any]:
    """Per measure: the published bins over wave x zone (rounded n, upper bound hi)."""
    out = {}
    for m, bins in data.scores.rename(columns={"bin_low": "bin"}).groupby("measure"):
        lows = sorted(int(b) for b in bins["bin"].unique())
        width = int((bins["bin_high"] - bins["bin"]).min())
        out[m] = cube(
            bins,
            {"wave_id": found, "zone_id": zones, "bin": lows},
            {"n": "n_enterprises_rounded", "hi": "bin_high"},
        ) | {"width": width}
    return out


def maturity_chunk(data: PublicData, labels: Labels) -> Any:
    zones = zone_axis(data)
    found = waves(data)
    moves = data.transitions.assign(
        pair=data.transitions["wave_from"].astype(str)
        + "-"
        + data.transitions["wave_to"].astype(str),
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
            {"n": "n_enterprises_rounded", "f": "n_level_from_rounded", "m": "movement"},
        )
        for m, levels in labels.levels.items()
    }
    return {
        "hist": _histograms(data, zones, found),
        "dims": cube(
            data.dimensions,
            {"wave_id": found, "zone_id": zones, "dimension": [d for d, _ in labels.dimensions]},
            {"mean": "weighted_mean_score", "n": "n_enterprises_rounded"},
        ),
        "sankey": sankey,
    }


def maturity_page(data: PublicData, labels: Labels, chunk: Any, levels: Any) -> Page:
    zones = zone_axis(data)
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
        wave_selector(data),
        zone_selector(data, labels, data.pooled_zone),
        measure_selector(labels),
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
