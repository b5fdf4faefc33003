"""Figure builders on small hand-made frames: plotted values, suppression, benchmark, escaping."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pandas as pd
import plotly.graph_objects as go
import pytest

from dashboards import figures as fg
from dashboards.catalog import REPORT_FIGURES, UI, Text
from dashboards.site import Page, Selector, quality_page, render_page, script_json

LABELS = {
    "a": Text("Question:\noption a", "问题：\n选项a"),
    "b": Text("Question:\noption b", "问题：\n选项b"),
    "c": Text("Question:\noption c", "问题：\n选项c"),
}


def estimates(rows: list[tuple]) -> pd.DataFrame:
    columns = ["indicator_id", "domain", "n_base", "n_yes", "estimate", "ci_low", "ci_high"]
    frame = pd.DataFrame(rows, columns=[*columns, "suppressed"])
    # As published: suppressed cells have no estimate, interval or numerator.
    hidden = frame["suppressed"]
    frame.loc[hidden, ["n_yes", "estimate", "ci_low", "ci_high"]] = None
    return frame


def valid(spec: dict, lang: str = "en") -> go.Figure:
    """Plotly's own validation of the localized spec (raises on any unknown property)."""
    return go.Figure(fg.localize(spec, lang))


def test_bars_plot_the_marts_values_and_intervals() -> None:
    est = estimates(
        [
            ("a", "all", 99, 40, 0.404040, 0.309, 0.507, False),
            ("b", "all", 99, 17, 0.171717, 0.110, 0.258, False),
        ]
    )
    spec = fg.estimate_bars(est, ["b", "a"], LABELS, [("all", Text("All", "全部"))], Text("T", "T"))
    fig = valid(spec)
    bars = fig.data[0]
    assert list(bars.x) == [0.171717, 0.404040]
    assert [row[0] for row in bars.customdata] == ["b", "a"]
    assert list(bars.error_x.array) == pytest.approx([0.258 - 0.171717, 0.507 - 0.404040])
    assert list(bars.error_x.arrayminus) == pytest.approx([0.171717 - 0.110, 0.404040 - 0.309])
    assert [row[3] for row in bars.customdata] == [99, 99]
    # Shared question text is dropped from the axis labels (titles say it).
    assert list(bars.y) == ["option b", "option a"]


def test_suppressed_cells_are_ghosts_never_zero() -> None:
    est = estimates(
        [
            ("a", "all", 99, 40, 0.40, 0.3, 0.5, False),
            ("b", "all", 4, 2, 0.5, 0.1, 0.9, True),
        ]
    )
    fig = valid(
        fg.estimate_bars(est, ["a", "b"], LABELS, [("all", Text("All", "全部"))], Text("T", "T"))
    )
    values, ghost = fig.data
    assert list(values.y) == ["option a"]
    assert 0 not in list(values.x) and None not in list(values.x)
    assert ghost.meta["suppressed"] is True
    assert list(ghost.y) == ["option b"]
    assert "suppressed" in ghost.hovertemplate
    assert ghost.marker.pattern.shape == "/"


def test_benchmark_beside_procurement_and_sales() -> None:
    chart = next(f for f in REPORT_FIGURES if f.kind == "benchmark")
    labels = {i: Text(f"x: {i}", f"x：{i}") for i in chart.indicators}
    est = estimates(
        [
            (i, "all", 99, 20 + k, (20 + k) / 99, 0.1, 0.4, False)
            for k, i in enumerate(chart.indicators)
        ]
    )
    bench = pd.DataFrame(
        {
            "indicator_id": ["procurement_online_0", "sales_online_gt50", "unrelated"],
            "share": [0.13, 0.44, 0.5],
            "source_en": ["Digital Maturity Survey for Wales"] * 3,
            "survey_year": [2019] * 3,
        }
    )
    spec = fg.estimate_bars(
        est, chart.indicators, labels, [("all", Text("A", "A"))], chart.title, bench
    )
    fig = valid(spec)
    survey, benchmark = fig.data
    assert benchmark.meta["benchmark"] is True
    assert dict(zip(benchmark.meta["indicators"], benchmark.x, strict=False)) == {
        "procurement_online_0": 0.13,
        "sales_online_gt50": 0.44,
    }
    # On the same category axis as the survey's bars.
    assert set(benchmark.y) <= set(survey.y)


def trend_rows() -> pd.DataFrame:
    rows = [
        ("ALL", 2020, 0.40, False),
        ("ALL", 2021, 0.42, False),
        ("ALL", 2022, 0.45, False),
        ("Z1", 2020, 0.30, False),
        ("Z1", 2021, None, True),
        ("Z1", 2022, 0.35, False),
    ]
    frame = pd.DataFrame(rows, columns=["zone_id", "wave_id", "estimate", "suppressed"])
    return frame.assign(
        ci_low=frame["estimate"] - 0.05, ci_high=frame["estimate"] + 0.05, n_base=50, n_yes=20
    )


