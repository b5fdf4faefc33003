"""Templates, compact data and plots.js (run under node) on small hand-made frames.

plots.js output is validated by Plotly's own Python validator (any unknown property
raises), and its plotted values are compared with the published cells they come from:
the public release's estimate and interval as published (the fixtures' intervals are
deliberately not Wilson, so a recomputation would show), suppressed cells as ghosts
and never values.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import plotly.graph_objects as go
import pytest

from dashboards import figures as fg
from dashboards.catalog import HUB_GROUPS, UI, Text
from dashboards.data import cube
from dashboards.labels import build_labels
from dashboards.packing import pack, unpack
from dashboards.pages import ESTIMATE_VALUES, Page
from dashboards.pages.quality import quality_chunk, quality_page
from dashboards.render import render_page, script_json
from dashboards.selectors import Selector
from tests.support.timeouts import HANG_GUARD

PLOTS_JS = Path(__file__).resolve().parents[2] / "dashboards" / "plots.js"
NODE = shutil.which("node")
# The fixtures' published intervals: p - BELOW to p + ABOVE (not Wilson, on purpose).
BELOW, ABOVE = 0.05, 0.03


def run_plots(panel: dict, chunk: dict, state: dict, config: dict, lang: str = "en") -> dict:
    """plots.js `build` under node, on localized template and config (as app.js does)."""
    if NODE is None:
        pytest.skip("node not installed")
    # As site.build_pages gives every page: the pooled zone id of the fixtures' chunks.
    config = {"base_layout": fg.base_layout(), "pooled_zone": "ALL", **config}
    args = fg.localize({"panel": panel, "config": config}, lang)
    script = (
        f"const p = require({json.dumps(str(PLOTS_JS))});"
        "const a = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "process.stdout.write(JSON.stringify("
        "p.build(a.panel, a.panel.template, a.chunk, a.state, a.config)));"
    )
    done = subprocess.run(
        [NODE, "-e", script],
        input=json.dumps({**args, "chunk": chunk, "state": state}),
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
        check=True,
    )
    return json.loads(done.stdout)


def valid(fig: dict) -> go.Figure:
    """Plotly's validation of a figure (raises on any unknown property or bad value)."""
    return go.Figure({"data": fig["data"], "layout": {**fg.base_layout(), **fig["layout"]}})


def published(frame: pd.DataFrame) -> pd.DataFrame:
    """Public estimate cells from (n_base, n_yes, suppressed): p = n_yes / n_base, the
    interval p - BELOW .. p + ABOVE, grade B; a suppressed cell has no figure."""
    shown = ~frame["suppressed"].astype(bool)
    p = frame["n_yes"] / frame["n_base"]
    return frame.assign(
        n_base_rounded=frame["n_base"].where(shown),
        weighted_estimate=p.where(shown),
        weighted_ci_low=(p - BELOW).where(shown),
        weighted_ci_high=(p + ABOVE).where(shown),
        quality_grade=pd.Series("B", index=frame.index).where(shown),
    ).drop(columns=["n_base", "n_yes"])


def estimates(rows: list[tuple]) -> pd.DataFrame:
    return published(
        pd.DataFrame(
            rows, columns=["indicator_id", "domain", "zone_id", "n_base", "n_yes", "suppressed"]
        )
    )


INDICATORS = ["a", "b", "c"]
LABELS = {
    "a": fg.t(Text("Question:\noption a", "问题：\n选项a")),
    "b": fg.t(Text("Question:\noption b", "问题：\n选项b")),
    "c": fg.t(Text("Question:\noption c", "问题：\n选项c")),
}


def bars_chunk() -> dict:
    est = estimates(
        [
            ("a", "all", "Z1", 99, 40, False),
            ("b", "all", "Z1", 99, 17, False),
            ("c", "all", "Z1", 4, 2, True),
            ("a", "manufacturing", "Z1", 50, 30, False),
        ]
    )
    axes = {"indicator_id": INDICATORS, "domain": ["all", "manufacturing"], "zone_id": ["Z1"]}
    return {"est": cube(est, axes, ESTIMATE_VALUES)}


