"""The static dashboard site: index plus five pages, plotly.js shipped once, works offline.

Each page carries its selectors, the figure specs of its small panels (embedded
JSON) and a map to lazily loaded `data/*.js` chunks for the big ones (one chunk per
wave x zone for the report, per indicator for trends and zones), so a page loads
only what it shows. `app.js` swaps figures with `Plotly.react` on every change.
"""

from __future__ import annotations

import csv
import html
import json
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from typing import Any

import pandas as pd
from plotly.offline import get_plotlyjs

from dashboards import figures as fg
from dashboards.catalog import (
    DMA_DIMENSIONS,
    DOMAIN_ALL,
    LANGS,
    MEASURES,
    POOLED_ZONE,
    REPORT_FIGURES,
    UI,
    ReportFigure,
    Text,
)
from dashboards.data import DMA_BIN, MartData, load_marts
from orchestration.codebook import Codebook, load_codebook
from orchestration.settings import DBT_PROJECT_DIR

PAGES = ("report", "trends", "zones", "maturity", "quality")
DEFAULT_WAVE, DEFAULT_ZONE = 2020, "SH-01"
QUALITY_COLUMNS = {
    "fct_delivery_quality": {"delivery_id", "zone_id", "wave_id", "status", "received_at"}
    | {"rows_read", "rows_accepted", "rows_rejected", "n_electronic", "n_paper"},
    "fct_rejected_rules": {"zone_id", "wave_id", "delivery_id", "rule_id", "n_rows"},
}
Spec = dict[str, Any]


@dataclass(frozen=True)
class SiteReport:
    out_dir: Path
    pages: tuple[Path, ...]
    bytes: int
    plots: int
    chunks: int
    plots_per_page: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Selector:
    key: str
    options: list[tuple[str, Text]]
    default: str

    def config(self) -> Spec:
        return {"key": self.key, "default": self.default}


@dataclass
class Page:
    name: str
    selectors: list[Selector]
    panels: list[Spec]  # {"id", "chunk" (template or None), "key": [selector keys]}
    inline: dict[str, dict[str, Spec]]
    empty: dict[str, Spec]
    chunks: dict[str, dict[str, dict[str, Spec]]] = field(default_factory=dict)
    filters: list[Spec] = field(default_factory=list)
    notes: list[Text] = field(default_factory=list)


@dataclass(frozen=True)
class Labels:
    """zh/en labels from the marts, the codebook and the dbt seeds (never retyped)."""

    indicators: dict[str, Text]
    zones: dict[str, Text]
    domains: dict[str, Text]
    sections: dict[Any, Text]
    sizes: dict[Any, Text]
    modes: dict[str, Text]


