"""Pure figure builders: small DataFrames in, Plotly figure-spec dicts out.

Every user-visible string is a bilingual `{"_i18n": {"en": ..., "zh": ...}}` node,
HTML-escaped (Plotly renders a subset of HTML in text). `localize(spec, lang)`
resolves the nodes into a plain Plotly spec; the pages do the same in the browser,
so one spec serves both languages. Shares are plotted as proportions (0-1, axis
formatted as %), exactly as the marts hold them. Suppressed cells never get a
value: they are drawn as grey hatched ghost bars whose hover says why.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from dashboards.catalog import (
    HUB_GROUPS,
    LEVELS,
    OKABE_ITO,
    POOLED_ZONE,
    SUPPRESSED_COLOUR,
    UI,
    Text,
)

Spec = dict[str, Any]
I18N = "_i18n"
UP, SAME, DOWN = "rgba(0,158,115,0.45)", "rgba(150,150,150,0.35)", "rgba(213,94,0,0.45)"


def t(text: Text | str) -> dict[str, dict[str, str]]:
    """A bilingual, HTML-escaped text node."""
    if isinstance(text, str):
        text = Text(text, text)
    # A newline in a label is a deliberate line break; everything else is escaped.
    return {
        I18N: {
            "en": html.escape(text.en).replace("\n", "<br>"),
            "zh": html.escape(text.zh).replace("\n", "<br>"),
        }
    }


def fmt(template: Text, **values: Text | str) -> Text:
    """Fill `{name}` fields of a bilingual template with (bilingual) values."""

    def pick(v: Text | str, lang: str) -> str:
        return v if isinstance(v, str) else v(lang)

    return Text(
        template.en.format(**{k: pick(v, "en") for k, v in values.items()}),
        template.zh.format(**{k: pick(v, "zh") for k, v in values.items()}),
    )


def localize(spec: Any, lang: str) -> Any:
    """Resolve every bilingual node of `spec` to `lang` (the browser does the same)."""
    if isinstance(spec, dict):
        if I18N in spec:
            return spec[I18N][lang]
        return {k: localize(v, lang) for k, v in spec.items()}
    if isinstance(spec, list):
        return [localize(v, lang) for v in spec]
    return spec


def base_layout() -> Spec:
    """Layout shared by every plot of the site (merged under each figure's own layout)."""
    return {
        "colorway": list(OKABE_ITO),
        "font": {"family": "Noto Sans, Noto Sans CJK SC, Arial, sans-serif", "size": 12},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "margin": {"l": 60, "r": 20, "t": 56, "b": 50},
        "hoverlabel": {"align": "left"},
        "legend": {"orientation": "h", "yanchor": "top", "y": -0.2},
    }


def _num(value: Any) -> float | None:
    """JSON-safe number: NaN/NA become null (never zero)."""
    if value is None or value is pd.NA:
        return None
    number = float(value)
    return None if math.isnan(number) else number


def _int(value: Any) -> int | None:
    number = _num(value)
    return None if number is None else int(number)


def _errors(rows: pd.DataFrame) -> tuple[list[float | None], list[float | None]]:
    """Distances from the estimate up to ci_high and down to ci_low (Plotly error arrays)."""
    up = (rows["ci_high"] - rows["estimate"]).tolist()
    down = (rows["estimate"] - rows["ci_low"]).tolist()
    return [_num(v) for v in up], [_num(v) for v in down]


def _share_axis(title: Text | None = None) -> Spec:
    axis: Spec = {"tickformat": ".0%", "range": [0, 1.02], "gridcolor": "#e5e5e5", "zeroline": True}
    if title is not None:
        axis["title"] = {"text": t(title)}
    return axis


def _category_axis(labels: Sequence[Any]) -> Spec:
    # Top-to-bottom in catalog order.
    return {
        "type": "category",
        "categoryorder": "array",
        "categoryarray": list(labels),
        "autorange": "reversed",
        "automargin": True,
    }


def empty_figure(title: Text, message: Text) -> Spec:
    """A plot that says why it is empty (keeps the page's plot count stable)."""
    return {
        "data": [],
        "layout": {
            "title": {"text": t(title)},
            "xaxis": {"visible": False},
            "yaxis": {"visible": False},
            "annotations": [
                {
                    "text": t(message),
                    "showarrow": False,
                    "xref": "paper",
                    "yref": "paper",
                    "x": 0.5,
                    "y": 0.5,
                    "font": {"size": 14, "color": "#555"},
                }
            ],
        },
    }


def suppressed_trace(labels: list[Any], ns: list[int | None], **axes: str) -> Spec:
    """Ghost bars for suppressed cells: full-width, hatched, grey, hover says suppressed."""
    return {
        "type": "bar",
        "orientation": "h",
        "name": t(UI["suppressed"]),
        "y": labels,
        "x": [1.0] * len(labels),
        "customdata": [[n] for n in ns],
        "marker": {
            "color": "rgba(158,158,158,0.18)",
            "line": {"color": SUPPRESSED_COLOUR, "width": 1},
            "pattern": {"shape": "/", "fgcolor": SUPPRESSED_COLOUR, "size": 6},
        },
        "hovertemplate": {
            I18N: {
                lang: "%{y}<br>" + html.escape(UI["suppressed"](lang)) + "<br>n = %{customdata[0]}"
                "<extra></extra>"
                for lang in ("en", "zh")
            }
        },
        "meta": {"suppressed": True},
        **axes,
    }


def _estimate_hover() -> dict[str, dict[str, str]]:
    return {
        I18N: {
            lang: "%{y}<br>%{x:.1%} ["
            + html.escape(UI["interval"](lang))
            + " %{customdata[1]:.1%}-%{customdata[2]:.1%}]<br>n = %{customdata[3]}"
            " (%{customdata[4]})<extra>%{fullData.name}</extra>"
            for lang in ("en", "zh")
        }
    }


def short_labels(labels: list[Text]) -> list[Text]:
    """Drop the question part ("question\noption") when every label shares it."""

    def parts(text: str) -> tuple[str, str]:
        head, _, tail = text.rpartition("\n")
        return head, tail

    heads = {(parts(x.en)[0], parts(x.zh)[0]) for x in labels}
    if len(heads) == 1 and next(iter(heads))[0]:
        return [Text(parts(x.en)[1], parts(x.zh)[1]) for x in labels]
    return labels


def estimate_bars(
    estimates: pd.DataFrame,
    order: Sequence[str],
    labels: dict[str, Text],
    series: Sequence[tuple[str, Text]],
    title: Text,
    benchmark: pd.DataFrame | None = None,
) -> Spec:
    """Horizontal bars of indicator shares with 95% intervals, one series per domain.

    estimates: fct_indicator_estimates rows of one wave and zone (columns
    indicator_id, domain, estimate, ci_low, ci_high, n_base, n_yes, suppressed).
    order: indicator ids top to bottom (ids without rows are left out).
    series: (domain, legend name) pairs. benchmark: dim_reference_benchmark rows
    (indicator_id, share, source_en, survey_year) drawn beside the survey's bars.
    """
    present = [i for i in order if i in set(estimates["indicator_id"])]
    if not present:
        return empty_figure(title, UI["no_data"])
    axis_labels = [t(x) for x in short_labels([labels[i] for i in present])]
    by_label = dict(zip(present, axis_labels, strict=True))
    data: list[Spec] = []
    ghosts: list[tuple[Any, int | None]] = []
    for colour, (domain, name) in enumerate(series):
        rows = estimates[estimates["domain"] == domain].set_index("indicator_id")
        rows = rows.reindex([i for i in present if i in rows.index])
        shown = rows[~rows["suppressed"].astype(bool)]
        ghosts += [(by_label[i], _int(r.n_base)) for i, r in rows.iterrows() if r.suppressed]
        data.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": t(name),
                "y": [by_label[i] for i in shown.index],
                "x": [_num(v) for v in shown["estimate"]],
                "error_x": {
                    "type": "data",
                    "symmetric": False,
                    "array": _errors(shown)[0],
                    "arrayminus": _errors(shown)[1],
                    "color": "#333",
                    "thickness": 1,
                },
                "customdata": [
                    [i, _num(r.ci_low), _num(r.ci_high), _int(r.n_base), _int(r.n_yes)]
                    for i, r in shown.iterrows()
                ],
                "marker": {"color": OKABE_ITO[colour % len(OKABE_ITO)]},
                "hovertemplate": _estimate_hover(),
                "meta": {"domain": domain, "indicators": list(shown.index)},
            }
        )
    bench = None if benchmark is None else benchmark[benchmark["indicator_id"].isin(present)]
    if bench is not None and not bench.empty:
        bench = bench.set_index("indicator_id")
        bench = bench.reindex([i for i in present if i in bench.index])
        source = " ".join(
            str(v) for v in (bench["source_en"].iloc[0], bench["survey_year"].iloc[0])
        )
        data.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": t(UI["benchmark"]),
                "y": [by_label[i] for i in bench.index],
                "x": [_num(v) for v in bench["share"]],
                "marker": {"color": OKABE_ITO[1], "pattern": {"shape": "."}},
                "hovertemplate": "%{y}<br>%{x:.0%}<extra>" + html.escape(source) + "</extra>",
                "meta": {"benchmark": True, "indicators": list(bench.index)},
            }
        )
    if ghosts:
        data.append(suppressed_trace([g[0] for g in ghosts], [g[1] for g in ghosts]))
    height = 120 + 26 * len(present) * max(1, len(series) + (benchmark is not None))
    return {
        "data": data,
        "layout": {
            "title": {"text": t(title)},
            "barmode": "group",
            "height": min(height, 900),
            "xaxis": _share_axis(UI["share"]),
            "yaxis": _category_axis(axis_labels),
            "showlegend": len(data) > 1,
        },
    }


