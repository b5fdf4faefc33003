"""The built site on a real public release, opened in headless Chromium over file://.

Plotted values are compared with the public release's Parquet files, the only input
of the site.

Needs Debian's chromium (`make browser`); never downloads a browser.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from dashboards.browser import MISSING, chromium_available, launch_options
from dashboards.catalog import REPORT_FIGURES
from dashboards.plotly_bundle import load_record
from tests.support.timeouts import HANG_GUARD_MS

pytestmark = pytest.mark.slow

PAGES = ("index", "report", "trends", "zones", "maturity", "quality")
NOTES_SHOTS = Path("/work/notes/screenshots")


def test_site_files(built_site) -> None:
    out = built_site.report.out_dir
    assert [p.name for p in out.rglob("plotly.min.js")] == ["plotly.min.js"]
    assert built_site.report.bytes == sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    assert built_site.report.plots_per_page["report"] == len(REPORT_FIGURES)
    # The site ships the checked partial bundle of dashboards/vendor, not plotly's full one.
    assert (out / "plotly.min.js").read_bytes() == load_record().path.read_bytes()
    for page in built_site.report.pages[1:]:
        text = page.read_text(encoding="utf-8")
        assert '<script src="plotly.min.js" defer></script>' in text
        assert "http://" not in text and "https://" not in text
    # Data is shipped compact: far smaller than plotly.js itself (values are published
    # figures at full precision, not re-rounded, so a bit more than a tenth).
    data = sum(p.stat().st_size for p in (out / "data").iterdir())
    assert data < (out / "plotly.min.js").stat().st_size / 8


def public(built_site, table: str) -> str:
    """SQL for one public table of the fixture's release."""
    return f"read_parquet('{built_site.public / (table + '.parquet')}')"


def test_quality_page_reads_the_public_quality_tables(built_site) -> None:
    from dashboards.packing import unpack

    with duckdb.connect() as con:
        rules = con.execute(
            f"select sum(n_rows_rounded) from {public(built_site, 'public_rejected_rules')}"
        ).fetchall()[0][0]
        deliveries = con.execute(
            f"select count(*) from {public(built_site, 'public_delivery_quality')}"
        ).fetchall()
    assert rules > 0  # the fixture quarantines rows before dbt runs
    chunks = [unpack(p.read_bytes()) for p in (built_site.report.out_dir / "data").iterdir()]
    quality = next(c for c in chunks if isinstance(c, dict) and "deliveries" in c)
    assert sum(quality["rules"]["n"]) == rules
    assert len(quality["deliveries"]["label"]) == deliveries[0][0]


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    if not chromium_available():
        pytest.skip(MISSING)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as play:
        context = play.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            viewport={"width": 1366, "height": 768},
            **launch_options(),
        )
        yield context
        context.close()


class Opened:
    """A page opened over file:// with its console errors and non-file requests recorded."""

    def __init__(self, context, path: Path) -> None:
        self.page = context.new_page()
        self.errors: list[str] = []
        self.foreign: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on(
            "request", lambda r: None if r.url.startswith("file://") else self.foreign.append(r.url)
        )
        self.page.goto(path.as_uri())

    def ready(self) -> float:
        """Milliseconds from navigation start until the plots in view were drawn."""
        self.page.wait_for_function("window.SME_READY === true", timeout=HANG_GUARD_MS)
        return float(self.page.evaluate("window.SME_READY_AT"))

    def draw_all(self) -> None:
        """Scroll to every plot in turn (plots out of view are drawn as they approach it)
        and wait until each is drawn for the current selection; then back to the top."""
        for i in range(self.page.locator(".plot").count()):
            self.page.locator(f"#plot-{i}").scroll_into_view_if_needed()
            self.page.wait_for_selector(f'#plot-{i}[data-state="drawn"]', timeout=HANG_GUARD_MS)
        self.page.evaluate("window.scrollTo(0, 0)")

    def select(self, key: str, value: str) -> None:
        self.page.evaluate("window.SME_READY = false")
        self.page.select_option(f"#sel-{key}", value)
        self.ready()

    def plots(self) -> list[list[dict]]:
        self.draw_all()
        return self.page.evaluate(
            """[...document.querySelectorAll('.js-plotly-plot')].map(gd => gd.data.map(t => ({
                name: t.name, x: t.x, y: t.y, meta: t.meta || {}, customdata: t.customdata,
                error_x: t.error_x || null,
                visible: t.visible === undefined ? true : t.visible})))"""
        )


