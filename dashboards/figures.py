"""Pure figure templates: the look of every plot, as Plotly spec fragments.

A template is `{"layout": {...}, "styles": {role: partial trace}, "basis": text}`;
`basis` says what the plot draws (which estimate, or what it counts) and plots.js shows
it as the title's subtitle on every chart. The page script
(`plots.js`) turns the selected slice of the compact data into traces, gives each
trace the style of its role and merges the layout, so a plot's look is defined
once, here, and its data-to-trace mapping once, in plots.js.

Every user-visible string is a bilingual `{"_i18n": {"en": ..., "zh": ...}}` node,
HTML-escaped (Plotly renders a subset of HTML in text). `localize(spec, lang)`
resolves the nodes; the pages do the same in the browser.
"""

from __future__ import annotations

import html
from typing import Any

from dashboards.catalog import OKABE_ITO, SUPPRESSED_COLOUR, UI, Text

Spec = dict[str, Any]
I18N = "_i18n"
UP, SAME, DOWN = "rgba(0,158,115,0.45)", "rgba(150,150,150,0.35)", "rgba(213,94,0,0.45)"
# In container coordinates at the figure's foot, so it never sits on the x-axis title;
# plots.js widens the bottom margin (LEGEND_MARGIN) when a legend is shown.
LEGEND_BELOW = {
    "orientation": "h",
    "yref": "container",
    "y": 0.0,
    "yanchor": "bottom",
    "x": 0,
    "xanchor": "left",
}
LEGEND_MARGIN = 96  # tick labels + axis title + one legend row


def t(text: Text | str) -> dict[str, dict[str, str]]:
    """A bilingual, HTML-escaped text node (a newline is a deliberate line break)."""
    if isinstance(text, str):
        text = Text(text, text)
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


def _hover(template: str, **texts: Text) -> dict[str, dict[str, str]]:
    """A hovertemplate per language; `{name}` fields take escaped UI strings."""
    return {
        I18N: {
            lang: template.format(**{k: html.escape(v(lang)) for k, v in texts.items()})
            for lang in ("en", "zh")
        }
    }


def base_layout() -> Spec:
    """Layout shared by every plot of the site (merged under each figure's own layout)."""
    return {
        "colorway": list(OKABE_ITO),
        "font": {"family": "Noto Sans, Noto Sans CJK SC, Arial, sans-serif", "size": 12},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "margin": {"l": 60, "r": 20, "t": 56, "b": 50},
        "hoverlabel": {"align": "left"},
        "legend": LEGEND_BELOW,
    }


def share_axis(title: Text | None = UI["share"]) -> Spec:
    axis: Spec = {"tickformat": ".0%", "range": [0, 1.02], "gridcolor": "#e5e5e5", "zeroline": True}
    if title is not None:
        axis["title"] = {"text": t(title), "standoff": 8}
    return axis


def category_axis() -> Spec:
    """Categories top to bottom in the order given (plots.js sets categoryarray)."""
    return {"type": "category", "autorange": "reversed", "automargin": True}


def ghost_style() -> Spec:
    """Suppressed cells: a short hatched grey stub at the axis start labelled "suppressed".

    The stub has the same short length on every row and carries a word, so it never
    reads as a value (a full-length bar looked like 100%); the hover says why.
    """
    return {
        "type": "bar",
        "orientation": "h",
        "name": t(UI["suppressed"]),
        "showlegend": False,
        "marker": {
            "color": "rgba(158,158,158,0.18)",
            "line": {"color": SUPPRESSED_COLOUR, "width": 1},
            "pattern": {"shape": "/", "fgcolor": SUPPRESSED_COLOUR, "size": 4},
        },
        "text": t(UI["suppressed_stub"]),
        "textposition": "outside",
        "textfont": {"color": "#666", "size": 11},
        "cliponaxis": False,
        "hovertemplate": _hover("%{{y}}<br>{s}<extra></extra>", s=UI["suppressed"]),
        "meta": {"suppressed": True},
    }


def estimate_hover() -> dict[str, dict[str, str]]:
    return _hover(
        "%{{y}}<br>%{{x:.1%}} [{i} %{{customdata[1]:.1%}}-%{{customdata[2]:.1%}}]"
        "<br>n ≈ %{{customdata[3]}} · {g} %{{customdata[4]}}<extra>%{{fullData.name}}</extra>",
        i=UI["interval"],
        g=UI["quality_grade"],
    )


