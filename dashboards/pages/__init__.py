"""The pages of the site: their names in navigation order, the `Page` spec each page
module builds, and the small pieces those modules share (a panel, a shares cube input).

One module per page (`report`, `trends`, `zones`, `maturity`, `quality`) builds its
selectors, panels, config and data chunks; `indicators` holds the per-indicator
chunks trends and zones both read. Rendering is `dashboards.render`'s job.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from dashboards.catalog import Text
from dashboards.figures import Spec
from dashboards.selectors import Selector

PAGES = ("report", "trends", "zones", "maturity", "quality")


@dataclass
class Page:
    name: str
    selectors: list[Selector]
    panels: list[Spec]  # {"id", "kind", "template"}
    config: Spec  # labels, dims and meta the page's plots read
    chunks: dict[str, Any] = field(default_factory=dict)  # name -> JSON-able data
    notes: list[Text] = field(default_factory=list)


def panel(kind: str, chunk: str, template: Spec) -> Spec:
    """A plot of a page: its builder in plots.js, the chunk it reads, its template."""
    return {"id": kind, "kind": kind, "chunk": chunk, "template": template}


# The columns of public_indicator_estimates a page's estimate cube carries, by short name.
ESTIMATE_VALUES = {
    "s": "suppressed",
    "n": "n_base_rounded",
    "p": "weighted_estimate",
    "lo": "weighted_ci_low",
    "hi": "weighted_ci_high",
    "g": "quality_grade",
}


def counts_of(frame: pd.DataFrame) -> pd.DataFrame:
    """A counts table's cube input: n as published, hidden = 1 where the cell is withheld."""
    hidden = frame["suppressed"].astype(bool)
    return frame.assign(n=frame["n_enterprises_rounded"], hidden=hidden.astype(int).where(hidden))