def count_bars(
    counts: pd.DataFrame,
    key: str,
    labels: dict[Any, Text],
    title: Text,
    axes: tuple[str, str] = ("x", "y"),
) -> list[Spec]:
    """Traces of enterprise counts per category (n, suppressed), share of the total in hover."""
    counts = counts.sort_values("n", ascending=False)
    total = int(counts["n"].sum())
    shown = counts[~counts["suppressed"].astype(bool)]
    hidden = counts[counts["suppressed"].astype(bool)]
    label = [t(labels.get(k, Text(str(k), str(k)))) for k in shown[key]]
    traces: list[Spec] = [
        {
            "type": "bar",
            "orientation": "h",
            "name": t(title),
            "y": label,
            "x": [int(n) for n in shown["n"]],
            "customdata": [[n / total if total else None] for n in shown["n"]],
            "hovertemplate": "%{y}<br>n = %{x} (%{customdata[0]:.0%})<extra></extra>",
            "marker": {"color": OKABE_ITO[0]},
            "xaxis": axes[0],
            "yaxis": axes[1],
            "meta": {"categories": [str(k) for k in shown[key]]},
        }
    ]
    if not hidden.empty:
        ghost = suppressed_trace(
            [t(labels.get(k, Text(str(k), str(k)))) for k in hidden[key]],
            [None] * len(hidden),
            xaxis=axes[0],
            yaxis=axes[1],
        )
        # Counts axis, not shares: a ghost as long as the longest bar.
        ghost["x"] = [int(counts["n"].max())] * len(hidden)
        ghost["customdata"] = [[f"< {int(hidden['n'].max()) + 1}"] for _ in range(len(hidden))]
        traces.append(ghost)
    return traces


