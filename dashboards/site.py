"""The static dashboard site: index plus five pages, plotly.js shipped once, works offline.

This module is the entry point: `build_site` reads a release's public folder (and
nothing else: the site is a public product), builds the labels and the pages
(`dashboards.pages.*`), and writes the HTML (`render`), the scripts and the data
chunks (`packing`).

Each page embeds a small config (selectors, labels, the figure templates of
`figures.py`) and names the data chunks it may load. Chunks are compact cubes of
pre-aggregated counts (`data.cube`), gzipped, base64'd and wrapped in a tiny
script (`SME_DATA(name, "...")`) because file:// pages may load scripts but not
fetch files. `plots.js` turns the selected slice into traces; `app.js` loads chunks
lazily, only when a selection needs them, and calls `Plotly.react` for the plots in or
near the viewport, the others as they approach it. plotly.js is the partial bundle of
`dashboards/vendor/` (`plotly_bundle.py`); all scripts are deferred.

Chunks: `ind/<n>` per indicator (domain x zone x wave: the published estimate cells) for trends
and zones; `report/<n>` per wave (report indicators x domains x zones, plus
industry and size counts); `levels`, `maturity`, `quality` one each.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from dashboards.data import PublicData, load_public
from dashboards.labels import Labels, build_labels
from dashboards.packing import write, write_chunks, write_scripts
from dashboards.pages import Page
from dashboards.pages.indicators import indicator_chunks
from dashboards.pages.maturity import maturity_chunk, maturity_page
from dashboards.pages.quality import quality_page
from dashboards.pages.report import report_page
from dashboards.pages.trends import trends_page
from dashboards.pages.zones import levels_chunk, zones_page
from dashboards.render import render_index, render_page


@dataclass(frozen=True)
class SiteReport:
    out_dir: Path
    pages: tuple[Path, ...]
    bytes: int
    plots: int
    chunks: int
    plots_per_page: dict[str, int] = field(default_factory=dict)


def build_pages(data: PublicData, labels: Labels) -> list[Page]:
    """The five pages in navigation order (`dashboards.pages.PAGES`)."""
    indicators = indicator_chunks(data, labels)
    levels = levels_chunk(data, labels)
    pages = [
        report_page(data, labels),
        trends_page(data, labels, indicators),
        zones_page(data, labels, indicators, levels),
        maturity_page(data, labels, maturity_chunk(data, labels), levels),
        quality_page(data, labels),
    ]
    for page in pages:  # plots.js tells the pooled rows by this id (public dim_zone)
        page.config["pooled_zone"] = data.pooled_zone
    return pages


def build_site(public_dir: Path, out_dir: Path) -> SiteReport:
    """Write index.html, one page per view, the scripts and the data chunks to `out_dir`,
    from the public release in `public_dir` alone."""
    data = load_public(public_dir)
    labels = build_labels(data)
    pages = build_pages(data, labels)
    shutil.rmtree(out_dir / "data", ignore_errors=True)
    size = write_scripts(out_dir)
    # Pages share chunks (trends and zones read the same indicator files): write each once.
    shared = {name: content for page in pages for name, content in page.chunks.items()}
    files, chunk_bytes = write_chunks(shared, out_dir / "data")
    size += chunk_bytes + write(out_dir / "index.html", render_index(data))
    written, per_page = [out_dir / "index.html"], {}
    for page in pages:
        mine = {name: f"data/{files[name]}" for name in page.chunks}
        size += write(out_dir / f"{page.name}.html", render_page(page, mine))
        written.append(out_dir / f"{page.name}.html")
        per_page[page.name] = len(page.panels)
    return SiteReport(out_dir, tuple(written), size, sum(per_page.values()), len(files), per_page)


__all__ = ["SiteReport", "build_pages", "build_site"]