def script_json(value: Any) -> str:
    """JSON safe inside <script>: no `</script>`, no HTML comment, no line separators."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for raw, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(raw, escaped)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _industry_groups() -> dict[str, Text]:
    path = DBT_PROJECT_DIR / "seeds" / "industry_groups.csv"
    with path.open(encoding="utf-8") as handle:
        return {
            r["industry_group"]: Text(r["label_en"], r["label_zh"]) for r in csv.DictReader(handle)
        }


def _split_label(label: str, sep: str) -> tuple[str, str] | None:
    head, found, tail = label.rpartition(sep)
    return (head, tail) if found else None


def build_labels(marts: MartData, codebook: Codebook) -> Labels:
    indicators = {}
    for row in marts.indicators.itertuples():
        en, zh = _split_label(row.label_en, ": "), _split_label(row.label_zh, "：")
        # "Question: option" labels break after the question so axis labels stay narrow.
        indicators[row.indicator_id] = Text(
            f"{en[0]}:\n{en[1]}" if en else row.label_en,
            f"{zh[0]}：\n{zh[1]}" if zh else row.label_zh,
        )
    zones = {POOLED_ZONE: UI["pooled"]}
    for row in marts.zones.itertuples():
        zones[row.zone_id] = Text(
            row.zone_name_en if isinstance(row.zone_name_en, str) else row.zone_id,
            row.zone_name_zh if isinstance(row.zone_name_zh, str) else row.zone_id,
        )
    sizes = {k: Text(v["en"], v["zh"]) for k, v in codebook.size_class_labels.items()}
    domains = {"all": DOMAIN_ALL, **_industry_groups(), **sizes}
    sections = {o.code: Text(o.en, o.zh) for o in codebook.item("A5_industry_section").options}
    modes = {o.code: Text(o.en, o.zh) for o in codebook.item("A12_mode").options}
    return Labels(indicators, zones, domains, sections, sizes, modes)


def _waves(marts: MartData) -> list[int]:
    return [int(w) for w in marts.waves["wave_id"]]


def _zones_with_data(marts: MartData) -> list[str]:
    return sorted(set(marts.estimates["zone_id"]) - {POOLED_ZONE})


def _zone_selector(marts: MartData, labels: Labels, default: str) -> Selector:
    zones = [POOLED_ZONE, *_zones_with_data(marts)]
    chosen = default if default in zones else zones[min(1, len(zones) - 1)]
    options = [(POOLED_ZONE, UI["pooled"])] + [
        (z, Text(f"{z} · {labels.zones[z].en}", f"{z} · {labels.zones[z].zh}")) for z in zones[1:]
    ]
    return Selector("zone", options, chosen)


def _wave_selector(marts: MartData, default: int = DEFAULT_WAVE) -> Selector:
    waves = _waves(marts)
    chosen = default if default in waves else waves[0]
    return Selector("wave", [(str(w), Text(str(w), str(w))) for w in waves], str(chosen))


def _lang_selector() -> Selector:
    return Selector(
        "lang", [("en", Text("English", "English")), ("zh", Text("中文", "中文"))], "en"
    )


def _slice(frame: pd.DataFrame, keys: list[str]) -> dict[tuple, pd.DataFrame]:
    return {k if isinstance(k, tuple) else (k,): g for k, g in frame.groupby(keys, sort=False)}


ESTIMATE_COLUMNS = ["wave_id", "zone_id", "domain", "indicator_id", "n_base", "n_yes"]
ESTIMATE_COLUMNS += ["estimate", "ci_low", "ci_high", "suppressed"]


def _narrow(estimates: pd.DataFrame) -> pd.DataFrame:
    """Only the columns the figures read (slicing a narrow frame is much faster)."""
    return estimates[ESTIMATE_COLUMNS]


def _empty(title: Text) -> Spec:
    return fg.empty_figure(title, UI["no_data"])


# ---------------------------------------------------------------- report


def report_figure(
    spec: ReportFigure, est: pd.DataFrame, marts: MartData, labels: Labels, wave: int, zone: str
) -> Spec:
    """One figure of the wave report for one wave and zone."""
    if spec.kind == "industry":
        pick = (marts.sections["wave_id"] == wave) & (marts.sections["zone_id"] == zone)
        picd = (marts.divisions["wave_id"] == wave) & (marts.divisions["zone_id"] == zone)
        return fg.industry_figure(
            marts.sections[pick], marts.divisions[picd], labels.sections, spec.title
        )
    if spec.kind == "size":
        pick = (marts.size_classes["wave_id"] == wave) & (marts.size_classes["zone_id"] == zone)
        rows = est[est["indicator_id"].isin(spec.indicators) & (est["domain"] == "all")]
        return fg.size_figure(
            marts.size_classes[pick],
            rows,
            labels.sizes,
            labels.indicators,
            spec.indicators,
            spec.title,
        )
    rows = est[est["indicator_id"].isin(spec.indicators) & est["domain"].isin(spec.domains)]
    series = [(d, labels.domains[d]) for d in spec.domains]
    bench = marts.benchmarks if spec.kind == "benchmark" else None
    return fg.estimate_bars(rows, spec.indicators, labels.indicators, series, spec.title, bench)


def report_page(marts: MartData, labels: Labels) -> Page:
    wave, zone = _wave_selector(marts), _zone_selector(marts, labels, DEFAULT_ZONE)
    chunks: dict[str, dict[str, dict[str, Spec]]] = {}
    for (w, z), est in _slice(_narrow(marts.estimates), ["wave_id", "zone_id"]).items():
        chunks[f"report/{w}/{z}"] = {
            f.fig_id: {"": report_figure(f, est, marts, labels, int(w), z)} for f in REPORT_FIGURES
        }
    panels = [{"id": f.fig_id, "chunk": "report/{wave}/{zone}", "key": []} for f in REPORT_FIGURES]
    empty = {f.fig_id: _empty(f.title) for f in REPORT_FIGURES}
    return Page("report", [wave, zone, _lang_selector()], panels, {}, empty, chunks)


# ---------------------------------------------------------------- trends and zones


def _indicator_selector(marts: MartData, labels: Labels) -> Selector:
    present = set(marts.estimates["indicator_id"])
    ids = [i for i in marts.indicators["indicator_id"] if i in present]
    options = [
        (
            i,
            Text(
                labels.indicators[i].en.replace("\n", " "),
                labels.indicators[i].zh.replace("\n", ""),
            ),
        )
        for i in ids
    ]
    default = "procurement_online_gt50" if "procurement_online_gt50" in ids else ids[0]
    return Selector("indicator", options, default)


def _domain_selector(marts: MartData, labels: Labels) -> Selector:
    present = list(dict.fromkeys(marts.estimates["domain"]))
    order = [d for d in labels.domains if d in present] + [
        d for d in present if d not in labels.domains
    ]
    return Selector("domain", [(d, labels.domains.get(d, Text(d, d))) for d in order], "all")


def trends_page(marts: MartData, labels: Labels) -> Page:
    meta = {r["indicator_id"]: r for r in marts.indicators.to_dict("records")}
    chunks = {}
    for (indicator,), rows in _slice(_narrow(marts.estimates), ["indicator_id"]).items():
        title = labels.indicators[indicator]
        figs = {
            domain: fg.trend_figure(part, labels.zones, marts.waves, meta[indicator], title)
            for (domain,), part in _slice(rows, ["domain"]).items()
        }
        chunks[f"trends/{indicator}"] = {"trend": figs}
    selectors = [
        _indicator_selector(marts, labels),
        _domain_selector(marts, labels),
        _zone_selector(marts, labels, DEFAULT_ZONE),
        _lang_selector(),
    ]
    panels = [{"id": "trend", "chunk": "trends/{indicator}", "key": ["domain"]}]
    return Page(
        "trends",
        selectors,
        panels,
        {},
        {"trend": _empty(UI["trend"])},
        chunks,
        filters=[{"key": "zone", "always": [POOLED_ZONE]}],
    )


def zones_page(marts: MartData, labels: Labels) -> Page:
    """Zones side by side for one wave and indicator (population: all enterprises)."""
    chunks = {}
    rows_all = _narrow(marts.estimates)
    rows_all = rows_all[rows_all["domain"] == "all"]
    zones = marts.zones[["zone_id", "hub_distance_group"]]
    for (indicator,), rows in _slice(rows_all, ["indicator_id"]).items():
        dots, hubs = {}, {}
        for (wave,), part in _slice(rows, ["wave_id"]).items():
            dots[f"{wave}"] = fg.zone_dots(part, labels.zones, labels.indicators[indicator])
            hubs[f"{wave}"] = fg.hub_groups(part, zones, labels.zones, UI["hub_groups"])
        chunks[f"zones/{indicator}"] = {"dots": dots, "hubs": hubs}
    levels = {
        f"{wave}|{measure}": fg.level_mix(part, labels.zones, measure, UI["level_mix"])
        for (wave, measure), part in _slice(marts.levels, ["wave_id", "measure"]).items()
    }
    selectors = [
        _indicator_selector(marts, labels),
        _wave_selector(marts),
        _measure_selector(),
        _lang_selector(),
    ]
    panels = [
        {"id": "dots", "chunk": "zones/{indicator}", "key": ["wave"]},
        {"id": "hubs", "chunk": "zones/{indicator}", "key": ["wave"]},
        {"id": "levels", "chunk": None, "key": ["wave", "measure"]},
    ]
    empty = {
        "dots": _empty(UI["zone_dots"]),
        "hubs": _empty(UI["hub_groups"]),
        "levels": _empty(UI["level_mix"]),
    }
    return Page("zones", selectors, panels, {"levels": levels}, empty, chunks)


# ---------------------------------------------------------------- maturity


def _measure_selector() -> Selector:
    return Selector("measure", [(k, v) for k, v in MEASURES.items()], "dma")


def maturity_page(marts: MartData, labels: Labels) -> Page:
    hist = {
        f"{w}|{z}|{m}": fg.score_histogram(part, m, DMA_BIN, UI["score_distribution"])
        for (w, z, m), part in _slice(marts.scores, ["wave_id", "zone_id", "measure"]).items()
    }
    dims = {
        f"{w}": fg.dimension_heatmap(part, labels.zones, DMA_DIMENSIONS, UI["dimensions"])
        for (w,), part in _slice(marts.dimensions, ["wave_id"]).items()
    }
    sankey = {
        f"{wf}-{wt}|{z}|{m}": fg.transition_sankey(part, m, UI["transitions"])
        for (wf, wt, z, m), part in _slice(
            marts.transitions, ["wave_from", "wave_to", "zone_id", "measure"]
        ).items()
    }
    pairs = sorted({k.split("|")[0] for k in sankey})
    pair = Selector(
        "pair",
        [(p, Text(p, p)) for p in pairs] or [("", Text("-", "-"))],
        pairs[0] if pairs else "",
    )
    selectors = [
        _wave_selector(marts),
        _zone_selector(marts, labels, POOLED_ZONE),
        _measure_selector(),
        pair,
        _lang_selector(),
    ]
    panels = [
        {"id": "hist", "chunk": None, "key": ["wave", "zone", "measure"]},
        {"id": "dims", "chunk": None, "key": ["wave"]},
        {"id": "sankey", "chunk": None, "key": ["pair", "zone", "measure"]},
    ]
    empty = {
        "hist": _empty(UI["score_distribution"]),
        "dims": _empty(UI["dimensions"]),
        "sankey": _empty(UI["transitions"]),
    }
    return Page(
        "maturity", selectors, panels, {"hist": hist, "dims": dims, "sankey": sankey}, empty
    )


# ---------------------------------------------------------------- data quality


def _usable(frame: pd.DataFrame | None, table: str) -> pd.DataFrame | None:
    if frame is None or not QUALITY_COLUMNS[table] <= set(frame.columns):
        return None
    return frame


def _by_zone(
    frame: pd.DataFrame, zones: Iterable[str], build: Callable[[pd.DataFrame], Spec]
) -> dict[str, Spec]:
    out = {POOLED_ZONE: build(frame)}
    for zone in zones:
        out[zone] = build(frame[frame["zone_id"] == zone])
    return out


def quality_page(marts: MartData, labels: Labels) -> Page:
    zone = _zone_selector(marts, labels, POOLED_ZONE)
    zones = [z for z, _ in zone.options if z != POOLED_ZONE]
    quality = _usable(marts.delivery_quality, "fct_delivery_quality")
    rules = _usable(marts.rejected_rules, "fct_rejected_rules")
    inline: dict[str, dict[str, Spec]] = {}
    notes = []
    if quality is None:
        notes.append(fg.fmt(UI["no_table"], table="marts.fct_delivery_quality"))
    else:
        inline["deliveries"] = _by_zone(
            quality, zones, lambda f: fg.delivery_rows(f, UI["deliveries"])
        )
        inline["modes"] = _by_zone(
            quality, zones, lambda f: fg.mode_mix(f, labels.modes, UI["mode_mix"])
        )
    if rules is None:
        notes.append(fg.fmt(UI["no_table"], table="marts.fct_rejected_rules"))
    else:
        inline["rules"] = _by_zone(
            rules, zones, lambda f: fg.rejected_by_rule(f, UI["rejected_by_rule"])
        )
    panels = [{"id": p, "chunk": None, "key": ["zone"]} for p in ("deliveries", "rules", "modes")]
    empty = {
        "deliveries": _empty(UI["deliveries"]),
        "rules": _empty(UI["rejected_by_rule"]),
        "modes": _empty(UI["mode_mix"]),
    }
    return Page("quality", [zone, _lang_selector()], panels, inline, empty, notes=notes)


# ---------------------------------------------------------------- HTML

PAGE = Template("""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>$title</title>
<style>$css</style>
<script src="plotly.min.js"></script>
</head><body>
<header><nav>$nav</nav></header>
<main>
<h1 $h1>$h1_text</h1>
$notes
<form class="selectors" onsubmit="return false">$selectors</form>
<div class="plots">$plots</div>
</main>
<script id="page-config" type="application/json">$config</script>
<script id="page-data" type="application/json">$data</script>
<script src="app.js"></script>
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
        "filters": page.filters,
        "chunk_files": chunk_files,
        "empty": page.empty,
        "base_layout": fg.base_layout(),
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
        data=script_json(page.inline),
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