def bars_panel(kind: str = "bars") -> dict:
    return {
        "id": "f",
        "kind": kind,
        "indicators": ["b", "a", "c"],
        "domains": ["all", "manufacturing"],
        "template": fg.bars_template(Text("T", "T")),
    }


def bars_config() -> dict:
    return {
        "labels": {
            "indicators": LABELS,
            "domains": {"all": fg.t(Text("All", "全部")), "manufacturing": fg.t(Text("M", "制"))},
        },
        "benchmark": {"indicators": ["a", "x"], "share": [0.13, 0.5], "source": "Wales 2019"},
    }


def test_bars_plot_the_published_estimate_and_interval() -> None:
    fig = valid(run_plots(bars_panel(), bars_chunk(), {"zone": "Z1"}, bars_config()))
    everyone, manufacturers, _ghost = fig.data
    assert list(everyone.x) == pytest.approx([17 / 99, 40 / 99], abs=1e-12)
    assert list(everyone.error_x.array) == pytest.approx([ABOVE, ABOVE], abs=1e-12)
    assert list(everyone.error_x.arrayminus) == pytest.approx([BELOW, BELOW], abs=1e-12)
    # the hover carries the published rounded base and quality grade
    assert [c[3:] for c in everyone.customdata] == [[99, "B"], [99, "B"]]
    assert everyone.meta["indicators"] == ["b", "a"] and everyone.meta["domain"] == "all"
    # Shared question text is dropped from the axis labels (the title says it).
    assert list(everyone.y) == ["option b", "option a"]
    assert list(manufacturers.x) == pytest.approx([0.6])
    assert everyone.marker.color != manufacturers.marker.color


def test_suppressed_cells_are_ghosts_never_values() -> None:
    fig = valid(run_plots(bars_panel(), bars_chunk(), {"zone": "Z1"}, bars_config()))
    values = [x for tr in fig.data if not (tr.meta or {}).get("suppressed") for x in tr.x]
    ghost = next(tr for tr in fig.data if (tr.meta or {}).get("suppressed"))
    assert list(ghost.y) == ["option c"] and "suppressed" in ghost.hovertemplate
    assert ghost.marker.pattern.shape == "/"
    assert 0 not in values and None not in values and len(values) == 3


def test_benchmark_beside_the_survey_bars() -> None:
    fig = valid(run_plots(bars_panel("benchmark"), bars_chunk(), {"zone": "Z1"}, bars_config()))
    bench = next(tr for tr in fig.data if (tr.meta or {}).get("benchmark"))
    assert bench.meta["indicators"] == ["a"] and list(bench.x) == [0.13]
    assert set(bench.y) <= set(fig.data[0].y)


def test_no_data_gives_the_empty_figure() -> None:
    fig = run_plots(bars_panel(), bars_chunk(), {"zone": "nowhere"}, bars_config(), "zh")
    assert fig["data"] == [] and UI["no_data"].zh in json.dumps(fig, ensure_ascii=False)


def trend_chunk() -> dict:
    rows = [
        ("ALL", 2020, 100, 40, False),
        ("ALL", 2021, 100, 42, False),
        ("ALL", 2022, 100, 45, False),
        ("Z1", 2020, 50, 15, False),
        ("Z1", 2021, 4, 2, True),
        ("Z1", 2022, 50, 18, False),
    ]
    frame = pd.DataFrame(rows, columns=["zone_id", "wave_id", "n_base", "n_yes", "suppressed"])
    frame = published(frame.assign(domain="all"))
    axes = {"domain": ["all"], "zone_id": ["ALL", "Z1"], "wave_id": [2020, 2021, 2022]}
    return cube(frame, axes, ESTIMATE_VALUES)


def trend_config(comparability: str) -> dict:
    zone = {"short": fg.t("Z1 City"), "name": fg.t("Zone 1")}
    pooled = Text("All zones (pooled)", "全部开发区（合计）")
    return {
        "labels": {
            "indicators": {"i": fg.t("Indicator")},
            "domains": {"all": fg.t("All")},
            "zones": {"ALL": {"short": fg.t(pooled), "name": fg.t(pooled)}, "Z1": zone},
        },
        "indicators": {
            "i": {
                "comparability": comparability,
                "note": "v2022 &lt;b&gt;",
                "breaks": []
                if comparability == "exact"
                else [{"wave": 2022, "comparability": comparability, "note": "v2022 &lt;b&gt;"}],
            }
        },
        "waves": [
            {"wave": 2020, "version": "v2020", "first": True},
            {"wave": 2021, "version": "v2020", "first": False},
            {"wave": 2022, "version": "v2022", "first": True},
        ],
    }