def empty_figure(title: Text, message: Text = UI["no_data"]) -> Spec:
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


def _series_style() -> Spec:
    """One bar series per domain; plots.js colours series k with the layout's colorway[k]."""
    return {
        "type": "bar",
        "orientation": "h",
        "error_x": {"type": "data", "symmetric": False, "color": "#333", "thickness": 1},
        "hovertemplate": estimate_hover(),
        # n at the bar's base, inside it (outside it would sit on the interval whisker).
        "textposition": "inside",
        "insidetextanchor": "start",
        "textfont": {"size": 10},
        "constraintext": "none",
    }


def bars_template(title: Text) -> Spec:
    """Indicator shares as horizontal bars with 95% intervals, one series per domain."""
    return {
        "layout": {
            "title": {"text": t(title)},
            "barmode": "group",
            "xaxis": share_axis(),
            "yaxis": category_axis(),
            "legend": LEGEND_BELOW,
        },
        "styles": {
            "series": _series_style(),
            "ghost": ghost_style(),
            "benchmark": {
                "type": "bar",
                "orientation": "h",
                "name": t(UI["benchmark"]),
                "marker": {"color": OKABE_ITO[1], "pattern": {"shape": "."}},
                "hovertemplate": "%{y}<br>%{x:.0%}<extra>%{meta.source}</extra>",
            },
            "legend_margin": LEGEND_MARGIN,
        },
        "basis": t(UI["basis_share"]),
        "empty": empty_figure(title),
    }


def _panel_title(text: Text, y: float) -> Spec:
    return {
        "text": t(text),
        "xref": "paper",
        "yref": "paper",
        "x": 0,
        "y": y,
        "showarrow": False,
        "xanchor": "left",
        "yanchor": "bottom",
        "font": {"size": 13},
    }


def two_panel_template(title: Text, titles: tuple[Text, Text], right_share: bool) -> Spec:
    """Two horizontal bar panels, one above the other (x/y counts; x2/y2 counts or shares).

    Stacked, not side by side: both panels' category labels then share the left margin
    (side by side, the second panel's labels ran over the first panel's bars).
    """
    counts_axis = {"title": {"text": t(UI["enterprises"]), "standoff": 4}}
    return {
        "layout": {
            "title": {"text": t(title)},
            "height": 600,
            "showlegend": False,
            "margin": {"t": 80},
            "xaxis": {"anchor": "y", **counts_axis},
            # The top panel stops short of the paper's top: its panel title sits in the
            # gap, below the figure title's subtitle (which is anchored at the top).
            "yaxis": {"domain": [0.56, 0.93], **category_axis()},
            "xaxis2": {"anchor": "y2", **(share_axis() if right_share else counts_axis)},
            "yaxis2": {"domain": [0.0, 0.34], **category_axis()},
            "annotations": [_panel_title(titles[0], 0.94), _panel_title(titles[1], 0.35)],
        },
        "styles": {
            "counts": {
                "type": "bar",
                "orientation": "h",
                "marker": {"color": OKABE_ITO[0]},
                "hovertemplate": "%{y}<br>n ≈ %{x}<extra></extra>",
            },
            "ghost": ghost_style(),
            "series": _series_style(),
        },
        "basis": t(UI["basis_counts_share" if right_share else "basis_counts"]),
        "empty": empty_figure(title),
    }