def two_panel(
    title: Text, left: list[Spec], right: list[Spec], titles: tuple[Text, Text], right_share: bool
) -> Spec:
    """Two side-by-side horizontal bar panels (x/y and x2/y2)."""
    for trace in right:
        trace["xaxis"], trace["yaxis"] = "x2", "y2"
    return {
        "data": left + right,
        "layout": {
            "title": {"text": t(title)},
            "height": 420,
            "showlegend": False,
            "xaxis": {"domain": [0.0, 0.44], "title": {"text": t(UI["enterprises"])}},
            "yaxis": {"automargin": True, "autorange": "reversed", "type": "category"},
            "xaxis2": {
                "domain": [0.56, 1.0],
                **(
                    _share_axis(UI["share"])
                    if right_share
                    else {"title": {"text": t(UI["enterprises"])}}
                ),
            },
            "yaxis2": {
                "anchor": "x2",
                "automargin": True,
                "autorange": "reversed",
                "type": "category",
            },
            "annotations": [
                {
                    "text": t(titles[0]),
                    "xref": "paper",
                    "yref": "paper",
                    "x": 0.0,
                    "y": 1.02,
                    "showarrow": False,
                    "xanchor": "left",
                    "yanchor": "bottom",
                },
                {
                    "text": t(titles[1]),
                    "xref": "paper",
                    "yref": "paper",
                    "x": 0.56,
                    "y": 1.02,
                    "showarrow": False,
                    "xanchor": "left",
                    "yanchor": "bottom",
                },
            ],
        },
    }


def industry_figure(
    sections: pd.DataFrame,
    divisions: pd.DataFrame,
    section_labels: dict[Any, Text],
    title: Text,
) -> Spec:
    """Figure 2: enterprises by industry section, and manufacturers by division."""
    if sections.empty:
        return empty_figure(title, UI["no_data"])
    division_labels = {
        d: Text(f"{int(d):02d}", f"{int(d):02d}") for d in divisions["industry_division"]
    }
    left = count_bars(sections, "industry_section", section_labels, UI["sections"])
    right = count_bars(divisions, "industry_division", division_labels, UI["divisions"])
    return two_panel(title, left, right, (UI["sections"], UI["divisions"]), right_share=False)