def _write(path: Path, text: str) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8")
    path.write_bytes(data)
    return len(data)


def _write_chunks(page: Page, data_dir: Path) -> tuple[dict[str, str], int]:
    """One `data/<page>/<n>.js` per chunk; file names are numbered, never built from data."""
    files, size = {}, 0
    for n, (name, content) in enumerate(sorted(page.chunks.items())):
        rel = f"{page.name}/{n}.js"
        body = (
            "window.SME_CHUNKS=window.SME_CHUNKS||{};"
            f"window.SME_CHUNKS[{script_json(name)}]={script_json(content)};\n"
        )
        size += _write(data_dir / rel, body)
        files[name] = rel
    return files, size


BUILDERS: dict[str, Callable[[MartData, Labels], Page]] = {
    "report": report_page,
    "trends": trends_page,
    "zones": zones_page,
    "maturity": maturity_page,
    "quality": quality_page,
}


def build_site(analytics_db: Path, out_dir: Path) -> SiteReport:
    """Write index.html, one page per view, app.js, plotly.min.js and data chunks to `out_dir`."""
    marts = load_marts(analytics_db)
    labels = build_labels(marts, load_codebook())
    shutil.rmtree(out_dir / "data", ignore_errors=True)
    size = _write(out_dir / "plotly.min.js", get_plotlyjs())
    size += _write(
        out_dir / "app.js", (Path(__file__).with_name("app.js")).read_text(encoding="utf-8")
    )
    pages, chunks, per_page = [out_dir / "index.html"], 0, {}
    size += _write(pages[0], render_index(marts))
    for name, builder in BUILDERS.items():
        page = builder(marts, labels)
        files, chunk_bytes = _write_chunks(page, out_dir / "data")
        size += chunk_bytes + _write(out_dir / f"{name}.html", render_page(page, files))
        pages.append(out_dir / f"{name}.html")
        chunks += len(files)
        per_page[name] = len(page.panels)
    return SiteReport(out_dir, tuple(pages), size, sum(per_page.values()), chunks, per_page)


__all__ = ["LANGS", "SiteReport", "build_site"]
