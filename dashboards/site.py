"""The static dashboard site: index plus five pages, plotly.js shipped once, works offline.

Each page embeds a small config (selectors, labels, the figure templates of
`figures.py`) and names the data chunks it may load. Chunks are compact cubes of
pre-aggregated counts (`data.cube`), gzipped, base64'd and wrapped in a tiny
script (`SME_DATA(name, "...")`) because file:// pages may load scripts but not
fetch files. `plots.js` turns the selected slice into traces; `app.js` loads chunks
lazily, only when a selection needs them, and calls `Plotly.react` for the plots in or
near the viewport, the others as they approach it. plotly.js is the partial bundle of
`dashboards/vendor/` (`plotly_bundle.py`); all scripts are deferred.

Chunks: `ind/<n>` per indicator (domain x zone x wave: n_base, n_yes) for trends
and zones; `report/<n>` per wave (report indicators x domains x zones, plus
industry and size counts); `levels`, `maturity`, `quality` one each.
"""

from __future__ import annotations

import base64
import gzip
import html
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from typing import Any

from dashboards import figures as fg
from dashboards.catalog import (
    UI,
    Text,
)
from dashboards.data import (
    MIN_CELL,
    MIN_ZONE,
    WILSON_Z,
    MartData,
    check_intervals,
    load_marts,
)
from dashboards.labels import Labels, build_labels
from dashboards.pages import PAGES, Page
from dashboards.pages.indicators import indicator_chunks
from dashboards.pages.maturity import maturity_chunk, maturity_page
from dashboards.pages.quality import quality_page
from dashboards.pages.report import report_page
from dashboards.pages.trends import trends_page
from dashboards.pages.zones import levels_chunk, zones_page
from dashboards.plotly_bundle import plotly_js
from dashboards.scoring import Scoring, load_scoring
from dashboards.selectors import Selector
from dashboards.selectors import waves as _waves
from dashboards.selectors import zones_with_data as _zones_with_data
from orchestration.codebook import load_codebook

ASSETS = ("app.js", "plots.js")
Spec = dict[str, Any]


@dataclass(frozen=True)
class SiteReport:
    out_dir: Path
    pages: tuple[Path, ...]
    bytes: int
    plots: int
    chunks: int
    plots_per_page: dict[str, int] = field(default_factory=dict)