def trend_template(title: Text) -> Spec:
    """An indicator across waves: a line and 95% band per zone, version breaks marked."""
    hover = (
        "%{x}: %{y:.1%} [%{customdata[0]:.1%}-%{customdata[1]:.1%}], n ≈ %{customdata[2]}"
        "<extra>%{fullData.name}</extra>"
    )
    return {
        "layout": {
            "title": {"text": t(title)},
            "height": 460,
            "xaxis": {"tickmode": "array"},
            "yaxis": share_axis(),
            "yaxis2": {"type": "category", "automargin": True},
            "legend": LEGEND_BELOW,
            "margin": {"b": LEGEND_MARGIN},
        },
        "styles": {
            "line": {
                "type": "scatter",
                "mode": "lines+markers",
                "connectgaps": False,
                "hovertemplate": hover,
            },
            "band": {
                "type": "scatter",
                "mode": "lines",
                "fill": "toself",
                "line": {"width": 0},
                "hoverinfo": "skip",
                "showlegend": False,
            },
            "ghost": {
                "type": "scatter",
                "mode": "markers",
                "name": t(UI["suppressed"]),
                "showlegend": False,
                "yaxis": "y2",
                "marker": {"symbol": "x-thin-open", "size": 10, "color": SUPPRESSED_COLOUR},
                "hovertemplate": _hover("%{{x}} %{{y}}: {s}<extra></extra>", s=UI["suppressed"]),
            },
            "nrow": {
                "type": "scatter",
                "mode": "text",
                "yaxis": "y2",
                "textfont": {"size": 10, "color": "#444"},
                "hoverinfo": "skip",
                "showlegend": False,
                "cliponaxis": False,
            },
            "mark": {
                "type": "line",
                "xref": "x",
                "yref": "paper",
                "y0": 0,
                "y1": 1,
                "line": {"dash": "dot", "color": "#555", "width": 1.5},
            },
            # Inside the plot's top edge, right of the dotted line: above the plot it ran
            # into the title's subtitle (what the chart draws).
            "note": {
                "xref": "x",
                "yref": "paper",
                "y": 1.0,
                "yanchor": "top",
                "xanchor": "left",
                "xshift": 4,
                "showarrow": False,
                "bgcolor": "rgba(255,255,255,0.85)",
                "font": {"size": 11},
            },
            "break": t(UI["break"]),
        },
        "basis": t(UI["basis_share"]),
        "empty": empty_figure(title),
    }


def dots_template(title: Text) -> Spec:
    """Zones side by side: a sorted dot plot with 95% intervals."""
    return {
        "layout": {
            "title": {"text": t(title)},
            "xaxis": share_axis(),
            "yaxis": category_axis(),
            "showlegend": False,
        },
        "styles": {
            "dots": {
                "type": "scatter",
                "mode": "markers",
                "name": t(UI["estimate"]),
                "error_x": {"type": "data", "symmetric": False},
                "marker": {"size": 9, "color": OKABE_ITO[0]},
                "hovertemplate": estimate_hover(),
            },
            "ghost": ghost_style(),
        },
        "basis": t(UI["basis_share"]),
        "empty": empty_figure(title),
    }


def hubs_template(title: Text) -> Spec:
    """Zone estimates grouped by distance to the tech hubs.

    Groups sit at x = 0, 1, ... (plots.js sets the tick text); each group's zones are
    spread sideways and labelled with their short names so points never hide each other.
    """
    return {
        "layout": {
            "title": {"text": t(title)},
            "height": 420,
            "yaxis": share_axis(),
            "xaxis": {
                "tickmode": "array",
                "automargin": True,
                "zeroline": False,
                "showgrid": False,
            },
            "showlegend": False,
        },
        "styles": {
            "group": {
                "type": "scatter",
                "mode": "markers+text",
                "textposition": "middle right",
                "textfont": {"size": 10, "color": "#444"},
                "cliponaxis": False,
                "error_y": {"type": "data", "symmetric": False, "thickness": 1},
                "marker": {"size": 9},
                "hovertemplate": "%{customdata}: %{y:.1%}<extra></extra>",
            }
        },
        "basis": t(UI["basis_share"]),
        "empty": empty_figure(title),
    }


def level_mix_template(title: Text) -> Spec:
    """Share of enterprises at each level, one stacked bar per zone."""
    return {
        "layout": {
            "title": {"text": t(title)},
            "barmode": "stack",
            "xaxis": share_axis(),
            "yaxis": category_axis(),
            # Below the axis title, not on it (legend under a share axis with a title).
            # Lowest level first, as the bars stack (Plotly reverses stacked legends).
            "legend": {**LEGEND_BELOW, "traceorder": "normal"},
            "margin": {"b": LEGEND_MARGIN},
        },
        "styles": {
            "level": {
                "type": "bar",
                "orientation": "h",
                "hovertemplate": "%{y}<br>%{x:.0%} (n ≈ %{customdata[0]})"
                "<extra>%{fullData.name}</extra>",
            },
            "ghost": ghost_style(),
        },
        "basis": t(UI["basis_levels"]),
        "empty": empty_figure(title),
    }


def histogram_template(title: Text) -> Spec:
    """Enterprises per score bin."""
    return {
        "layout": {
            "title": {"text": t(title)},
            "height": 360,
            "xaxis": {"title": {"text": t(UI["score_distribution"])}},
            "yaxis": {"title": {"text": t(UI["enterprises"])}},
            "showlegend": False,
        },
        "styles": {
            "bins": {
                "type": "bar",
                "name": t(UI["enterprises"]),
                "marker": {"color": OKABE_ITO[0]},
                "hovertemplate": "%{customdata[0]}-%{customdata[1]}: n ≈ %{y}<extra></extra>",
            }
        },
        "basis": t(UI["basis_counts"]),
        "empty": empty_figure(title),
    }


