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

import pandas as pd

from dashboards import figures as fg
from dashboards.catalog import (
    DOMAIN_ALL,
    HUB_GROUPS,
    POOLED_ZONE,
    REPORT_FIGURES,
    UI,
    Text,
)
from dashboards.data import (
    DMA_BIN,
    MIN_CELL,
    MIN_ZONE,
    WILSON_Z,
    MartData,
    check_intervals,
    cube,
    load_marts,
)
from dashboards.labels import Labels, build_labels
from dashboards.labels import nodes as _nodes
from dashboards.labels import text_or as _text
from dashboards.labels import zone_nodes as _zone_nodes
from dashboards.plotly_bundle import plotly_js
from dashboards.scoring import Scoring, load_scoring
from dashboards.selectors import DEFAULT_ZONE, Selector
from dashboards.selectors import domain_selector as _domain_selector
from dashboards.selectors import domains as _domains
from dashboards.selectors import indicator_ids as _indicator_ids
from dashboards.selectors import indicator_selector as _indicator_selector
from dashboards.selectors import lang_selector as _lang_selector
from dashboards.selectors import measure_selector as _measure_selector
from dashboards.selectors import wave_selector as _wave_selector
from dashboards.selectors import waves as _waves
from dashboards.selectors import zone_selector as _zone_selector
from dashboards.selectors import zones_with_data as _zones_with_data
from orchestration.codebook import load_codebook

PAGES = ("report", "trends", "zones", "maturity", "quality")
QUALITY_COLUMNS = {
    "fct_delivery_quality": {"delivery_id", "zone_id", "wave_id", "status", "received_at"}
    | {"rows_read", "rows_accepted", "rows_rejected", "n_electronic", "n_paper"},
    "fct_rejected_rules": {"zone_id", "wave_id", "delivery_id", "rule_id", "n_rows"},
}
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


@dataclass
class Page:
    name: str
    selectors: list[Selector]
    panels: list[Spec]  # {"id", "kind", "template"}
    config: Spec  # labels, dims and meta the page's plots read
    chunks: dict[str, Any] = field(default_factory=dict)  # name -> JSON-able data
    notes: list[Text] = field(default_factory=list)


