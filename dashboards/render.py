"""HTML of the site: the page and index templates, their CSS and navigation, and the
JSON a page embeds (escaped so it is safe inside <script>)."""

from __future__ import annotations

import html
import json
from string import Template
from typing import Any

from dashboards import figures as fg
from dashboards.catalog import UI, Text
from dashboards.data import PublicData
from dashboards.pages import PAGES, Page
from dashboards.selectors import Selector, waves, zones_with_data

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
<script>$keep_lang</script>
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
.plot.wide{grid-column:1/-1}
.note{background:#fff4e5;border-left:4px solid #E69F00;padding:.5rem .8rem}
.cards{list-style:none;padding:0;display:grid;grid-template-columns:repeat(auto-fit,minmax(220px,1fr));gap:1rem}
.cards a{display:block;background:#fff;border:1px solid #ddd;padding:1rem;border-radius:4px;
  text-decoration:none;color:#0b3954;font-weight:600}
"""


# The index has no app.js: this passes its ?lang= on to the pages it links to.
KEEP_LANG = """(function () {
  var lang = new URLSearchParams(window.location.search).get("lang");
  if (lang !== "en" && lang !== "zh") return;
  document.querySelectorAll("a[href$='.html']").forEach(function (a) {
    a.setAttribute("href", a.getAttribute("href") + "?lang=" + lang);
  });
})();"""


def script_json(value: Any) -> str:
    """JSON safe inside <script>: no `</script>`, no HTML comment, no line separators."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for raw, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(raw, escaped)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


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
        plots="".join(
            # A wide panel spans the whole row (one bar group per delivery needs the width).
            f'<div class="plot{" wide" if p.get("wide") else ""}" id="plot-{i}"></div>'
            for i, p in enumerate(page.panels)
        ),
        config=script_json(config),
    )


def render_index(data: PublicData) -> str:
    listed = ", ".join(str(w) for w in waves(data))
    facts = (
        f"Waves: {listed} · zones: {len(zones_with_data(data))} · "
        f"indicators: {data.estimates['indicator_id'].nunique()}"
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
        keep_lang=KEEP_LANG,
    )