WAVES = pd.DataFrame(
    {
        "wave_id": [2020, 2021, 2022],
        "instrument_version": ["v2020", "v2020", "v2022"],
        "is_first_wave_of_version": [True, False, True],
    }
)


@pytest.mark.parametrize("comparability", ["exact", "approximate"])
def test_trend_marks_the_version_break(comparability: str) -> None:
    indicator = {"comparability": comparability, "comparability_note": "v2022 <b>differs</b>"}
    spec = fg.trend_figure(
        trend_rows(), {"Z1": Text("Zone 1", "一区")}, WAVES, indicator, Text("T", "T")
    )
    fig = valid(spec)
    assert [s.x0 for s in fig.layout.shapes] == [2021.5]
    assert "v2022" in fig.layout.annotations[0].text
    assert "<b>" not in fig.layout.annotations[0].hovertext  # escaped
    pooled = next(tr for tr in fig.data if tr.meta["zone"] == "ALL" and tr.mode == "lines+markers")
    has_gap = None in list(pooled.x)
    assert has_gap is (comparability != "exact")
    assert [y for y in pooled.y if y is not None] == [0.40, 0.42, 0.45]


def test_trend_suppressed_wave_is_not_a_value() -> None:
    spec = fg.trend_figure(trend_rows(), {}, WAVES, {"comparability": "exact"}, Text("T", "T"))
    fig = valid(spec)
    line = next(tr for tr in fig.data if tr.meta["zone"] == "Z1" and tr.mode == "lines+markers")
    assert list(line.x) == [2020, 2022]
    ghost = next(tr for tr in fig.data if tr.meta.get("suppressed"))
    assert list(ghost.x) == [2021] and ghost.yaxis == "y2"


def test_zone_dots_sorted_with_suppressed_last() -> None:
    frame = pd.DataFrame(
        {
            "zone_id": ["ALL", "Z1", "Z2", "Z3"],
            "estimate": [0.5, 0.2, 0.7, None],
            "ci_low": [0.4, 0.1, 0.6, None],
            "ci_high": [0.6, 0.3, 0.8, None],
            "n_base": [200, 100, 96, 4],
            "n_yes": [100, 20, 67, None],
            "suppressed": [False, False, False, True],
        }
    )
    fig = valid(fg.zone_dots(frame, {}, Text("T", "T")))
    dots, ghost = fig.data
    assert dots.meta["zones"] == ["Z2", "Z1"] and list(dots.x) == [0.7, 0.2]
    assert list(ghost.y) == ["Z3"]


def test_sankey_carries_every_transition() -> None:
    moves = pd.DataFrame(
        {
            "wave_from": [2020] * 3,
            "wave_to": [2021] * 3,
            "level_from": ["basic", "basic", "average"],
            "level_to": ["basic", "average", "advanced"],
            "n_enterprises": [5, 7, 2],
            "movement": ["same", "up", "up"],
        }
    )
    fig = valid(fg.transition_sankey(moves, "dma", Text("T", "T")))
    assert sum(fig.data[0].link.value) == 14
    assert len(fig.data[0].node.label) == 5  # levels that occur


def test_localize_resolves_every_text_node() -> None:
    spec = fg.empty_figure(UI["trend"], UI["no_data"])
    for lang in ("en", "zh"):
        text = json.dumps(fg.localize(spec, lang), ensure_ascii=False)
        assert fg.I18N not in text and UI["no_data"](lang) in text


def test_text_is_escaped_for_plotly_and_script_tags() -> None:
    node = fg.t(Text("<a href='javascript:x'>z</a>", "<img src=x onerror=alert(1)>"))
    assert "<" not in node[fg.I18N]["en"] + node[fg.I18N]["zh"]
    embedded = script_json({"name": "</script><script>alert(1)</script>"})
    assert "</script>" not in embedded and "<" not in embedded
    assert json.loads(embedded)["name"] == "</script><script>alert(1)</script>"


def test_page_html_escapes_option_labels() -> None:
    evil = Text("<script>alert('en')</script>", "<script>alert('zh')</script>")
    page = Page(
        "zones",
        [Selector("zone", [("Z<1>", evil)], "Z<1>")],
        [{"id": "p", "chunk": None, "key": ["zone"]}],
        {"p": {"Z<1>": fg.empty_figure(evil, UI["no_data"])}},
        {"p": fg.empty_figure(evil, UI["no_data"])},
    )
    text = render_page(page, {})
    assert "<script>alert" not in text
    assert text.count("<script") == 4  # plotly.min.js, config, data, app.js


def test_quality_page_degrades_without_tables() -> None:
    marts = SimpleNamespace(
        delivery_quality=None,
        rejected_rules=None,
        estimates=pd.DataFrame({"zone_id": ["ALL", "Z1"]}),
    )
    labels = SimpleNamespace(zones={"Z1": Text("Zone 1", "一区")})
    page = quality_page(marts, labels)  # type: ignore[arg-type]
    assert [n.en for n in page.notes] == [
        "Not published yet: marts.fct_delivery_quality",
        "Not published yet: marts.fct_rejected_rules",
    ]
    assert page.inline == {} and len(page.panels) == 3