@pytest.mark.parametrize("comparability", ["exact", "approximate"])
def test_trend_marks_the_version_break(comparability: str) -> None:
    panel = {"id": "trend", "kind": "trend", "template": fg.trend_template(UI["trend"])}
    state = {"indicator": "i", "domain": "all", "zone": "Z1"}
    fig = valid(run_plots(panel, trend_chunk(), state, trend_config(comparability)))
    assert [s.x0 for s in fig.layout.shapes] == [2021.5]
    assert "v2022" in fig.layout.annotations[0].text
    lines = {tr.meta["zone"]: tr for tr in fig.data if tr.mode == "lines+markers"}
    assert set(lines) == {"ALL", "Z1"}
    assert (None in list(lines["ALL"].x)) is (comparability != "exact")
    assert [y for y in lines["ALL"].y if y is not None] == pytest.approx([0.40, 0.42, 0.45])
    # The suppressed wave is a cross on the strip below, never a point of the line.
    assert [x for x in lines["Z1"].x if x is not None] == [2020, 2022]
    ghost = next(tr for tr in fig.data if tr.meta.get("suppressed"))
    assert list(ghost.x) == [2021] and ghost.yaxis == "y2"


def test_trend_breaks_only_where_the_indicator_changes() -> None:
    """Three versions, the indicator revised in the third only: the line runs on across
    the second version's start and breaks at the third's, which alone is labelled."""
    panel = {"id": "trend", "kind": "trend", "template": fg.trend_template(UI["trend"])}
    state = {"indicator": "i", "domain": "all", "zone": "ALL"}
    rows = [("ALL", wave, 100, 40 + k, False) for k, wave in enumerate((2020, 2022, 2024))]
    frame = pd.DataFrame(rows, columns=["zone_id", "wave_id", "n_base", "n_yes", "suppressed"])
    frame = published(frame.assign(domain="all"))
    axes = {"domain": ["all"], "zone_id": ["ALL"], "wave_id": [2020, 2022, 2024]}
    config = trend_config("approximate")
    config["indicators"]["i"]["breaks"] = [
        {"wave": 2024, "comparability": "approximate", "note": "v2024 scale"}
    ]
    config["waves"] = [
        {"wave": 2020, "version": "v2020", "first": True},
        {"wave": 2022, "version": "v2022", "first": True},
        {"wave": 2024, "version": "v2024", "first": True},
    ]
    fig = valid(run_plots(panel, cube(frame, axes, ESTIMATE_VALUES), state, config))
    line = next(tr for tr in fig.data if tr.mode == "lines+markers")
    assert list(line.x) == [2020, 2022, None, 2024]
    assert [s.x0 for s in fig.layout.shapes] == [2021.5, 2023.5]
    notes = {a.x: a for a in fig.layout.annotations if a.x in (2021.5, 2023.5)}
    assert "approximate" not in notes[2021.5].text and not notes[2021.5].hovertext
    assert "approximate" in notes[2023.5].text and notes[2023.5].hovertext == "v2024 scale"
    bands = [tr for tr in fig.data if tr.meta and tr.meta.get("band")]
    assert len(bands) == 2