def public_estimates(folder: Path, wave: int, zone: str) -> dict[tuple[str, str], dict]:
    with duckdb.connect() as con:
        frame = con.execute(
            "select * from read_parquet(?) where wave_id = ? and zone_id = ?",
            [str(folder / "public_indicator_estimates.parquet"), wave, zone],
        ).df()
    return {(r["domain"], r["indicator_id"]): r for r in frame.to_dict("records")}


def assert_report_matches(plots: list[list[dict]], cells: dict[tuple[str, str], dict]) -> int:
    """Every plotted estimate and interval is the public release's cell.

    Returns the number of cells checked.
    """
    checked = 0
    for traces in plots:
        for trace in traces:
            meta = trace["meta"]
            if "domain" in meta:
                errors = trace["error_x"]
                for k, (indicator, x) in enumerate(
                    zip(meta["indicators"], trace["x"], strict=True)
                ):
                    row = cells[(meta["domain"], indicator)]
                    assert not row["suppressed"]
                    assert x == row["weighted_estimate"]
                    high, low = row["weighted_ci_high"], row["weighted_ci_low"]
                    assert x + errors["array"][k] == pytest.approx(high, abs=1e-12)
                    assert x - errors["arrayminus"][k] == pytest.approx(low, abs=1e-12)
                    checked += 1
    return checked


def test_pages_in_chromium(built_site, browser, tmp_path: Path) -> None:
    out = built_site.report.out_dir
    expected = {"index": 0, **built_site.report.plots_per_page}
    metrics: dict[str, dict] = {}
    traces, used = load_record().traces, set()
    shots = tmp_path / "screenshots"
    shots.mkdir()
    for name in PAGES:
        opened = Opened(browser, out / f"{name}.html")
        tti = opened.ready() if name != "index" else 0.0
        opened.draw_all()
        count = opened.page.evaluate("document.querySelectorAll('.js-plotly-plot').length")
        assert count == expected[name], name
        # Every trace drawn is of a type the partial plotly.js bundle holds.
        drawn = opened.page.evaluate(
            "[...document.querySelectorAll('.js-plotly-plot')]"
            ".flatMap(gd => gd._fullData.map(t => t.type))"
        )
        assert set(drawn) <= set(traces), (name, set(drawn) - set(traces))
        # Every chart says what it draws (which estimate, or what it counts).
        subtitles = opened.page.evaluate(
            "[...document.querySelectorAll('.js-plotly-plot')]"
            ".map(gd => ((gd.layout.title || {}).subtitle || {}).text || '')"
        )
        assert all(subtitles), (name, subtitles)
        # ... above the plot area, never on it (the subtitle of a one-line title was).
        overlaps = opened.page.evaluate(
            """[...document.querySelectorAll('.js-plotly-plot')].flatMap(gd => {
                const sub = gd.querySelector('.gtitle-subtitle');
                if (!sub) return [];
                const top = gd.getBoundingClientRect().top + gd._fullLayout._size.t;
                const bottom = sub.getBoundingClientRect().bottom;
                return bottom > top ? [[gd.id, Math.round(bottom - top)]] : [];
            })"""
        )
        assert overlaps == [], (name, overlaps)
        used |= set(drawn)
        opened.page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
        assert opened.errors == [], (name, opened.errors)
        assert opened.foreign == [], (name, opened.foreign)
        metrics[name] = {"plots": count, "time_to_interactive_ms": round(tti)}
        opened.page.close()
    assert used == set(traces)  # the bundle carries no trace type the pages never draw
    metrics["site"] = {"bytes": built_site.report.bytes, "chunks": built_site.report.chunks}
    (shots / "metrics.json").write_text(json.dumps(metrics, indent=2))
    if NOTES_SHOTS.parent.is_dir():
        NOTES_SHOTS.mkdir(exist_ok=True)
        for shot in shots.iterdir():
            shutil.copy(shot, NOTES_SHOTS / shot.name)
    print(json.dumps(metrics))


