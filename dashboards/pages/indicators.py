"""The per-indicator chunks `ind/<n>` (the published estimate cells over domain x zone x
wave) that the trends and zones pages both read; built once, written once."""

from __future__ import annotations

from typing import Any

from dashboards.data import PublicData, cube
from dashboards.labels import Labels
from dashboards.pages import ESTIMATE_VALUES
from dashboards.selectors import domains, waves, zone_axis


def indicator_chunks(data: PublicData, labels: Labels) -> dict[str, Any]:
    """Per indicator: the published estimate cells over domain x zone x wave."""
    axes = {
        "domain": domains(data, labels),
        "zone_id": zone_axis(data),
        "wave_id": waves(data),
    }
    return {
        f"ind/{indicator}": cube(rows, axes, ESTIMATE_VALUES)
        for indicator, rows in data.estimates.groupby("indicator_id", sort=False)
    }