def test_trend_keeps_the_bands_on_both_sides_of_a_break() -> None:
    """Issue: the bands of the waves before a non-exact break vanished (one polygon with a
    gap filled only its last piece). Now each comparable run has its own closed band."""
    panel = {"id": "trend", "kind": "trend", "template": fg.trend_template(UI["trend"])}
    state = {"indicator": "i", "domain": "all", "zone": "ALL"}
    fig = valid(run_plots(panel, trend_chunk(), state, trend_config("approximate")))
    bands = [tr for tr in fig.data if tr.meta and tr.meta.get("band")]
    assert len(bands) == 2  # 2020-21 and 2022
    before, after = bands
    assert None not in list(before.x) and None not in list(after.y)
    assert min(before.x) == 2020 and max(before.x) == 2021
    # Upper edge then lower edge: the polygon encloses the point estimates.
    p, lo, hi = (
        [0.40, 0.42],
        [v for v in before.y[2:]][::-1],
        list(before.y[:2]),
    )
    assert all(low < est < high for est, low, high in zip(p, lo, hi, strict=True))
    # A run of one wave (2022) still has a band with width, around its interval.
    assert max(after.x) - min(after.x) > 0.1
    assert min(after.y) < 0.45 < max(after.y)


def test_zone_dots_sorted_with_suppressed_last() -> None:
    rows = [("ALL", 200, 100, False), ("Z1", 100, 20, False), ("Z2", 96, 67, False)]
    rows += [("Z3", 4, 2, True)]
    frame = pd.DataFrame(rows, columns=["zone_id", "n_base", "n_yes", "suppressed"])
    frame = published(frame.assign(domain="all", wave_id=2020))
    zones = ["ALL", "Z1", "Z2", "Z3"]
    chunk = cube(frame, {"domain": ["all"], "zone_id": zones, "wave_id": [2020]}, ESTIMATE_VALUES)
    config = {
        "labels": {
            "indicators": {"i": fg.t("Indicator")},
            "zones": {z: {"short": fg.t(z), "name": fg.t(z)} for z in zones},
            "population": fg.t(Text("All enterprises", "全部企业")),
        },
        "population_title": fg.t(UI["population_of"]),
    }
    panel = {"id": "dots", "kind": "dots", "template": fg.dots_template(UI["zone_dots"])}
    fig = valid(run_plots(panel, chunk, {"indicator": "i", "wave": "2020"}, config))
    dots, ghost = fig.data
    assert dots.meta["zones"] == ["Z2", "Z1"]
    assert list(dots.x) == pytest.approx([67 / 96, 0.2])
    assert list(ghost.y) == ["Z3"]
    assert "All enterprises" in fig.layout.title.text


def population_chunk() -> dict:
    rows = [
        ("all", "ALL", 300, 120, False),
        ("all", "Z1", 150, 60, False),
        ("all", "Z2", 150, 60, False),
        ("manufacturing", "Z1", 40, 10, False),
        ("manufacturing", "Z2", 60, 45, False),
        ("micro", "ALL", 120, 30, False),
        ("small", "ALL", 100, 50, False),
        ("large", "ALL", 4, 2, True),
    ]
    frame = pd.DataFrame(rows, columns=["domain", "zone_id", "n_base", "n_yes", "suppressed"])
    frame = published(frame.assign(wave_id=2022))
    axes = {
        "domain": ["all", "manufacturing", "micro", "small", "large"],
        "zone_id": ["ALL", "Z1", "Z2"],
        "wave_id": [2022],
    }
    return cube(frame, axes, ESTIMATE_VALUES)


def population_config() -> dict:
    domains = {
        "all": Text("All enterprises", "全部企业"),
        "manufacturing": Text("Manufacturing", "制造业"),
        "micro": Text("Micro", "微型"),
        "small": Text("Small", "小型"),
        "large": Text("Large", "大型"),
    }
    return {
        "labels": {
            "indicators": {"i": fg.t("Indicator")},
            "zones": {z: {"short": fg.t(z), "name": fg.t(z)} for z in ("ALL", "Z1", "Z2")},
            "population": fg.t(domains["all"]),
            "domains": {k: fg.t(v) for k, v in domains.items()},
        },
        "population_title": fg.t(UI["population_of"]),
        "size_classes": ["micro", "small", "medium", "large"],
    }


def test_zones_compared_within_a_population_with_n_on_the_chart() -> None:
    panel = {"id": "dots", "kind": "dots", "template": fg.dots_template(UI["zone_dots"])}
    state = {"indicator": "i", "wave": "2022", "domain": "manufacturing"}
    fig = valid(run_plots(panel, population_chunk(), state, population_config(), "zh"))
    (dots,) = fig.data
    assert dots.meta["zones"] == ["Z2", "Z1"]
    assert list(dots.x) == pytest.approx([45 / 60, 10 / 40])
    assert list(dots.y) == ["Z2 · n≈60", "Z1 · n≈40"]  # the (rounded) base on the axis
    assert "制造业" in fig.layout.title.text