def size_figure(
    size_classes: pd.DataFrame,
    size_estimates: pd.DataFrame,
    size_labels: dict[Any, Text],
    indicator_labels: dict[str, Text],
    order: Sequence[str],
    title: Text,
) -> Spec:
    """Figure 3: enterprises by size class, and the size-threshold indicators."""
    if size_classes.empty:
        return empty_figure(title, UI["no_data"])
    size_classes = size_classes.assign(
        _order=size_classes["size_class"].map({k: i for i, k in enumerate(size_labels)})
    ).sort_values("_order")
    left = count_bars(size_classes, "size_class", size_labels, UI["size_classes"])
    left[0]["y"] = [
        t(size_labels[k])
        for k in size_classes.loc[~size_classes["suppressed"].astype(bool), "size_class"]
    ]
    bars = estimate_bars(size_estimates, order, indicator_labels, [("all", Text("", ""))], title)
    right = bars["data"]
    return two_panel(title, left, right, (UI["size_classes"], UI["size_flags"]), right_share=True)


def _band(x: list[Any], low: list[Any], high: list[Any], colour: str, meta: Spec) -> Spec:
    """A closed polygon between the interval bounds (None splits it like the line)."""
    return {
        "type": "scatter",
        "x": x + x[::-1],
        "y": high + low[::-1],
        "mode": "lines",
        "fill": "toself",
        "fillcolor": colour + "26",  # hex colour + alpha 0x26 (15%)
        "line": {"width": 0},
        "hoverinfo": "skip",
        "showlegend": False,
        "meta": meta,
    }


def _with_breaks(rows: list[dict[str, Any]], breaks: Iterable[int]) -> list[dict[str, Any]]:
    """Insert an empty point before each break wave the rows straddle (lines show a gap)."""
    waves = [r["wave_id"] for r in rows]
    gaps = [{"wave_id": None} for b in breaks if waves and min(waves) < b <= max(waves)]
    out: list[dict[str, Any]] = []
    pending = sorted(b for b in breaks if waves and min(waves) < b <= max(waves))
    for row in rows:
        while pending and row["wave_id"] >= pending[0]:
            out.append(gaps.pop())
            pending.pop(0)
        out.append(row)
    return out


def _trend_ghosts(waves: list[int], zone: str, zone_names: dict[str, Text]) -> Spec:
    """Suppressed waves of one zone, as crosses on a strip below the trend (no value)."""
    name = t(zone_names.get(zone, Text(zone, zone)))
    hover = {
        I18N: {
            lang: "%{x} %{y}: " + html.escape(UI["suppressed"](lang)) + "<extra></extra>"
            for lang in ("en", "zh")
        }
    }
    return {
        "type": "scatter",
        "mode": "markers",
        "name": t(UI["suppressed"]),
        "showlegend": False,
        "x": waves,
        "y": [name] * len(waves),
        "yaxis": "y2",
        "marker": {"symbol": "x-thin-open", "size": 10, "color": SUPPRESSED_COLOUR},
        "hovertemplate": hover,
        "meta": {"zone": zone, "suppressed": True},
    }


TREND_HOVER = (
    "%{x}: %{y:.1%} [%{customdata[0]:.1%}-%{customdata[1]:.1%}], n = %{customdata[2]}"
    "<extra>%{fullData.name}</extra>"
)


def _trend_line(rows: list[dict[str, Any]], zone: str, name: Any, colour: str) -> list[Spec]:
    """The interval band and the line of one zone (rows may hold gap points)."""
    x = [r["wave_id"] for r in rows]
    low = [_num(r.get("ci_low")) for r in rows]
    high = [_num(r.get("ci_high")) for r in rows]
    meta = {"zone": zone}
    line = {
        "type": "scatter",
        "mode": "lines+markers",
        "name": name,
        "x": x,
        "y": [_num(r.get("estimate")) for r in rows],
        "customdata": [
            [lo, hi, _int(r.get("n_base"))] for lo, hi, r in zip(low, high, rows, strict=True)
        ],
        "connectgaps": False,
        "line": {"color": colour, "width": 3 if zone == POOLED_ZONE else 2},
        "hovertemplate": TREND_HOVER,
        "meta": meta,
    }
    return [_band(x, low, high, colour, meta), line]


