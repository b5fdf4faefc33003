"""Data Docs load every script, stylesheet, font and image from the site itself.

A real GX validation writes the pages; the browser test opens them in Debian's headless
Chromium with every network request blocked (`make browser`; never downloads a browser).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import great_expectations
import pytest

from dashboards.browser import MISSING, chromium_available, launch_options
from orchestration.quality import run_gate
from orchestration.quality.context import build_docs_index
from orchestration.quality.docs_assets import (
    CDN,
    RECORD,
    SITE_VENDOR,
    AssetsError,
    checked_assets,
    install_assets,
    load_record,
)
from tests.quality.conftest import CB, ZONE, set_value, valid_frame

WAVE = 2022
VERSION = CB.version_for_wave(WAVE)
TEMPLATES = Path(great_expectations.__file__).parent / "render" / "view" / "templates"
NOTES_SHOTS = Path("/work/notes/screenshots")
# A URL a page would fetch by itself: in src= or href= of anything but a link to text
# (<a>), or in a CSS url(...).
FETCHED_URL = re.compile(
    r"<(?!a\s)[a-z]+\s[^>]*?(?:src|href)=\"(https?://[^\"]+)\"|url\(['\"]?(https?://[^'\")]+)"
)


def fetched_urls(html: str) -> list[str]:
    return [a or b for a, b in FETCHED_URL.findall(html)]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A Data Docs site with one failed validation page and the index: (root, page)."""
    root = tmp_path_factory.mktemp("data_docs")
    table = set_value(valid_frame(VERSION, 60, wave_id=WAVE), "A8_employees", 3, "lots")
    result = run_gate(table, wave_id=WAVE, zone_id=ZONE, version=VERSION, data_docs_dir=root)
    build_docs_index(root)
    [page] = result.suite_results[0].data_docs_pages
    return root, page


def test_every_cdn_url_of_gx_templates_has_a_vendored_file() -> None:
    """A GX upgrade that adds or moves a CDN asset fails here, not silently offline."""
    in_templates = set()
    for template in TEMPLATES.glob("*.j2"):
        in_templates |= set(fetched_urls(template.read_text(encoding="utf-8")))
    # The logo's URL is built in the template from a variable; it is rewritten on its own.
    assert in_templates - set(CDN) == set()
    assert set(CDN.values()) <= set(load_record())


def test_a_tampered_asset_is_refused(tmp_path: Path) -> None:
    vendor = tmp_path / "vendor"
    shutil.copytree(RECORD.parent, vendor, ignore=shutil.ignore_patterns("node_modules"))
    assert set(checked_assets(vendor / RECORD.name)) == set(load_record())
    jquery = vendor / "assets" / "jquery.min.js"
    jquery.write_bytes(jquery.read_bytes().replace(b"jQuery", b"jQuerx", 1))
    with pytest.raises(AssetsError, match=r"jquery\.min\.js: sha256 .* differs"):
        checked_assets(vendor / RECORD.name)
    with pytest.raises(AssetsError, match="jquery"):
        install_assets(tmp_path / "site", vendor / RECORD.name)
    assert not (tmp_path / "site" / SITE_VENDOR / "assets.json").exists()


def test_pages_name_no_remote_asset(site: tuple[Path, Path]) -> None:
    root, page = site
    for written in (page, root / "index.html"):
        html = written.read_text(encoding="utf-8")
        assert fetched_urls(html) == [], written
        assert "integrity=" not in html and "crossorigin=" not in html
        # Every local src/href resolves to a file of the site.
        for link in re.findall(r'(?:src|href)="([^"#:?]+)"', html):
            target = (written.parent / link).resolve()
            if not link.endswith("expectations/gate_outcomes_v2022.html"):  # not built here
                assert target.is_file() and target.is_relative_to(root), (written, link)
    assert (root / SITE_VENDOR / "jquery.min.js").read_bytes() == checked_assets()["jquery.min.js"]


@pytest.fixture(scope="module")
def offline_browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    if not chromium_available():
        pytest.skip(MISSING)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as play:
        browser = play.chromium.launch(**launch_options())
        context = browser.new_context(viewport={"width": 1366, "height": 900})
        # Offline: any request that is not for a file of the site fails.
        context.route(
            "**/*",
            lambda route: (
                route.continue_()
                if route.request.url.startswith("file://")
                else route.abort("internetdisconnected")
            ),
        )
        yield context
        context.close()
        browser.close()


@pytest.mark.slow
@pytest.mark.parametrize("which", ["validation", "index"])
def test_pages_render_styled_offline(
    site: tuple[Path, Path], offline_browser, which: str, tmp_path: Path
) -> None:
    root, page = site
    path = page if which == "validation" else root / "index.html"
    tab = offline_browser.new_page()
    requested: list[str] = []
    failed: list[str] = []
    errors: list[str] = []
    tab.on("request", lambda r: requested.append(r.url))
    tab.on("requestfailed", lambda r: failed.append(f"{r.url} {r.failure}"))
    tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.goto(path.as_uri(), wait_until="load")
    tab.evaluate("document.fonts.ready")
    assert failed == [] and errors == []
    assert all(url.startswith("file://") for url in requested), requested
    assert any(url.endswith("/static/vendor/bootstrap.min.css") for url in requested)
    # Styles only bootstrap's CSS gives: .pl-5 is 3rem, a .navbar is a flex box.
    assert tab.evaluate("getComputedStyle(document.querySelector('.pl-5')).paddingLeft") == "48px"
    assert tab.evaluate("getComputedStyle(document.querySelector('.navbar')).display") == "flex"
    # bootstrap-table's script ran (it wraps each table), and font-awesome's font loaded.
    assert tab.locator(".bootstrap-table").count() > 0
    assert tab.evaluate(
        "[...document.fonts].some(f => f.family.includes('Font Awesome') && f.status === 'loaded')"
    )
    shot = tmp_path / f"data_docs_{which}.png"
    tab.screenshot(path=str(shot))
    if NOTES_SHOTS.parent.is_dir():
        NOTES_SHOTS.mkdir(exist_ok=True)
        shutil.copy(shot, NOTES_SHOTS / shot.name)
    tab.close()