def test_adoption_by_size_class_with_suppressed_classes_as_ghosts() -> None:
    panel = {"id": "sizes", "kind": "sizes", "template": fg.bars_template(UI["by_size"])}
    state = {"indicator": "i", "wave": "2022"}
    fig = valid(run_plots(panel, population_chunk(), state, population_config()))
    bars, ghost = fig.data
    assert list(bars.y) == ["Micro", "Small"] and list(bars.x) == pytest.approx([0.25, 0.5])
    assert list(bars.text) == ["n≈120", "n≈100"]
    # Large is suppressed: a stub labelled "suppressed", never its share.
    assert list(ghost.y) == ["Large"] and ghost.meta["suppressed"]
    assert all(x <= 0.05 for x in ghost.x)
    assert list(fig.layout.yaxis.categoryarray) == ["Micro", "Small", "medium", "Large"]


def test_maturity_levels_across_waves_draw_the_published_shares() -> None:
    # (wave, level, suppressed, weighted share, rounded n, rounded zone-wave base)
    rows = [(2020, "basic", False, 0.55, 5, 10), (2020, "advanced", False, 0.45, 5, 10)]
    rows += [(2021, "basic", True, None, None, None), (2021, "advanced", True, None, None, None)]
    rows += [(2022, "basic", True, None, None, 20), (2022, "advanced", False, 0.9, 20, 20)]
    frame = pd.DataFrame(rows, columns=["wave_id", "level", "suppressed", "w", "n", "N"])
    levels = {
        "dma": cube(
            frame.assign(zone_id="Z1"),
            {"wave_id": [2020, 2021, 2022], "zone_id": ["Z1"], "level": ["basic", "advanced"]},
            {"s": "suppressed", "w": "w", "n": "n", "N": "N"},
        )
    }
    config = {
        "labels": {"levels": {"dma": [["basic", fg.t("Basic")], ["advanced", fg.t("Advanced")]]}}
    }
    panel = {
        "id": "level_waves",
        "kind": "level_waves",
        "template": fg.level_waves_template(UI["level_waves"]),
    }
    fig = valid(run_plots(panel, levels, {"zone": "Z1", "measure": "dma"}, config))
    basic, advanced = fig.data
    # 2021 has every level withheld: named with "suppressed", no bars.
    assert list(fig.layout.xaxis.categoryarray) == [
        "2020<br>n≈10",
        "2021<br>suppressed",
        "2022<br>n≈20",
    ]
    assert basic.meta["waves"] == [2020, 2022]
    # the published shares, not counts divided by a total; a withheld level has no bar
    assert list(basic.y) == [0.55, None]
    assert list(advanced.y) == pytest.approx([0.45, 0.9])


def test_cube_is_dense_row_major_with_nulls() -> None:
    frame = pd.DataFrame({"a": ["x", "y", "z"], "b": [2, 1, 1], "v": [1.0, 2.5, 9.0]})
    packed = cube(frame, {"a": ["x", "y"], "b": [1, 2]}, {"v": "v"})
    assert packed["v"] == [None, 1.0, 2.5, None]  # row z is outside the axes
    assert cube(frame, {"a": ["x", "y"]}, {"v": "b"})["v"] == [2, 1]  # whole numbers stay ints


def test_chunk_scripts_round_trip_and_are_reproducible() -> None:
    content = {"label": ["</script><script>alert(1)</script>"], "n": [1, None]}
    script = pack("ind/x", content)
    assert b"<" not in script and script == pack("ind/x", content)
    assert unpack(script) == content