def _version_marks(starts: list[dict[str, Any]], indicator: dict[str, Any]) -> tuple[list, list]:
    """A dotted line and a note at each new instrument version (with comparability if not exact)."""
    shapes, notes = [], []
    comparability = indicator.get("comparability") or "exact"
    for start in starts:
        x = int(start["wave_id"]) - 0.5
        shapes.append(
            {
                "type": "line",
                "xref": "x",
                "yref": "paper",
                "x0": x,
                "x1": x,
                "y0": 0,
                "y1": 1,
                "line": {"dash": "dot", "color": "#555", "width": 1.5},
            }
        )
        note = fmt(UI["break"], version=str(start["instrument_version"]))
        if comparability != "exact":
            note = Text(f"{note.en}: {comparability}", f"{note.zh}：{comparability}")
        notes.append(
            {
                "text": t(note),
                "x": x,
                "xref": "x",
                "yref": "paper",
                "y": 1.0,
                "yanchor": "bottom",
                "showarrow": False,
                "font": {"size": 11},
                "hovertext": html.escape(str(indicator.get("comparability_note") or "")),
            }
        )
    return shapes, notes


def trend_figure(
    estimates: pd.DataFrame,
    zone_names: dict[str, Text],
    waves: pd.DataFrame,
    indicator: dict[str, Any],
    title: Text,
) -> Spec:
    """Every zone's (and the pooled) share across waves, with 95% interval bands.

    estimates: rows of one indicator and domain, all zones incl. `ALL`. waves:
    dim_wave (wave_id, instrument_version, is_first_wave_of_version). indicator:
    its dim_indicator row. A dotted line and a note mark each new instrument
    version; where the indicator is not exactly comparable across versions the
    lines and bands break there. Suppressed cells are crosses on a strip below the
    plot, never values.
    """
    if estimates.empty:
        return empty_figure(title, UI["no_data"])
    wave_rows = waves.to_dict("records")
    first = min(int(w["wave_id"]) for w in wave_rows)
    starts = [w for w in wave_rows if w["is_first_wave_of_version"] and w["wave_id"] > first]
    comparable = (indicator.get("comparability") or "exact") == "exact"
    breaks = [] if comparable else [int(w["wave_id"]) for w in starts]
    by_zone: dict[str, list[dict[str, Any]]] = {}
    for row in estimates.sort_values("wave_id").to_dict("records"):
        by_zone.setdefault(row["zone_id"], []).append(row)
    zones = sorted(by_zone, key=lambda z: (z != POOLED_ZONE, z))
    data: list[Spec] = []
    ghosts: list[Spec] = []
    for k, zone in enumerate(zones):
        rows = by_zone[zone]
        shown = [r for r in rows if not r["suppressed"]]
        hidden = [int(r["wave_id"]) for r in rows if r["suppressed"]]
        if hidden:
            ghosts.append(_trend_ghosts(hidden, zone, zone_names))
        colour = OKABE_ITO[7] if zone == POOLED_ZONE else OKABE_ITO[(k - 1) % 7]
        name = t(zone_names.get(zone, Text(zone, zone)))
        data += _trend_line(_with_breaks(shown, breaks), zone, name, colour)
    shapes, notes = _version_marks(starts, indicator)
    wave_ids = [int(w["wave_id"]) for w in wave_rows]
    return {
        "data": data + ghosts,
        "layout": {
            "title": {"text": t(title)},
            "height": 460,
            "xaxis": {
                "tickmode": "array",
                "tickvals": wave_ids,
                "range": [min(wave_ids) - 0.5, max(wave_ids) + 0.5],
            },
            "yaxis": {**_share_axis(UI["share"]), "domain": [0.16, 1.0] if ghosts else [0.0, 1.0]},
            "yaxis2": {
                "domain": [0.0, 0.1],
                "type": "category",
                "visible": bool(ghosts),
                "automargin": True,
            },
            "shapes": shapes,
            "annotations": notes,
        },
    }


