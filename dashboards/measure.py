"""Build the site and measure it: bytes on disk and each page's time to interactive.

    python -m dashboards.measure --public warehouse/current/public --out /tmp/site

Time to interactive = ms from navigation start until every plot in or near the
viewport (1366 x 768) was drawn (`window.SME_READY_AT`; plots further down are drawn
as they approach it), in headless Chromium over file://. A measurement, not a test:
figures vary with the machine (note its load average).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from dashboards.browser import launch_options
from dashboards.pages import PAGES
from dashboards.site import build_site

VIEWPORT = {"width": 1366, "height": 768}
TIMINGS = """[window.SME_READY_AT,
  performance.getEntriesByType('navigation')[0].domContentLoadedEventStart,
  (performance.getEntriesByName('first-contentful-paint')[0] || {startTime: -1}).startTime,
  document.querySelectorAll('.plot[data-state="drawn"]').length]"""


def time_to_interactive(out_dir: Path, runs: int = 3) -> dict[str, dict[str, float]]:
    """Median ms per page (needs Debian's chromium and Playwright).

    `interactive`: the plots in view drawn; `scripts`: plotly.min.js and the page
    scripts (deferred) evaluated; `plots`: the difference, i.e. data and drawing;
    `first_paint`: first contentful paint (-1: none); `drawn`: how many plots that took.
    """
    from playwright.sync_api import sync_playwright

    results: dict[str, list[tuple[float, ...]]] = {name: [] for name in PAGES}
    with sync_playwright() as play:
        browser = play.chromium.launch(**launch_options())
        for _ in range(runs):
            # A fresh context per run: nothing cached between runs.
            context = browser.new_context(viewport=VIEWPORT)
            for name in PAGES:
                page = context.new_page()
                page.goto((out_dir / f"{name}.html").as_uri())
                page.wait_for_function("window.SME_READY === true", timeout=60_000)
                results[name].append(tuple(float(v) for v in page.evaluate(TIMINGS)))
                page.close()
            context.close()
        browser.close()
    out = {}
    for name, times in results.items():
        ready, scripts, paint, drawn = sorted(times)[len(times) // 2]
        out[name] = {
            "interactive": ready,
            "scripts": scripts,
            "plots": ready - scripts,
            "first_paint": paint,
            "drawn": drawn,
        }
    return out


def sizes(out_dir: Path) -> dict[str, int]:
    files = [p for p in out_dir.rglob("*") if p.is_file()]
    data = sum(p.stat().st_size for p in files if p.parent.name == "data")
    return {
        "total": sum(p.stat().st_size for p in files),
        "plotly.min.js": (out_dir / "plotly.min.js").stat().st_size,
        "data": data,
        "pages": sum(p.stat().st_size for p in files if p.suffix == ".html"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--public", type=Path, required=True, help="A release's public/ folder.")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    started = time.perf_counter()
    report = build_site(args.public, args.out)
    built = time.perf_counter() - started
    load = os.getloadavg()
    tti = time_to_interactive(args.out, args.runs)
    print(
        json.dumps(
            {
                "build_seconds": round(built, 2),
                # 1/5/15-min load before and after: the timings depend on it.
                "load_average": {
                    "before": [round(x, 2) for x in load],
                    "after": [round(x, 2) for x in os.getloadavg()],
                },
                "chunks": report.chunks,
                "bytes": sizes(args.out),
                "time_to_interactive_ms": {
                    page: {k: round(v) for k, v in parts.items()} for page, parts in tti.items()
                },
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
