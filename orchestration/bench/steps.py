"""Child-side steps besides ingestion: generating a wave, publishing, building the site."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from orchestration.bench.meter import Meter
from orchestration.settings import Home


def generate(spec: dict[str, Any]) -> dict[str, Any]:
    """Write spec["zones"] x spec["waves"] deliveries of spec["firms_per_zone"] into spec["out"]."""
    from orchestration.demo.generator import GeneratorConfig, write_deliveries

    config = GeneratorConfig(
        zones=spec["zones"],
        waves=tuple(spec["waves"]),
        firms_per_zone=spec["firms_per_zone"],
        seed=spec["seed"],
    )
    meter = Meter()
    with meter.measure():
        summary = write_deliveries(config, Path(spec["out"]))
    return {
        "stages": {"generate": meter.as_dict()},
        "respondents": summary.respondents,
        "electronic": summary.electronic,
        "paper": summary.paper,
        "bytes": summary.bytes,
    }


def publish(spec: dict[str, Any]) -> dict[str, Any]:
    from orchestration.release import publish_release

    home = Home(Path(spec["home"]))
    meter = Meter()
    with meter.measure():
        # The site is the next stage, timed on its own: the release leaves it out.
        release = publish_release(home.build_db, home, site=None)
    return {
        "stages": {"publish": meter.as_dict()},
        "tables": len(release.tables),
        "rows": sum(release.row_counts().values()),
        "analytics_bytes": release.analytics_db.stat().st_size,
    }


def dashboards(spec: dict[str, Any]) -> dict[str, Any]:
    from dashboards.site import build_site

    home = Home(Path(spec["home"]))
    meter = Meter()
    with meter.measure():
        # Outside the release: published releases are never changed in place.
        report = build_site(home.public, home.root / "bench-site")
    return {
        "stages": {"dashboards": meter.as_dict()},
        "pages": len(report.pages),
        "site_bytes": report.bytes,
    }