def zone_dots(estimates: pd.DataFrame, zone_names: dict[str, Text], title: Text) -> Spec:
    """Zones side by side: sorted dot plot with 95% intervals (one wave, indicator, domain)."""
    rows = estimates[estimates["zone_id"] != POOLED_ZONE]
    if rows.empty:
        return empty_figure(title, UI["no_data"])
    shown = rows[~rows["suppressed"].astype(bool)].sort_values("estimate", ascending=False)
    hidden = rows[rows["suppressed"].astype(bool)]
    name = {z: t(zone_names.get(z, Text(z, z))) for z in rows["zone_id"]}
    data: list[Spec] = [
        {
            "type": "scatter",
            "mode": "markers",
            "name": t(UI["estimate"]),
            "y": [name[z] for z in shown["zone_id"]],
            "x": [_num(v) for v in shown["estimate"]],
            "error_x": {
                "type": "data",
                "symmetric": False,
                "array": _errors(shown)[0],
                "arrayminus": _errors(shown)[1],
            },
            "customdata": [
                [z, _num(lo), _num(hi), _int(n), _int(y)]
                for z, lo, hi, n, y in zip(
                    shown["zone_id"],
                    shown["ci_low"],
                    shown["ci_high"],
                    shown["n_base"],
                    shown["n_yes"],
                    strict=True,
                )
            ],
            "marker": {"size": 11, "color": OKABE_ITO[0]},
            "hovertemplate": _estimate_hover(),
            "meta": {"zones": list(shown["zone_id"])},
        }
    ]
    if not hidden.empty:
        data.append(
            suppressed_trace(
                [name[z] for z in hidden["zone_id"]], [_int(n) for n in hidden["n_base"]]
            )
        )
    order = [name[z] for z in shown["zone_id"]] + [name[z] for z in hidden["zone_id"]]
    return {
        "data": data,
        "layout": {
            "title": {"text": t(title)},
            "height": 140 + 30 * len(order),
            "xaxis": _share_axis(UI["share"]),
            "yaxis": _category_axis(order),
            "showlegend": False,
        },
    }


def hub_groups(
    estimates: pd.DataFrame, zones: pd.DataFrame, zone_names: dict[str, Text], title: Text
) -> Spec:
    """Zone estimates grouped by distance to the tech hubs (near / far / no location)."""
    rows = estimates[(estimates["zone_id"] != POOLED_ZONE) & ~estimates["suppressed"].astype(bool)]
    if rows.empty:
        return empty_figure(title, UI["no_data"])
    group = zones.set_index("zone_id")["hub_distance_group"].fillna("unknown")
    rows = rows.assign(group=rows["zone_id"].map(group).fillna("unknown"))
    data = []
    for k, (key, label) in enumerate(HUB_GROUPS.items()):
        part = rows[rows["group"] == key].sort_values("estimate")
        if part.empty:
            continue
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": t(label),
                "x": [t(label)] * len(part),
                "y": [_num(v) for v in part["estimate"]],
                "text": [t(zone_names.get(z, Text(z, z))) for z in part["zone_id"]],
                "error_y": {
                    "type": "data",
                    "symmetric": False,
                    "array": _errors(part)[0],
                    "arrayminus": _errors(part)[1],
                },
                "marker": {"size": 11, "color": OKABE_ITO[k]},
                "hovertemplate": "%{text}: %{y:.1%}<extra></extra>",
                "meta": {"zones": list(part["zone_id"])},
            }
        )
    return {
        "data": data,
        "layout": {
            "title": {"text": t(title)},
            "height": 380,
            "yaxis": _share_axis(UI["share"]),
            "xaxis": {"type": "category"},
            "showlegend": False,
        },
    }


def level_mix(levels: pd.DataFrame, zone_names: dict[str, Text], measure: str, title: Text) -> Spec:
    """Share of enterprises at each level, one stacked bar per zone.

    Zone-waves with fewer than 5 enterprises are drawn as suppressed.
    """
    if levels.empty:
        return empty_figure(title, UI["no_data"])
    totals = levels.groupby("zone_id")["n"].sum()
    zones = [
        z
        for z in [POOLED_ZONE, *sorted(totals.index.drop(POOLED_ZONE, errors="ignore"))]
        if z in totals.index
    ]
    small = [z for z in zones if totals[z] < 5]
    zones = [z for z in zones if z not in small]
    data = []
    for k, (level, label) in enumerate(LEVELS[measure].items()):
        counts = levels[levels["level"] == level].set_index("zone_id")["n"].reindex(zones).fillna(0)
        data.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": t(label),
                "y": [t(zone_names.get(z, Text(z, z))) for z in zones],
                "x": [float(counts[z] / totals[z]) for z in zones],
                "customdata": [[int(counts[z])] for z in zones],
                "marker": {"color": OKABE_ITO[k]},
                "hovertemplate": "%{y}<br>%{x:.0%} (n = %{customdata[0]})"
                "<extra>%{fullData.name}</extra>",
                "meta": {"level": level},
            }
        )
    if small:
        data.append(
            suppressed_trace(
                [t(zone_names.get(z, Text(z, z))) for z in small], [int(totals[z]) for z in small]
            )
        )
    return {
        "data": data,
        "layout": {
            "title": {"text": t(title)},
            "barmode": "stack",
            "height": 160 + 30 * (len(zones) + len(small)),
            "xaxis": _share_axis(UI["share"]),
            "yaxis": {"automargin": True, "autorange": "reversed"},
        },
    }