def heatmap_template(title: Text) -> Spec:
    """Mean dimension scores (0-100) per zone."""
    return {
        "layout": {
            "title": {"text": t(title)},
            "yaxis": {"automargin": True, "autorange": "reversed", "type": "category"},
            # Column names below the cells: on top they ran into the figure title.
            "xaxis": {"automargin": True, "side": "bottom", "tickangle": -30},
            "plot_bgcolor": "#eeeeee",
        },
        "styles": {
            "cells": {
                "type": "heatmap",
                "texttemplate": "%{text}",
                "zmin": 0,
                "zmax": 100,
                "colorscale": "Cividis",
                "xgap": 2,
                "ygap": 2,
                "hovertemplate": "%{y}<br>%{x}: %{text}<extra></extra>",
                "colorbar": {"title": {"text": t(UI["mean_score"])}},
            },
            "suppressed": t(UI["suppressed_short"]),
        },
        "basis": t(UI["basis_means"]),
        "empty": empty_figure(title),
    }


def sankey_template(title: Text) -> Spec:
    """Level in wave t -> level in wave t+1 of enterprises seen in both."""
    return {
        "layout": {"title": {"text": t(title)}, "height": 420},
        "styles": {
            "flow": {
                "type": "sankey",
                "arrangement": "snap",
                "node": {"pad": 18},
                "link": {
                    "hovertemplate": "%{source.label} → %{target.label}: n = %{value}"
                    "<extra></extra>"
                },
            },
            "movement": {"up": UP, "same": SAME, "down": DOWN},
        },
        "basis": t(UI["basis_moves"]),
        "empty": empty_figure(title),
    }


def quality_template(
    title: Text, roles: dict[str, tuple[Text, str]], stacked: bool, empty: Text = UI["no_data"]
) -> Spec:
    """Grouped or stacked vertical bars of row counts (one trace per role)."""
    return {
        "layout": {
            "title": {"text": t(title)},
            "barmode": "stack" if stacked else "group",
            "height": 400,
            "xaxis": {"type": "category", "automargin": True, "tickangle": -45},
            "legend": {**LEGEND_BELOW, "traceorder": "normal"},
            "margin": {"b": LEGEND_MARGIN},
        },
        "styles": {
            role: {
                "type": "bar",
                "name": t(label),
                "marker": {"color": colour},
                "hovertemplate": "%{x}<br>%{y}<extra>%{fullData.name}</extra>",
            }
            for role, (label, colour) in roles.items()
        },
        "basis": t(UI["basis_rows"]),
        "empty": empty_figure(title, empty),
    }


def deliveries_template(title: Text, roles: dict[str, tuple[Text, str]]) -> Spec:
    """Rows per delivery: a large release has ~50 deliveries, so the x labels stand
    upright in a small font (one label per bar group, none overlapping) and the status
    and full label go to the hover."""
    template = quality_template(title, roles, stacked=False)
    template["layout"]["xaxis"] = {
        "type": "category",
        "automargin": True,
        "tickangle": -90,
        "tickfont": {"size": 10},
    }
    template["layout"]["height"] = 460
    for style in template["styles"].values():
        style["hovertemplate"] = "%{x} (%{customdata})<br>%{y}<extra>%{fullData.name}</extra>"
    return template


def level_waves_template(title: Text) -> Spec:
    """Share of enterprises at each level, one stacked column per wave (n under each)."""
    return {
        "layout": {
            "title": {"text": t(title)},
            "barmode": "stack",
            "height": 440,
            "xaxis": {"type": "category", "automargin": True},
            "yaxis": share_axis(),
            "legend": {**LEGEND_BELOW, "traceorder": "normal"},
            "margin": {"b": LEGEND_MARGIN + 20},
        },
        "styles": {
            "level": {
                "type": "bar",
                "hovertemplate": "%{x}<br>%{y:.0%} (n ≈ %{customdata[0]})"
                "<extra>%{fullData.name}</extra>",
            },
            "suppressed": t(UI["suppressed_stub"]),
        },
        "basis": t(UI["basis_levels"]),
        "empty": empty_figure(title),
    }
