"""The demo release's trends page in Chromium: a revised question breaks its line at the
version that revised it, and an item first asked in the newest version starts there.

Generic over the codebook: the newest break and the newest version's new indicators
are looked up in the public release, so a new questionnaire version is checked by
this test without editing it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest

from dashboards.browser import MISSING, chromium_available, launch_options
from orchestration.settings import Home

pytestmark = pytest.mark.slow

TREND_LINES = """[...document.querySelectorAll('.js-plotly-plot')][0].data
    .filter(t => t.mode === 'lines+markers').map(t => ({zone: t.meta.zone, x: t.x}))"""
VERSION_NOTES = """[...document.querySelectorAll('.js-plotly-plot')][0].layout.annotations
    .map(a => ({x: a.x, text: a.text}))"""


@pytest.fixture(scope="module")
def trends(demo: Home, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    if not chromium_available():
        pytest.skip(MISSING)
    from playwright.sync_api import sync_playwright

    site = demo.current.resolve() / "dashboards" / "trends.html"
    with sync_playwright() as play:
        context = play.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), **launch_options()
        )
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(site.as_uri())
        page.wait_for_function("window.SME_READY === true", timeout=60_000)
        yield page
        context.close()
        assert errors == []


def show(page, indicator: str) -> tuple[list[dict], list[dict]]:
    page.evaluate("window.SME_READY = false")
    page.select_option("#sel-indicator", indicator)
    page.wait_for_function("window.SME_READY === true", timeout=60_000)
    return page.evaluate(TREND_LINES), page.evaluate(VERSION_NOTES)


def public(demo: Home, table: str) -> pd.DataFrame:
    return pd.read_parquet(demo.current.resolve() / "public" / f"{table}.parquet")


def test_the_newest_break_cuts_the_line_there_and_only_there(demo: Home, trends) -> None:
    breaks = public(demo, "dim_indicator_break").sort_values(["wave_id", "indicator_id"])
    newest = breaks.iloc[-1]
    lines, notes = show(trends, newest.indicator_id)
    pooled = next(line["x"] for line in lines if line["zone"] == "ALL")
    cut = pooled.index(None)  # one gap, right before the break's wave
    assert pooled[cut + 1] == newest.wave_id and None not in pooled[cut + 1 :]
    own = set(breaks[breaks.indicator_id == newest.indicator_id].wave_id)
    gaps = {pooled[i + 1] for i, x in enumerate(pooled) if x is None}
    assert gaps == own
    labelled = {round(n["x"] + 0.5) for n in notes if newest.comparability in n["text"]}
    assert labelled == own


def test_an_item_new_in_the_newest_version_starts_there(demo: Home, trends) -> None:
    waves = public(demo, "dim_wave")
    newest_start = waves[waves.is_first_wave_of_version].wave_id.max()
    indicators = public(demo, "dim_indicator")
    new = indicators[indicators.first_comparable_wave == newest_start].indicator_id
    assert len(new) > 0
    lines, _ = show(trends, new.iloc[0])
    pooled = next(line["x"] for line in lines if line["zone"] == "ALL")
    assert [x for x in pooled if x is not None] == [
        w for w in sorted(waves.wave_id) if w >= newest_start
    ]
