"""`analytics_db`: publish a release for analysts once every blocking check passed."""

import time
from collections.abc import Sequence

import dagster as dg

from orchestration.defs.asset_checks import (
    ANALYTICS_DB,
    failed_blocking_checks,
    restricted_columns_in,
)
from orchestration.defs.progress import progress, seconds
from orchestration.defs.resources import BUILD_DB_POOL, SurveyHome


def build_analytics_db_asset(
    marts: Sequence[dg.AssetKey],
    blocking_checks: Sequence[dg.AssetCheckKey],
    gated_by: Sequence[dg.AssetKey] = (),
) -> dg.AssetsDefinition:
    """The publish asset, downstream of every mart, guarded by the given blocking checks.

    `gated_by`: further assets whose blocking checks must run (and pass) first. Dagster
    makes an asset wait for the blocking checks of its direct upstream assets only, so
    a checked asset that is not a mart (the staged responses) becomes a dependency.
    """

    @dg.asset(
        key=ANALYTICS_DB,
        deps=sorted({*marts, *gated_by}),
        # It reads the build DB, which no other process may hold while a writer has it.
        pool=BUILD_DB_POOL,
        group_name="publish",
        kinds={"duckdb", "parquet", "html"},
        description="A release `warehouse/releases/<id>/`: analytics.duckdb (schema marts, "
        "restricted columns removed, suppressed estimates nulled), `parquet/<mart>.parquet`, "
        "the dashboards and a manifest; warehouse/current switches to it atomically.",
    )
    def analytics_db(context: dg.AssetExecutionContext, survey: SurveyHome) -> dg.MaterializeResult:
        from orchestration.publish import PublishError
        from orchestration.release import publish_release

        failed = failed_blocking_checks(context.instance, blocking_checks)
        if failed:
            shown = ", ".join(failed[:3]) + (
                f" and {len(failed) - 3} more" if len(failed) > 3 else ""
            )
            raise dg.Failure(description=f"not published: blocking checks failed: {shown}")
        paths = survey.paths
        started = time.perf_counter()
        try:
            release = publish_release(paths.build_db, paths, spark_marts=survey.spark_marts())
        except PublishError as exc:
            raise dg.Failure(description=str(exc), allow_retries=False) from exc
        progress(context.log, f"published release {release.id} {seconds(started)}")
        return dg.MaterializeResult(
            metadata={
                "release_id": release.id,
                # This release's own files: `current` moves on with the next publish.
                "path": dg.MetadataValue.path(str(release.analytics_db)),
                "parquet": dg.MetadataValue.path(str(release.parquet_dir)),
                "dashboards": dg.MetadataValue.path(str(release.dashboards / "index.html")),
                "row_counts": dg.MetadataValue.json(release.row_counts()),
                "bytes": release.bytes,
                "pruned_releases": dg.MetadataValue.json(list(release.pruned)),
                "dropped_columns": dg.MetadataValue.json(
                    {t.name: list(t.dropped) for t in release.tables if t.dropped}
                ),
                "suppressed_rows": sum(t.suppressed_rows for t in release.tables),
            }
        )

    return analytics_db


@dg.asset_check(
    asset=ANALYTICS_DB,
    blocking=True,
    description="The published file has no column named like a restricted codebook item.",
)
def no_restricted_columns(survey: SurveyHome) -> dg.AssetCheckResult:
    from orchestration.codebook import load_codebook
    from orchestration.publish import RestrictedNames

    leaked = restricted_columns_in(
        str(survey.paths.analytics_db), RestrictedNames.from_codebook(load_codebook())
    )
    return dg.AssetCheckResult(passed=not leaked, metadata={"restricted_columns": leaked})