def test_report_values_equal_the_public_release_and_switching_works(built_site, browser) -> None:
    folder = built_site.public
    opened = Opened(browser, built_site.report.out_dir / "report.html")
    opened.ready()
    # Pages open on the latest wave (issue: they opened on 2020).
    assert opened.page.input_value("#sel-wave") == "2022"
    assert opened.page.input_value("#sel-zone") == "SH-01"
    opened.select("wave", "2020")
    before = opened.plots()
    assert assert_report_matches(before, public_estimates(folder, 2020, "SH-01")) > 50

    # Suppressed cells appear only as ghosts, whose labels name suppressed cells.
    ghosts = [t for traces in before for t in traces if t["meta"].get("suppressed")]
    assert all(x == 1 or x > 0 for g in ghosts for x in g["x"])

    # The Wales benchmark sits beside online procurement and sales.
    with duckdb.connect() as con:
        bench = dict(
            con.execute(
                f"select indicator_id, share from {public(built_site, 'dim_reference_benchmark')}"
            ).fetchall()
        )
    chart2 = before[[f.fig_id for f in REPORT_FIGURES].index("chart2")]
    wales = next(t for t in chart2 if t["meta"].get("benchmark"))
    assert dict(zip(wales["meta"]["indicators"], wales["x"], strict=False)) == bench

    opened.select("wave", "2021")
    after = opened.plots()
    assert after != before
    assert assert_report_matches(after, public_estimates(folder, 2021, "SH-01")) > 50

    opened.select("lang", "zh")
    opened.draw_all()
    title = opened.page.evaluate("document.querySelector('.js-plotly-plot').layout.title.text")
    assert title.startswith("图表1")
    assert opened.page.evaluate("document.documentElement.lang") == "zh-CN"
    assert opened.errors == [] and opened.foreign == []


def test_language_is_kept_in_the_url_and_across_pages(built_site, browser) -> None:
    out = built_site.report.out_dir
    opened = Opened(browser, out / "report.html")
    opened.page.goto((out / "report.html").as_uri() + "?lang=zh")
    opened.ready()
    assert opened.page.input_value("#sel-lang") == "zh"
    assert opened.page.evaluate("document.documentElement.lang") == "zh-CN"
    assert opened.page.input_value("#sel-wave") == "2022"  # every page opens on the latest
    # The navigation carries the language: the next page opens in it.
    opened.page.click("header nav a[href^='zones.html']")
    opened.page.wait_for_url("**/zones.html?lang=zh")
    opened.ready()
    assert opened.page.input_value("#sel-lang") == "zh"
    assert opened.page.input_value("#sel-wave") == "2022"
    opened.select("lang", "en")
    assert opened.page.url.endswith("zones.html?lang=en")
    assert opened.page.get_attribute("header nav a[href^='trends.html']", "href") == (
        "trends.html?lang=en"
    )
    # The index (no app.js) passes the language on as well.
    opened.page.goto((out / "index.html").as_uri() + "?lang=zh")
    assert opened.page.get_attribute(".cards a[href^='maturity.html']", "href") == (
        "maturity.html?lang=zh"
    )
    assert opened.errors == [] and opened.foreign == []


def test_trends_zone_switch_changes_visible_lines(built_site, browser) -> None:
    opened = Opened(browser, built_site.report.out_dir / "trends.html")
    opened.ready()

    def visible_zones() -> set[str]:
        traces = opened.plots()[0]
        return {t["meta"]["zone"] for t in traces if t["visible"] is True and "zone" in t["meta"]}

    assert visible_zones() == {"ALL", "SH-01"}
    opened.select("zone", "Z08-01")
    assert visible_zones() == {"ALL", "Z08-01"}
    opened.select("indicator", "obstacle_fees")  # approximate across versions: lines break
    pooled = next(t for t in opened.plots()[0] if t["meta"].get("zone") == "ALL" and t["name"])
    assert None in pooled["x"]
    assert opened.errors == [] and opened.foreign == []