def score_histogram(scores: pd.DataFrame, measure: str, bin_width: int, title: Text) -> Spec:
    """Enterprises per score bin (dma: bins of `bin_width` points; dii: per value)."""
    if scores.empty:
        return empty_figure(title, UI["no_data"])
    scores = scores.sort_values("bin")
    width = bin_width if measure == "dma" else 1
    offset = width / 2 if measure == "dma" else 0
    return {
        "data": [
            {
                "type": "bar",
                "name": t(UI["enterprises"]),
                "x": [int(b) + offset for b in scores["bin"]],
                "y": [int(n) for n in scores["n"]],
                "width": [width * 0.95] * len(scores),
                "customdata": [
                    [int(b), int(b) + width - (0 if measure == "dma" else 1)] for b in scores["bin"]
                ],
                "marker": {"color": OKABE_ITO[0]},
                "hovertemplate": "%{customdata[0]}-%{customdata[1]}: n = %{y}<extra></extra>",
            }
        ],
        "layout": {
            "title": {"text": t(title)},
            "height": 360,
            "xaxis": {"title": {"text": t(UI["score_distribution"])}},
            "yaxis": {"title": {"text": t(UI["enterprises"])}},
        },
    }


def dimension_heatmap(
    dimensions: pd.DataFrame, zone_names: dict[str, Text], dim_labels: dict[str, Text], title: Text
) -> Spec:
    """Mean score (0-100) of the six maturity dimensions per zone; small zones suppressed."""
    if dimensions.empty:
        return empty_figure(title, UI["no_data"])
    zones = [
        z
        for z in [POOLED_ZONE, *sorted(set(dimensions["zone_id"]) - {POOLED_ZONE})]
        if z in set(dimensions["zone_id"])
    ]
    dims = list(dim_labels)
    grid = dimensions.set_index(["zone_id", "dimension"])
    z, text = [], []
    for zone in zones:
        row_z, row_t = [], []
        for dim in dims:
            cell = grid.loc[(zone, dim)] if (zone, dim) in grid.index else None
            hidden = cell is None or bool(cell["suppressed"])
            row_z.append(None if hidden else round(float(cell["mean_score"]), 1))
            row_t.append(t(UI["suppressed"]) if hidden else f"{float(cell['mean_score']):.0f}")
        z.append(row_z)
        text.append(row_t)
    return {
        "data": [
            {
                "type": "heatmap",
                "z": z,
                "text": text,
                "texttemplate": "%{text}",
                "x": [t(dim_labels[d]) for d in dims],
                "y": [t(zone_names.get(zz, Text(zz, zz))) for zz in zones],
                "zmin": 0,
                "zmax": 100,
                "colorscale": "Cividis",
                "xgap": 2,
                "ygap": 2,
                "hovertemplate": "%{y}<br>%{x}: %{text}<extra></extra>",
                "colorbar": {"title": {"text": t(UI["mean_score"])}},
            }
        ],
        "layout": {
            "title": {"text": t(title)},
            "height": 200 + 36 * len(zones),
            "yaxis": {"automargin": True, "autorange": "reversed"},
            "xaxis": {"automargin": True},
            "plot_bgcolor": "#eeeeee",
        },
    }