def script_json(value: Any) -> str:
    """JSON safe inside <script>: no `</script>`, no HTML comment, no line separators."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for raw, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(raw, escaped)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _shares(frame: pd.DataFrame) -> pd.DataFrame:
    """n_base/n_yes columns for a cube: n_yes null where the cell is suppressed."""
    return frame.assign(n_yes=frame["n_yes"].where(~frame["suppressed"].astype(bool)))


def _counts(frame: pd.DataFrame) -> pd.DataFrame:
    """n for shown cells, hidden = 1 for suppressed ones (a ghost, never a value)."""
    hidden = frame["suppressed"].astype(bool)
    return frame.assign(n=frame["n"].where(~hidden), hidden=hidden.astype(int).where(hidden))


def _panel(kind: str, chunk: str, template: Spec) -> Spec:
    """A plot of a page: its builder in plots.js, the chunk it reads, its template."""
    return {"id": kind, "kind": kind, "chunk": chunk, "template": template}


# ---------------------------------------------------------------- report


def _report_indicators() -> tuple[list[str], list[str]]:
    ids = list(dict.fromkeys(i for f in REPORT_FIGURES for i in f.indicators))
    domains = list(dict.fromkeys(d for f in REPORT_FIGURES for d in f.domains))
    return ids, domains


def report_chunks(marts: MartData) -> dict[str, Any]:
    """Per wave: report indicators x domains x zones, and the industry and size counts."""
    ids, domains = _report_indicators()
    zones = [POOLED_ZONE, *_zones_with_data(marts)]
    est = _shares(marts.estimates[marts.estimates["indicator_id"].isin(ids)])
    counts = {
        "sections": (_counts(marts.sections), "industry_section"),
        "groups": (_counts(marts.groups), "industry_group"),
        "sizes": (_counts(marts.size_classes), "size_class"),
    }
    chunks = {}
    for wave in _waves(marts):
        body = {
            "est": cube(
                est[est["wave_id"] == wave],
                {"indicator_id": ids, "domain": domains, "zone_id": zones},
                {"n": "n_base", "y": "n_yes"},
            )
        }
        for name, (frame, key) in counts.items():
            part = frame[frame["wave_id"] == wave]
            keys = sorted(part[key].dropna().unique().tolist())
            body[name] = cube(part, {"zone_id": zones, key: keys}, {"n": "n", "h": "hidden"})
        chunks[f"report/{wave}"] = body
    return chunks


def report_page(marts: MartData, labels: Labels) -> Page:
    ids, _ = _report_indicators()
    panels = []
    for f in REPORT_FIGURES:
        if f.kind == "industry":
            template = fg.two_panel_template(
                f.title, (UI["sections"], UI["groups"]), right_share=False
            )
        elif f.kind == "size":
            template = fg.two_panel_template(
                f.title, (UI["size_classes"], UI["size_flags"]), right_share=True
            )
        else:
            template = fg.bars_template(f.title)
        panels.append(
            {
                "id": f.fig_id,
                "kind": f.kind,
                "chunk": "report/{wave}",
                "indicators": list(f.indicators),
                "domains": list(f.domains),
                "template": template,
            }
        )
    bench = marts.benchmarks
    config = {
        "labels": {
            "indicators": _nodes({i: labels.indicators[i] for i in ids}),
            "domains": _nodes(labels.domains),
            "sections": _nodes(labels.sections),
            "sizes": _nodes(labels.sizes),
        },
        "benchmark": {
            "indicators": bench["indicator_id"].tolist(),
            "share": bench["share"].astype(float).tolist(),
            "source": html.escape(
                f"{bench['source_en'].iloc[0]} {bench['survey_year'].iloc[0]}" if len(bench) else ""
            ),
        },
    }
    selectors = [
        _wave_selector(marts),
        _zone_selector(marts, labels, DEFAULT_ZONE),
        _lang_selector(),
    ]
    return Page("report", selectors, panels, config, report_chunks(marts))


# ---------------------------------------------------------------- trends and zones


def indicator_chunks(marts: MartData, labels: Labels) -> dict[str, Any]:
    """Per indicator: n_base and n_yes over domain x zone x wave."""
    axes = {
        "domain": _domains(marts, labels),
        "zone_id": [POOLED_ZONE, *_zones_with_data(marts)],
        "wave_id": _waves(marts),
    }
    est = _shares(marts.estimates)
    return {
        f"ind/{indicator}": cube(rows, axes, {"n": "n_base", "y": "n_yes"})
        for indicator, rows in est.groupby("indicator_id", sort=False)
    }


def _indicator_meta(marts: MartData) -> dict[str, Spec]:
    return {
        r.indicator_id: {
            "comparability": r.comparability or "exact",
            "note": html.escape(str(r.comparability_note or "")),
        }
        for r in marts.indicators.itertuples()
    }


def _wave_meta(marts: MartData) -> list[Spec]:
    return [
        {
            "wave": int(r.wave_id),
            "version": html.escape(str(r.instrument_version)),
            "first": bool(r.is_first_wave_of_version),
        }
        for r in marts.waves.itertuples()
    ]


def trends_page(marts: MartData, labels: Labels, chunks: dict[str, Any]) -> Page:
    zones = [POOLED_ZONE, *_zones_with_data(marts)]
    config = {
        "labels": {
            "indicators": _nodes({i: labels.indicators[i] for i in _indicator_ids(marts)}),
            "domains": _nodes(labels.domains),
            "zones": _zone_nodes(labels, zones),
        },
        "indicators": _indicator_meta(marts),
        "waves": _wave_meta(marts),
    }
    selectors = [
        _indicator_selector(marts, labels),
        _domain_selector(marts, labels),
        _zone_selector(marts, labels, DEFAULT_ZONE),
        _lang_selector(),
    ]
    panels = [
        {
            "id": "trend",
            "kind": "trend",
            "chunk": "ind/{indicator}",
            "template": fg.trend_template(UI["trend"]),
        }
    ]
    return Page("trends", selectors, panels, config, chunks)


def zones_page(marts: MartData, labels: Labels, chunks: dict[str, Any], levels: Any) -> Page:
    """Zones side by side for one wave and indicator (population: all enterprises)."""
    zones = [POOLED_ZONE, *_zones_with_data(marts)]
    group = marts.zones.set_index("zone_id")["hub_distance_group"]
    config = {
        "labels": {
            "indicators": _nodes({i: labels.indicators[i] for i in _indicator_ids(marts)}),
            "zones": _zone_nodes(labels, zones),
            "levels": {m: [[lv, fg.t(x)] for lv, x in v] for m, v in labels.levels.items()},
            "hubs": [[k, fg.t(v)] for k, v in HUB_GROUPS.items()],
            "population": fg.t(DOMAIN_ALL),
        },
        "hub_group": {z: _text(group.get(z), "unknown") for z in zones[1:]},
        "population_title": fg.t(UI["population_of"]),
    }
    selectors = [
        _indicator_selector(marts, labels),
        _wave_selector(marts),
        _measure_selector(),
        _lang_selector(),
    ]
    panels = [
        _panel("dots", "ind/{indicator}", fg.dots_template(UI["zone_dots"])),
        _panel("hubs", "ind/{indicator}", fg.hubs_template(UI["hub_groups"])),
        _panel("levels", "levels", fg.level_mix_template(UI["level_mix"])),
    ]
    return Page("zones", selectors, panels, config, {**chunks, "levels": levels})


# ---------------------------------------------------------------- maturity


def levels_chunk(marts: MartData, labels: Labels) -> Any:
    zones = [POOLED_ZONE, *_zones_with_data(marts)]
    return {
        m: cube(
            marts.levels[marts.levels["measure"] == m],
            {"wave_id": _waves(marts), "zone_id": zones, "level": [lv for lv, _ in levels]},
            {"n": "n"},
        )
        for m, levels in labels.levels.items()
    }


def maturity_chunk(marts: MartData, labels: Labels, scoring: Scoring) -> Any:
    zones = [POOLED_ZONE, *_zones_with_data(marts)]
    waves = _waves(marts)
    bins = {
        "dma": list(range(0, scoring.score_max["dma"], DMA_BIN)),
        "dii": list(range(0, scoring.score_max["dii"] + 1)),
    }
    hist = {
        m: cube(
            marts.scores[marts.scores["measure"] == m],
            {"wave_id": waves, "zone_id": zones, "bin": bins[m]},
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
            {"wave_id": waves, "zone_id": zones, "dimension": [d for d, _ in labels.dimensions]},
            {"mean": "mean"},
        ),
        "sankey": sankey,
    }


def maturity_page(marts: MartData, labels: Labels, chunk: Any) -> Page:
    zones = [POOLED_ZONE, *_zones_with_data(marts)]
    pairs = chunk["sankey"]["dma"]["keys"]["pair"]
    pair = Selector(
        "pair",
        [(p, Text(p, p)) for p in pairs] or [("", Text("-", "-"))],
        pairs[0] if pairs else "",
    )
    config = {
        "labels": {
            "zones": _zone_nodes(labels, zones),
            "levels": {m: [[lv, fg.t(x)] for lv, x in v] for m, v in labels.levels.items()},
            "dimensions": [[d, fg.t(x)] for d, x in labels.dimensions],
        },
    }
    selectors = [
        _wave_selector(marts),
        _zone_selector(marts, labels, POOLED_ZONE),
        _measure_selector(),
        pair,
        _lang_selector(),
    ]
    panels = [
        _panel("hist", "maturity", fg.histogram_template(UI["score_distribution"])),
        _panel("dims", "maturity", fg.heatmap_template(UI["dimensions"])),
        _panel("sankey", "maturity", fg.sankey_template(UI["transitions"])),
    ]
    return Page("maturity", selectors, panels, config, {"maturity": chunk})


# ---------------------------------------------------------------- data quality


def _usable(frame: pd.DataFrame | None, table: str) -> pd.DataFrame | None:
    if frame is None or not QUALITY_COLUMNS[table] <= set(frame.columns):
        return None
    return frame


def _escaped(values: pd.Series) -> list[str]:
    return [html.escape(str(v)) for v in values.fillna("")]


def quality_chunk(quality: pd.DataFrame | None, rules: pd.DataFrame | None) -> Any:
    """Deliveries and failing rows per rule as columns (text from data HTML-escaped)."""
    out: dict[str, Any] = {}
    if quality is not None:
        q = quality.sort_values(["wave_id", "zone_id", "received_at"])
        out["deliveries"] = {
            "label": [
                # Delivery ids are 64-hex digests: 8 digits identify one in a zone-wave.
                f"{w} {z} · {d[:8]} ({s})"
                for w, z, d, s in zip(
                    q["wave_id"],
                    _escaped(q["zone_id"]),
                    _escaped(q["delivery_id"]),
                    _escaped(q["status"]),
                    strict=True,
                )
            ],
            "zone": _escaped(q["zone_id"]),
            "wave": q["wave_id"].astype(int).tolist(),
            "loaded": (q["status"] == "loaded").tolist(),
            **{
                c: q[c].fillna(0).astype(int).tolist()
                for c in ("rows_read", "rows_accepted", "rows_rejected", "n_electronic", "n_paper")
            },
        }
    if rules is not None:
        out["rules"] = {
            "zone": _escaped(rules["zone_id"]),
            "wave": rules["wave_id"].astype(int).tolist(),
            "rule": _escaped(rules["rule_id"]),
            "n": rules["n_rows"].fillna(0).astype(int).tolist(),
        }
    return out


def quality_page(marts: MartData, labels: Labels) -> Page:
    zone = _zone_selector(marts, labels, POOLED_ZONE)
    quality = _usable(marts.delivery_quality, "fct_delivery_quality")
    rules = _usable(marts.rejected_rules, "fct_rejected_rules")
    notes = [
        fg.fmt(UI["no_table"], table=f"marts.{table}")
        for table, frame in (("fct_delivery_quality", quality), ("fct_rejected_rules", rules))
        if frame is None
    ]
    rows = {
        "rows_read": (UI["rows_read"], fg.OKABE_ITO[0]),
        "rows_accepted": (UI["rows_accepted"], fg.OKABE_ITO[2]),
        "rows_rejected": (UI["rows_rejected"], fg.OKABE_ITO[5]),
    }
    modes = {m: (labels.modes[m], fg.OKABE_ITO[k]) for k, m in enumerate(("electronic", "paper"))}
    panels = [
        _panel("deliveries", "quality", fg.quality_template(UI["deliveries"], rows, False)),
        _panel(
            "rules",
            "quality",
            fg.quality_template(
                UI["rejected_by_rule"],
                {},
                True,
                UI["no_data" if rules is None else "no_rejections"],
            ),
        ),
        _panel("modes", "quality", fg.quality_template(UI["mode_mix"], modes, True)),
    ]
    return Page(
        "quality",
        [zone, _lang_selector()],
        panels,
        {},
        {"quality": quality_chunk(quality, rules)},
        notes,
    )


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