def script_json(value: Any) -> str:
    """JSON safe inside <script>: no `</script>`, no HTML comment, no line separators."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for raw, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(raw, escaped)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


# ---------------------------------------------------------------- HTML

PAGE = Template("""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>$title</title>
<style>$css</style>
</head><body>
<header><nav>$nav</nav></header>
<main>
<h1 $h1>$h1_text</h1>
$notes
<form class="selectors" onsubmit="return false">$selectors</form>
<div class="plots">$plots</div>
</main>
<script id="page-config" type="application/json">$config</script>
<script src="plotly.min.js" defer></script>
<script src="plots.js" defer></script>
<script src="app.js" defer></script>
</body></html>
""")

INDEX = Template("""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>$title</title>
<style>$css</style>
</head><body>
<header><nav>$nav</nav></header>
<main>
<h1>$title</h1>
<p>$intro</p>
<ul class="cards">$cards</ul>
<p class="facts">$facts</p>
</main>
</body></html>
""")

CSS = """
body{font-family:"Noto Sans","Noto Sans CJK SC",Arial,sans-serif;margin:0;color:#222;
  background:#fafafa}
header{background:#0b3954;padding:.5rem 1rem}
nav a{color:#fff;margin-right:1.2rem;text-decoration:none;font-weight:600}
nav a[aria-current]{text-decoration:underline}
main{padding:0 1rem 2rem;max-width:1800px;margin:auto}
h1{font-size:1.4rem}
.selectors{display:flex;flex-wrap:wrap;gap:.8rem;margin:.5rem 0 1rem;position:sticky;top:0;
  background:#fafafa;padding:.4rem 0;z-index:10}
.selectors label{display:flex;flex-direction:column;font-size:.8rem;color:#444}
.selectors select{font-size:.9rem;max-width:26rem}
.plots{display:grid;grid-template-columns:repeat(auto-fit,minmax(600px,1fr));gap:1rem}
.plot{background:#fff;border:1px solid #e3e3e3;border-radius:4px;min-height:320px}
.note{background:#fff4e5;border-left:4px solid #E69F00;padding:.5rem .8rem}
.cards{list-style:none;padding:0;display:grid;grid-template-columns:repeat(auto-fit,minmax(220px,1fr));gap:1rem}
.cards a{display:block;background:#fff;border:1px solid #ddd;padding:1rem;border-radius:4px;
  text-decoration:none;color:#0b3954;font-weight:600}
"""


def _i18n_attrs(text: Text) -> str:
    return f'data-en="{html.escape(text.en)}" data-zh="{html.escape(text.zh)}"'


def _nav(current: str) -> str:
    links = [f'<a href="index.html" {_i18n_attrs(UI["site"])}>{html.escape(UI["site"].en)}</a>']
    for name in PAGES:
        mark = ' aria-current="page"' if name == current else ""
        links.append(
            f'<a href="{name}.html"{mark} {_i18n_attrs(UI[name])}>{html.escape(UI[name].en)}</a>'
        )
    return "".join(links)


def _select_html(sel: Selector) -> str:
    options = "".join(
        f'<option value="{html.escape(v)}" {_i18n_attrs(label)}'
        f"{' selected' if v == sel.default else ''}>{html.escape(label.en)}</option>"
        for v, label in sel.options
    )
    label = UI[sel.key]
    return (
        f"<label><span {_i18n_attrs(label)}>{html.escape(label.en)}</span>"
        f'<select id="sel-{sel.key}" name="{sel.key}">{options}</select></label>'
    )


def render_page(page: Page, chunk_files: dict[str, str]) -> str:
    config = {
        "page": page.name,
        "selectors": [s.config() for s in page.selectors],
        "panels": page.panels,
        "chunk_files": chunk_files,
        "base_layout": fg.base_layout(),
        "wilson_z": WILSON_Z,
        "min_cell": MIN_CELL,
        "min_zone": MIN_ZONE,
        **page.config,
    }
    notes = "".join(f'<p class="note" {_i18n_attrs(n)}>{html.escape(n.en)}</p>' for n in page.notes)
    title = UI[page.name]
    return PAGE.substitute(
        title=html.escape(f"{title.en} - {UI['site'].en}"),
        css=CSS,
        nav=_nav(page.name),
        h1=_i18n_attrs(title),
        h1_text=html.escape(title.en),
        notes=notes,
        selectors="".join(_select_html(s) for s in page.selectors),
        plots="".join(f'<div class="plot" id="plot-{i}"></div>' for i in range(len(page.panels))),
        config=script_json(config),
    )


def render_index(marts: MartData) -> str:
    waves = ", ".join(str(w) for w in _waves(marts))
    facts = (
        f"Waves: {waves} · zones: {len(_zones_with_data(marts))} · "
        f"indicators: {marts.estimates['indicator_id'].nunique()}"
    )
    cards = "".join(
        f'<li><a href="{name}.html">{html.escape(UI[name].en)} / '
        f"{html.escape(UI[name].zh)}</a></li>"
        for name in PAGES
    )
    return INDEX.substitute(
        title=html.escape(f"{UI['site'].en} / {UI['site'].zh}"),
        css=CSS,
        nav=_nav("index"),
        intro=html.escape(f"{UI['index_intro'].en} {UI['index_intro'].zh}"),
        cards=cards,
        facts=html.escape(facts),
    )


def _write(path: Path, data: str | bytes) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    path.write_bytes(raw)
    return len(raw)


def pack(name: str, content: Any) -> bytes:
    """A chunk script: `SME_DATA(name, base64(gzip(json)))` (mtime 0: same data, same bytes)."""
    packed = gzip.compress(
        json.dumps(content, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode(),
        compresslevel=9,
        mtime=0,
    )
    return (
        f'SME_DATA({script_json(name)},"{base64.b64encode(packed).decode("ascii")}");\n'
    ).encode("ascii")


def unpack(script: bytes) -> Any:
    """The JSON content of a chunk script (tests and the measurement read chunks back)."""
    encoded = script.decode("ascii").rsplit(',"', 1)[1].split('"', 1)[0]
    return json.loads(gzip.decompress(base64.b64decode(encoded)))


def _write_chunks(chunks: dict[str, Any], data_dir: Path) -> tuple[dict[str, str], int]:
    """One `data/<n>.js` per chunk; file names are numbered, never built from data."""
    files, size = {}, 0
    for n, (name, content) in enumerate(sorted(chunks.items())):
        rel = f"{n}.js"
        size += _write(data_dir / rel, pack(name, content))
        files[name] = rel
    return files, size


def write_scripts(out_dir: Path) -> int:
    """plotly.js (the checked partial bundle of dashboards/vendor) and the page scripts."""
    size = _write(out_dir / "plotly.min.js", plotly_js())
    for asset in ASSETS:
        size += _write(out_dir / asset, Path(__file__).with_name(asset).read_bytes())
    return size


def build_pages(marts: MartData, labels: Labels, scoring: Scoring) -> list[Page]:
    indicators = indicator_chunks(marts, labels)
    levels = levels_chunk(marts, labels)
    return [
        report_page(marts, labels),
        trends_page(marts, labels, indicators),
        zones_page(marts, labels, indicators, levels),
        maturity_page(marts, labels, maturity_chunk(marts, labels, scoring)),
        quality_page(marts, labels),
    ]


def build_site(analytics_db: Path, out_dir: Path) -> SiteReport:
    """Write index.html, one page per view, the scripts and the data chunks to `out_dir`."""
    scoring = load_scoring()
    marts = load_marts(analytics_db, scoring)
    check_intervals(marts.estimates, analytics_db)
    labels = build_labels(marts, load_codebook(), scoring)
    pages = build_pages(marts, labels, scoring)
    shutil.rmtree(out_dir / "data", ignore_errors=True)
    size = write_scripts(out_dir)
    # Pages share chunks (trends and zones read the same indicator files): write each once.
    shared = {name: content for page in pages for name, content in page.chunks.items()}
    files, chunk_bytes = _write_chunks(shared, out_dir / "data")
    size += chunk_bytes + _write(out_dir / "index.html", render_index(marts))
    written, per_page = [out_dir / "index.html"], {}
    for page in pages:
        mine = {name: f"data/{files[name]}" for name in page.chunks}
        size += _write(out_dir / f"{page.name}.html", render_page(page, mine))
        written.append(out_dir / f"{page.name}.html")
        per_page[page.name] = len(page.panels)
    return SiteReport(out_dir, tuple(written), size, sum(per_page.values()), len(files), per_page)


__all__ = ["SiteReport", "build_site"]