def test_plots_below_the_fold_are_drawn_as_they_approach(built_site, browser) -> None:
    opened = Opened(browser, built_site.report.out_dir / "report.html")
    opened.ready()
    states = "[...document.querySelectorAll('.plot')].map(d => d.dataset.state)"
    at_ready = opened.page.evaluate(states)
    assert len(at_ready) == len(REPORT_FIGURES)
    # The first plot is in view and drawn; the last one, far below, waits for the reader.
    assert at_ready[0] == "drawn" and at_ready[-1] == "stale"
    opened.draw_all()
    assert set(opened.page.evaluate(states)) == {"drawn"}
    # A new selection redraws what is in view now; what was left above waits again.
    opened.page.locator(f"#plot-{len(at_ready) - 1}").scroll_into_view_if_needed()
    opened.select("wave", "2021")
    after = opened.page.evaluate(states)
    assert after[-1] == "drawn" and after[0] == "stale"
    # The bundle registers exactly the trace types it records.
    registered = opened.page.evaluate("Object.keys(Plotly.PlotSchema.get().traces)")
    assert sorted(registered) == sorted(load_record().traces)
    assert opened.errors == [] and opened.foreign == []


def test_issue_charts_in_chromium(built_site, browser) -> None:
    """The issue's fixes as drawn: bands both sides of a break, zones within a population,
    adoption by size class, levels across waves, n on the charts, the rule legend."""
    out = built_site.report.out_dir
    estimates = public(built_site, "public_indicator_estimates")
    trends = Opened(browser, out / "trends.html")
    trends.ready()
    trends.select("zone", "ALL")
    trends.select("indicator", "cloud_migrated")  # approximate across v2020 -> v2022
    traces = trends.plots()[0]
    bands = [t for t in traces if t["meta"].get("band")]
    assert len(bands) == 2  # 2020-21 and 2022: the band before the break is kept
    assert max(bands[0]["x"]) == 2021 and min(bands[1]["x"]) > 2021
    n_row = next(t for t in traces if t["meta"].get("n"))
    assert all(n > 0 for n in n_row["meta"]["n"])
    assert trends.errors == [] and trends.foreign == []

    zones = Opened(browser, out / "zones.html")
    zones.ready()
    zones.select("domain", "manufacturing")
    with duckdb.connect() as con:
        rows = con.execute(
            f"""select zone_id, weighted_estimate, n_base_rounded from {estimates}
               where wave_id = 2022 and domain = 'manufacturing' and zone_id <> 'ALL'
                 and indicator_id = 'procurement_online_gt50' and not suppressed"""
        ).fetchall()
        sizes = con.execute(
            f"""select domain, weighted_estimate from {estimates}
               where wave_id = 2022 and domain_type = 'size_class' and zone_id = 'ALL'
                 and indicator_id = 'procurement_online_gt50' and not suppressed"""
        ).fetchall()
    plots = zones.plots()
    dots = plots[0][0]
    assert sorted(dots["meta"]["zones"]) == sorted(z for z, _, _ in rows)
    cells = {z: (e, n) for z, e, n in rows}
    for zone, x, label in zip(dots["meta"]["zones"], dots["x"], dots["y"], strict=True):
        assert x == cells[zone][0]
        assert label.endswith(f"n≈{cells[zone][1]}")
    by_size = plots[2][0]
    assert dict(zip(by_size["meta"]["domains"], by_size["x"], strict=True)) == dict(sizes)
    assert zones.errors == [] and zones.foreign == []

    maturity = Opened(browser, out / "maturity.html")
    maturity.ready()
    level_waves = maturity.plots()[1]
    assert {w for t in level_waves for w in t["meta"]["waves"]} == {2020, 2021, 2022}
    assert maturity.errors == [] and maturity.foreign == []

    quality = Opened(browser, out / "quality.html")
    quality.ready()
    rules = quality.plots()[1]
    assert sorted(t["name"] for t in rules) == [
        "codes_in_codebook: fails on B3_cloud",
        "skip_rule_C5: fails on B3_cloud",
    ]
    assert quality.errors == [] and quality.foreign == []