def test_templates_are_valid_plotly_layouts() -> None:
    title = Text("T", "T")
    for template in (
        fg.bars_template(title),
        fg.two_panel_template(title, (title, title), right_share=True),
        fg.trend_template(title),
        fg.dots_template(title),
        fg.hubs_template(title),
        fg.level_mix_template(title),
        fg.histogram_template(title),
        fg.heatmap_template(title),
        fg.sankey_template(title),
        fg.level_waves_template(title),
        fg.quality_template(title, {}, True),
        fg.deliveries_template(title, {}),
    ):
        for lang in ("en", "zh"):
            go.Layout({**fg.base_layout(), **fg.localize(template["layout"], lang)})
            assert fg.I18N not in json.dumps(fg.localize(template, lang))
        # Every chart says what it draws (issue: which estimate, sample share or weighted).
        assert fg.localize(template["basis"], "en") and fg.localize(template["basis"], "zh")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_chart_says_it_draws_the_weighted_estimate(lang: str) -> None:
    trend = {"id": "trend", "kind": "trend", "template": fg.trend_template(UI["trend"])}
    state = {"indicator": "i", "domain": "all", "zone": "Z1"}
    figs = [
        run_plots(trend, trend_chunk(), state, trend_config("exact"), lang),
        run_plots(bars_panel(), bars_chunk(), {"zone": "Z1"}, bars_config(), lang),
        run_plots(bars_panel(), bars_chunk(), {"zone": "nowhere"}, bars_config(), lang),
    ]
    for fig in figs:
        valid(fig)
        subtitle = fig["layout"]["title"]["subtitle"]["text"]
        assert subtitle == fg.localize(fg.t(UI["basis_share"]), lang)
    assert "Weighted" in fg.localize(fg.t(UI["basis_share"]), "en")
    # The trend shows n per wave on a text row under the plot (not only on hover).
    rows = [tr for tr in figs[0]["data"] if tr.get("mode") == "text"]
    assert {tr["meta"]["zone"]: tr["text"] for tr in rows} == {
        "ALL": ["n≈100", "n≈100", "n≈100"],
        "Z1": ["n≈50", "n≈50"],  # 2021 is suppressed: a cross, no number
    }


def test_labels_come_from_the_public_dimension_tables() -> None:
    data = SimpleNamespace(
        folder=Path("public"),
        pooled_zone="ALL",
        indicators=pd.DataFrame(
            {"indicator_id": ["q"], "label_en": ["Q: yes"], "label_zh": ["问：是"]}
        ),
        zones=pd.DataFrame(
            {
                "zone_id": ["Z1", "Z2", "ALL"],
                "zone_name_en": ["<b>Long</b> zone", "Second zone", "All zones"],
                "zone_name_zh": [None, "第二开发区", "全部开发区"],
                "province_en": ["Province", "Hubei", None],
                "province_zh": [None, "湖北省", None],
            }
        ),
        domains=pd.DataFrame(
            {
                "domain_type": ["all", "size_class", "size_class"],
                "domain": ["all", "micro", "small"],
                "label_en": ["All", "Micro", "Small"],
                "label_zh": ["全部", "微型", "小型"],
            }
        ),
        categories=pd.DataFrame(
            {
                "breakdown": ["size_class", "mode", "industry_section"],
                "category": ["micro", "paper", "C"],
                "label_en": ["Micro", "Paper", "Manufacturing"],
                "label_zh": ["微型", "纸质", "制造业"],
            }
        ),
        level_labels=pd.DataFrame(
            {
                "measure": ["dii", "dii"],
                "level": ["low", "high"],
                "min_score": [0, 7],
                "max_score": [6, 12],
                "label_en": ["Low", "High"],
                "label_zh": ["低", "高"],
                "measure_label_en": ["Digital intensity", "Digital intensity"],
                "measure_label_zh": ["数字强度", "数字强度"],
            }
        ),
        dimension_labels=pd.DataFrame(
            {"dimension": ["cloud"], "label_en": ["Cloud"], "label_zh": ["云"]}
        ),
    )
    labels = build_labels(data)  # type: ignore[arg-type]
    assert [lv for lv, _ in labels.levels["dii"]] == ["low", "high"]
    assert (
        labels.levels["dii"][1][1].en == "High (7-12)" and labels.measures["dii"].zh == "数字强度"
    )
    assert labels.dimensions == [("cloud", Text("Cloud", "云"))]
    assert list(labels.domains) == ["all", "micro", "small"]
    assert labels.sizes == {"micro": Text("Micro", "微型")}
    assert labels.modes == {"paper": Text("Paper", "纸质")}
    assert labels.sections == {"C": Text("Manufacturing", "制造业")}
    assert labels.zones["ALL"] == Text("All zones", "全部开发区")
    assert labels.zone_short["Z1"].en == "Z1 Province" and labels.zones["Z1"].zh == "Z1"
    # The same kind of name in both languages: the province (not a city in English only).
    assert (labels.zone_short["Z2"].en, labels.zone_short["Z2"].zh) == ("Z2 Hubei", "Z2 湖北省")
    assert "<b>" not in json.dumps(fg.t(labels.zones["Z1"]))


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
        [{"id": "p", "kind": "dots", "chunk": "x", "template": fg.dots_template(evil)}],
        {},
    )
    text = render_page(page, {})
    assert "<script>alert" not in text
    assert text.count("<script") == 4  # config, plotly.min.js, plots.js, app.js


