"""The staged and mart suites as blocking Dagster checks, through real runs on a real home.

The session's published demo home (tests/support/demo.py: ingested, built and
published in-process, in one run) must carry the three suite checks in that run,
passed, with their metadata. Then a copy's build DB is corrupted behind dbt's back
(an estimate outside its interval, a questionnaire staged twice) and the checks plus
publishing run again: the checks fail naming the rules, and analytics_db does not
publish, so the analysts' file stays byte-identical.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.dagster_runs import QUIET, failure_reason, home_instance
from orchestration.defs.asset_checks import (
    ANALYTICS_DB,
    ENTERPRISES_SUITE_CHECK,
    INDICATORS_SUITE_CHECK,
    STAGED_SUITE_CHECK,
)
from orchestration.quality.downstream_validation import INDICATORS_RELATION, STAGED_RELATION
from orchestration.settings import DBT_PROJECT_DIR, Home

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (DBT_PROJECT_DIR / "dbt_project.yml").is_file(), reason="dbt_project/ not present"
    ),
]
SUITES = (STAGED_SUITE_CHECK, INDICATORS_SUITE_CHECK, ENTERPRISES_SUITE_CHECK)
SUITE_METADATA = (
    "expectations_evaluated",
    "expectations_failed",
    "unexpected_counts",
    "top_offending_values",
    "data_docs",
)


def evaluations(instance: dg.DagsterInstance, run_id: str) -> dict[str, dg.AssetCheckEvaluation]:
    logs = instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)
    found = [e.dagster_event.asset_check_evaluation_data for e in logs]
    return {ev.check_name: ev for ev in found}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_rebuild_run_carries_the_suites_passed_with_metadata(published_demo: Home) -> None:
    with home_instance(published_demo) as instance:
        (rebuild,) = instance.get_runs()  # the demo's one run: load, build, publish
        found = evaluations(instance, rebuild.run_id)
    for name in SUITES:
        check = found[name]
        assert check.passed, (name, check.description)
        assert check.blocking and check.severity == dg.AssetCheckSeverity.ERROR
        assert set(SUITE_METADATA) <= set(check.metadata), (name, sorted(check.metadata))
        evaluated = check.metadata["expectations_evaluated"].value
        assert evaluated > 0 and check.metadata["expectations_failed"].value == 0
        assert f"{evaluated} expectations passed" in check.description
        page = Path(check.metadata["data_docs"].value)
        assert page.is_file() and published_demo.data_docs in page.parents
    assert published_demo.analytics_db.is_file()


def corrupt(build_db: Path) -> None:
    """An estimate below its interval; a questionnaire staged twice under a new response id."""
    with duckdb.connect(str(build_db)) as con:
        con.execute(
            f"update {INDICATORS_RELATION} set ci_low = estimate + 0.01, ci_high = 1 "
            f"where indicator_id = (select min(indicator_id) from {INDICATORS_RELATION}) "
            "and estimate < 0.9"
        )
        con.execute(
            f"insert into {STAGED_RELATION} "
            f"select * replace (md5(response_id) as response_id) from {STAGED_RELATION} "
            "where questionnaire_rank = 1 limit 1"
        )


def job_of(defs: dg.Definitions, name: str, selection: dg.AssetSelection) -> dg.JobDefinition:
    job = dg.define_asset_job(name, selection=selection)
    return dg.Definitions.merge(defs, dg.Definitions(jobs=[job])).resolve_job_def(name)


def checks_then_publish(defs: dg.Definitions) -> dg.JobDefinition:
    """The suites and analytics_db without dbt (which would rebuild the corrupted tables)."""
    suite_keys = [k for k in defs.resolve_asset_graph().asset_check_keys if k.name in SUITES]
    selection = dg.AssetSelection.assets(ANALYTICS_DB) | dg.AssetSelection.checks(*suite_keys)
    return job_of(defs, "checks_then_publish", selection)


def test_a_corrupted_build_fails_the_suites_and_is_not_published(
    published_demo: Home, tmp_path: Path
) -> None:
    from orchestration.definitions import build_definitions

    home = Home(tmp_path / "home")
    shutil.copytree(published_demo.root, home.root, symlinks=True)
    before = sha256(home.analytics_db)
    corrupt(home.build_db)
    with home_instance(home) as instance:
        defs = build_definitions()
        result = checks_then_publish(defs).execute_in_process(
            instance=instance, raise_on_error=False, run_config=QUIET
        )
        found = evaluations(instance, result.run_id)
        # Publishing on its own still refuses: the latest blocking evaluations failed.
        publish_only = dg.AssetSelection.assets(ANALYTICS_DB).without_checks()
        alone = job_of(defs, "publish_only", publish_only).execute_in_process(
            instance=instance, raise_on_error=False, run_config=QUIET
        )
    staged, indicators = found[STAGED_SUITE_CHECK], found[INDICATORS_SUITE_CHECK]
    assert not staged.passed and not indicators.passed
    assert found[ENTERPRISES_SUITE_CHECK].passed
    assert "staged.enterprise_unique_in_wave:enterprise_key" in staged.description
    assert "marts.interval:estimate" in indicators.description
    assert indicators.metadata["unexpected_counts"].value["marts.interval:estimate"] > 0
    assert "marts.interval:estimate" in indicators.metadata["failed_rules"].value
    published = [
        e for e in result.get_asset_materialization_events() if e.asset_key == ANALYTICS_DB
    ]
    assert published == []
    assert not alone.success
    reason = failure_reason(alone) or ""
    assert reason.startswith("not published: blocking checks failed"), reason
    assert f"{INDICATORS_SUITE_CHECK}" in reason and f"{STAGED_SUITE_CHECK}" in reason
    assert sha256(home.analytics_db) == before