def transition_sankey(transitions: pd.DataFrame, measure: str, title: Text) -> Spec:
    """Enterprises seen in two consecutive waves: level in wave t -> level in wave t+1.

    Only levels that occur get a node, placed lowest level at the bottom on each side.
    """
    if transitions.empty:
        return empty_figure(title, UI["no_data"])
    order = list(LEVELS[measure])
    waves = (int(transitions["wave_from"].iloc[0]), int(transitions["wave_to"].iloc[0]))
    sides = [
        [lv for lv in order if lv in set(transitions[column])]
        for column in ("level_from", "level_to")
    ]
    nodes = [(side, lv) for side in (0, 1) for lv in sides[side]]
    index = {node: k for k, node in enumerate(nodes)}
    colour = {"up": UP, "same": SAME, "down": DOWN}
    label = LEVELS[measure]
    node = {
        "label": [
            t(Text(f"{label[lv].en} {waves[s]}", f"{label[lv].zh} {waves[s]}")) for s, lv in nodes
        ],
        "color": [OKABE_ITO[order.index(lv)] for _, lv in nodes],
        "x": [0.001 if s == 0 else 0.999 for s, _ in nodes],
        "y": [0.999 - (sides[s].index(lv) + 0.5) / len(sides[s]) * 0.998 for s, lv in nodes],
        "pad": 18,
    }
    link = {
        "source": [index[(0, lv)] for lv in transitions["level_from"]],
        "target": [index[(1, lv)] for lv in transitions["level_to"]],
        "value": [int(n) for n in transitions["n_enterprises"]],
        "color": [colour.get(m, SAME) for m in transitions["movement"]],
        "hovertemplate": "%{source.label} → %{target.label}: n = %{value}<extra></extra>",
    }
    return {
        "data": [{"type": "sankey", "arrangement": "snap", "node": node, "link": link}],
        "layout": {"title": {"text": t(title)}, "height": 420},
    }


def delivery_rows(quality: pd.DataFrame, title: Text) -> Spec:
    """Rows read, accepted and quarantined per delivery, in order of wave and zone."""
    if quality.empty:
        return empty_figure(title, UI["no_data"])
    quality = quality.sort_values(["wave_id", "zone_id", "received_at"])
    names = [
        f"{w} {html.escape(str(z))} · {html.escape(str(d))} ({html.escape(str(s))})"
        for w, z, d, s in zip(
            quality["wave_id"],
            quality["zone_id"],
            quality["delivery_id"],
            quality["status"],
            strict=True,
        )
    ]
    data = [
        {
            "type": "bar",
            "name": t(UI[key]),
            "x": names,
            "y": [_int(v) for v in quality[key]],
            "marker": {"color": colour},
            "hovertemplate": "%{x}<br>%{y}<extra>%{fullData.name}</extra>",
        }
        for key, colour in (
            ("rows_read", OKABE_ITO[0]),
            ("rows_accepted", OKABE_ITO[2]),
            ("rows_rejected", OKABE_ITO[5]),
        )
    ]
    return {
        "data": data,
        "layout": {
            "title": {"text": t(title)},
            "barmode": "group",
            "height": 420,
            "xaxis": {"type": "category", "automargin": True},
        },
    }


def rejected_by_rule(rules: pd.DataFrame, title: Text) -> Spec:
    """Rows failing each rule (expectation) per wave, stacked by rule."""
    if rules.empty:
        return empty_figure(title, UI["no_data"])
    summed = rules.groupby(["rule_id", "wave_id"], as_index=False)["n_rows"].sum()
    waves = sorted(int(w) for w in summed["wave_id"].unique())
    data = []
    for k, (rule, part) in enumerate(summed.groupby("rule_id")):
        counts = part.set_index("wave_id")["n_rows"].reindex(waves).fillna(0)
        data.append(
            {
                "type": "bar",
                "name": html.escape(str(rule)),
                "x": [str(w) for w in waves],
                "y": [int(v) for v in counts],
                "marker": {"color": OKABE_ITO[k % len(OKABE_ITO)]},
                "hovertemplate": "%{x}: %{y}<extra>%{fullData.name}</extra>",
            }
        )
    return {
        "data": data,
        "layout": {
            "title": {"text": t(title)},
            "barmode": "stack",
            "height": 380,
            "xaxis": {"type": "category"},
        },
    }


def mode_mix(quality: pd.DataFrame, mode_labels: dict[str, Text], title: Text) -> Spec:
    """Electronic vs paper questionnaires per wave (loaded deliveries)."""
    if quality.empty:
        return empty_figure(title, UI["no_data"])
    loaded = quality[quality["status"] == "loaded"] if "status" in quality else quality
    summed = loaded.groupby("wave_id")[["n_electronic", "n_paper"]].sum().sort_index()
    data = [
        {
            "type": "bar",
            "name": t(mode_labels[mode]),
            "x": [str(w) for w in summed.index],
            "y": [int(v) for v in summed[f"n_{mode}"]],
            "marker": {"color": OKABE_ITO[k]},
            "hovertemplate": "%{x}: %{y}<extra>%{fullData.name}</extra>",
        }
        for k, mode in enumerate(("electronic", "paper"))
    ]
    return {
        "data": data,
        "layout": {
            "title": {"text": t(title)},
            "barmode": "stack",
            "height": 360,
            "xaxis": {"type": "category"},
        },
    }