def test_quality_page_degrades_without_tables() -> None:
    marts = SimpleNamespace(
        delivery_quality=None,
        rejected_rules=None,
        estimates=pd.DataFrame({"zone_id": ["ALL", "Z1"]}),
        pooled_zone="ALL",
    )
    labels = SimpleNamespace(
        zones={"ALL": Text("All", "全部"), "Z1": Text("Zone 1", "一区")},
        modes={"electronic": Text("E", "电"), "paper": Text("P", "纸")},
    )
    page = quality_page(marts, labels)  # type: ignore[arg-type]
    assert [n.en for n in page.notes] == [
        "Not published yet: public/public_delivery_quality",
        "Not published yet: public/public_rejected_rules",
    ]
    assert page.chunks == {"quality": {}} and len(page.panels) == 3


def test_suppressed_stub_is_short_labelled_and_off_the_legend() -> None:
    fig = valid(run_plots(bars_panel(), bars_chunk(), {"zone": "Z1"}, bars_config()))
    ghost = next(tr for tr in fig.data if (tr.meta or {}).get("suppressed"))
    # A short stub at the axis start, never a full-length bar that reads as 100%.
    assert all(0 < x <= 0.05 for x in ghost.x)
    assert ghost.text == "suppressed" and ghost.showlegend is False
    assert fig.layout.legend.yref == "container"  # under the axis title, not on it


def quality_chunk_of(rules: pd.DataFrame | None) -> dict:
    deliveries = pd.DataFrame(
        {
            "delivery_label": ["a" * 8, "b" * 8],
            "zone_id": ["Z1", "Z2"],
            "wave_id": [2020, 2020],
            "status": ["loaded", "loaded"],
            "received_date": pd.to_datetime(["2020-05-01", "2020-05-02"]),
            "rows_read_rounded": [10, 20],
            "rows_accepted_rounded": [10, 20],
            "rows_rejected_rounded": [0, 0],
            "n_electronic_rounded": [5, 5],
            "n_paper_rounded": [5, 15],
        }
    )
    return quality_chunk(deliveries, rules)


@pytest.mark.parametrize("zone", ["ALL", "Z1"])
def test_quality_page_draws_with_no_rejected_rules(zone: str) -> None:
    """The demo quarantines nothing: every panel still draws, the rules panel says so."""
    rules = pd.DataFrame(
        columns=["zone_id", "wave_id", "rule_id", "rule_columns", "n_rows_rounded"]
    )
    marts = SimpleNamespace(
        delivery_quality=None,
        rejected_rules=rules,
        estimates=pd.DataFrame({"zone_id": ["ALL"]}),
        pooled_zone="ALL",
    )
    labels = SimpleNamespace(
        zones={"ALL": Text("All", "全部")},
        modes={"electronic": Text("E", "电"), "paper": Text("P", "纸")},
    )
    page = quality_page(marts, labels)  # type: ignore[arg-type]
    chunk = quality_chunk_of(rules)
    assert chunk["deliveries"]["label"][0] == f"Z1 2020 {'a' * 8}"
    assert chunk["deliveries"]["status"][0] == "loaded"
    figs = {p["kind"]: run_plots(p, chunk, {"zone": zone}, {}) for p in page.panels}
    assert figs["rules"]["data"] == []
    assert UI["no_rejections"].en in json.dumps(figs["rules"])
    modes = valid(figs["modes"])
    assert sum(sum(tr.y) for tr in modes.data) == (30 if zone == "ALL" else 10)
    assert len(valid(figs["deliveries"]).data) == 3


