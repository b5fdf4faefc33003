"""The per-indicator chunks `ind/<n>` (n_base, n_yes over domain x zone x wave) that the
trends and zones pages both read; built once, written once."""

from __future__ import annotations

from typing import Any

from dashboards.data import MartData, cube
from dashboards.labels import Labels
from dashboards.pages import shares
from dashboards.selectors import domains, waves, zone_axis


def indicator_chunks(marts: MartData, labels: Labels) -> dict[str, Any]:
    """Per indicator: n_base and n_yes over domain x zone x wave."""
    axes = {
        "domain": domains(marts, labels),
        "zone_id": zone_axis(marts),
        "wave_id": waves(marts),
    }
    est = shares(marts.estimates)
    return {
        f"ind/{indicator}": cube(rows, axes, {"n": "n_base", "y": "n_yes"})
        for indicator, rows in est.groupby("indicator_id", sort=False)
    }
