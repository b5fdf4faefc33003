"""`dashboards_site`: the static pages analysts open, built from the analytics DB only."""

import dagster as dg

from orchestration.defs.checks import ANALYTICS_DB
from orchestration.defs.resources import SurveyHome


@dg.asset(
    deps=[ANALYTICS_DB],
    group_name="dashboards",
    kinds={"html"},
    description="dashboards/index.html and its pages, built from the analytics DB only "
    "(never the build DB); works offline from file://.",
)
def dashboards_site(survey: SurveyHome) -> dg.MaterializeResult:
    from dashboards.site import build_site

    paths = survey.paths
    report = build_site(paths.analytics_db, paths.dashboards)
    return dg.MaterializeResult(
        metadata={
            "index": dg.MetadataValue.path(str(report.pages[0])),
            "pages": len(report.pages),
            "bytes": report.bytes,
            "plots": report.plots,
            "data_chunks": report.chunks,
        }
    )