def test_quality_rules_have_a_legend_with_their_meaning_and_upright_delivery_labels() -> None:
    rules = pd.DataFrame(
        {
            "zone_id": ["Z1", "Z1", "Z2"],
            "wave_id": [2020, 2020, 2020],
            "rule_id": ["codes_in_codebook", "codes_in_codebook", "skip_rule_C5"],
            "rule_columns": ["B3_cloud", "A5_industry_section", "C5_<x>"],
            "n_rows_rounded": [0, 5, 5],
        }
    )
    marts = SimpleNamespace(
        delivery_quality=None,
        rejected_rules=rules,
        estimates=pd.DataFrame({"zone_id": ["ALL"]}),
        pooled_zone="ALL",
    )
    labels = SimpleNamespace(
        zones={"ALL": Text("All", "全部")},
        modes={"electronic": Text("E", "电"), "paper": Text("P", "纸")},
    )
    page = quality_page(marts, labels)  # type: ignore[arg-type]
    chunk = quality_chunk_of(rules)
    panels = {p["kind"]: p for p in page.panels}
    for lang in ("en", "zh"):
        fig = valid(run_plots(panels["rules"], chunk, {"zone": "ALL"}, {}, lang))
        names = sorted(tr.name for tr in fig.data)
        word = {"en": ": fails on ", "zh": "：未通过字段 "}[lang]
        assert names == [
            f"codes_in_codebook{word}A5_industry_section, B3_cloud",
            f"skip_rule_C5{word}C5_&lt;x&gt;",
        ]
        assert fig.layout.showlegend is True
    deliveries = valid(run_plots(panels["deliveries"], chunk, {"zone": "ALL"}, {}))
    # Upright, small tick labels: ~50 deliveries fit side by side without overlapping.
    assert deliveries.layout.xaxis.tickangle == -90
    # ... and the panel spans the page's full width, so each delivery keeps its label.
    assert panels["deliveries"]["wide"] is True
    assert '<div class="plot wide" id="plot-0">' in render_page(page, {})
    assert list(deliveries.data[0].customdata) == ["loaded", "loaded"]


def test_hub_groups_spread_and_label_their_zones() -> None:
    rows = [("ALL", 300, 60, False), ("Z1", 100, 20, False), ("Z2", 100, 20, False)]
    rows += [("Z3", 100, 50, False)]
    frame = pd.DataFrame(rows, columns=["zone_id", "n_base", "n_yes", "suppressed"])
    frame = published(frame.assign(domain="all", wave_id=2020))
    zones = ["ALL", "Z1", "Z2", "Z3"]
    chunk = cube(frame, {"domain": ["all"], "zone_id": zones, "wave_id": [2020]}, ESTIMATE_VALUES)
    config = {
        "labels": {
            "zones": {z: {"short": fg.t(z + " city"), "name": fg.t(z)} for z in zones},
            "hubs": [[k, fg.t(fg.fmt(v, km="500"))] for k, v in HUB_GROUPS.items()],
        },
        "hub_group": {"Z1": "near", "Z2": "near", "Z3": "far"},
    }
    panel = {"id": "hubs", "kind": "hubs", "template": fg.hubs_template(UI["hub_groups"])}
    fig = valid(run_plots(panel, chunk, {"wave": "2020"}, config))
    near, far = fig.data
    # Equal estimates in one group get distinct x positions and their ids (and n) as labels.
    assert len(set(near.x)) == 2 and list(near.text) == ["Z1<br>n≈100", "Z2<br>n≈100"]
    assert list(far.x) == [1] and list(fig.layout.xaxis.tickvals) == [0, 1]
    assert "<br>" in fig.layout.xaxis.ticktext[1]  # the long group name wraps
