"""`dashboards_site`: the static pages analysts open (placeholder index until the site builder)."""

import html

import dagster as dg

from orchestration.defs.checks import ANALYTICS_DB
from orchestration.defs.resources import SurveyHome


def index_page(row_counts: dict[str, int]) -> str:
    """A page listing the published marts and their row counts."""
    rows = "\n".join(
        f"<tr><td>{html.escape(name)}</td><td>{count}</td></tr>"
        for name, count in sorted(row_counts.items())
    )
    return (
        "<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<title>SME digital maturity: published marts</title></head><body>\n"
        "<h1>Published marts</h1>\n<table><thead><tr><th>table</th><th>rows</th></tr></thead>"
        f"<tbody>\n{rows}\n</tbody></table>\n</body></html>\n"
    )


@dg.asset(
    deps=[ANALYTICS_DB],
    group_name="dashboards",
    kinds={"html"},
    description="dashboards/index.html, built from the analytics DB only (never the build DB).",
)
def dashboards_site(survey: SurveyHome) -> dg.MaterializeResult:
    from orchestration.publish import read_published_tables

    paths = survey.paths
    counts = read_published_tables(paths.analytics_db)
    paths.dashboards.mkdir(parents=True, exist_ok=True)
    index = paths.dashboards / "index.html"
    tmp = index.with_suffix(".html.tmp")
    tmp.write_text(index_page(counts), encoding="utf-8")
    tmp.replace(index)
    return dg.MaterializeResult(
        metadata={"index": dg.MetadataValue.path(str(index)), "marts": len(counts)}
    )
