"""Every corpus case (tests/corpus/cases.yaml) through `smesurvey ingest --inbox`, in two
batches into one home: the printed line, the exit code, the Dagster run and its
quality_gate check, the accounting, and published files untouched by a batch of
refusals."""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from typing import Any

import pytest

from orchestration.ingest.load import published_message
from orchestration.settings import Home
from tests.corpus.batch import Placement, drop, place_cases, run_inbox_cli
from tests.corpus.build import Case
from tests.corpus.outcomes import (
    CASES,
    INJECTED,
    assert_accounting,
    fmt,
    published_text,
    query,
    sha256,
    tree_digest,
)


@dataclass(frozen=True)
class Batches:
    home: Home
    placements: dict[str, Placement]  # by case id
    runs: dict[int, subprocess.CompletedProcess[str]]  # by batch
    published: dict[int, dict[str, str]]  # digests of the published files after each batch


def published_digest(home: Home) -> dict[str, str]:
    """The analysts' DB, the Parquet files and the dashboards, hashed."""
    return {
        "analytics.duckdb": sha256(home.analytics_db),
        **{f"parquet/{k}": v for k, v in tree_digest(home.parquet).items()},
        **{f"dashboards/{k}": v for k, v in tree_digest(home.dashboards).items()},
    }


@pytest.fixture(scope="module")
def batches(tmp_path_factory: pytest.TempPathFactory) -> Batches:
    """Batch 1 (everything that loads, two refusals), then batch 2 (refusals only)."""
    placements = place_cases(CASES, tmp_path_factory.mktemp("corpus-batch-clean"))
    home = Home(tmp_path_factory.mktemp("corpus-batch") / "home").ensure()
    runs, published = {}, {}
    for batch in (1, 2):
        drop(home, [p for p in placements if p.batch == batch])
        runs[batch] = run_inbox_cli(home)
        published[batch] = published_digest(home)
    return Batches(home, {p.case.id: p for p in placements}, runs, published)


def batch_lines(done: subprocess.CompletedProcess[str]) -> dict[str, str]:
    """`<zone>/<wave>: ...` lines by zone-wave."""
    lines = [line.split(": ", 1) for line in done.stdout.splitlines() if ": " in line]
    return {zw: rest for zw, rest in lines if "/" in zw and not zw.startswith(" ")}


def gate_evaluations(home: Home, run_prefix: str) -> tuple[Any, dict[tuple[str, str | None], Any]]:
    """The drop's run whose id the CLI printed and its check evaluations by check name and
    zone-wave (raw_delivery's: one per zone-wave, on its partition; None: unpartitioned),
    from the home's Dagster instance, as the UI shows them. No step of the run failed."""
    import dagster as dg

    from orchestration.dagster_runs import home_instance
    from orchestration.defs.partitions import ZoneWave

    with home_instance(home) as instance:
        runs = [run for run in instance.get_runs() if run.run_id.startswith(run_prefix)]
        assert len(runs) == 1, run_prefix
        logs = instance.all_logs(runs[0].run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)
        failures = instance.all_logs(runs[0].run_id, of_type=dg.DagsterEventType.STEP_FAILURE)
    assert not failures, [f.user_message for f in failures]
    evaluations = [e.dagster_event.asset_check_evaluation_data for e in logs]
    return runs[0], {
        (ev.check_name, None if ev.partition is None else str(ZoneWave.from_key(ev.partition))): ev
        for ev in evaluations
    }


def zone_wave_verdict(checks: dict[tuple[str, str | None], Any], zone_wave: str) -> dict[str, Any]:
    """The quality_gate check's verdict on one zone-wave of a drop's run (its partition)."""
    gate = checks["quality_gate", zone_wave]
    meta = {label: value.value for label, value in gate.metadata.items()}
    return {
        "passed": gate.passed,
        "reason": meta.get("reason"),
        "rows_rejected": meta.get("rows_rejected"),
        "severity": gate.severity.value,
    }


@pytest.mark.slow
def test_batches_exit_build_and_leave_published_files(batches: Batches) -> None:
    first, second = batches.runs[1], batches.runs[2]
    placed = batches.placements.values()
    refused = {1: 0, 2: 0}
    for p in placed:
        refused[p.batch] += p.case.expect["outcome"] in ("blocked", "refused")
    # A folder refused in batch 1 still lies in the inbox in batch 2 and is named again:
    # refused at admission (never landed), or landed and blocked (waiting for a fix).
    lingering = sum(
        p.batch == 1 and p.case.expect["outcome"] in ("blocked", "refused") for p in placed
    )
    refused[2] += lingering
    for batch, done in batches.runs.items():
        count = sum(p.batch == batch for p in placed) + (lingering if batch == 2 else 0)
        assert done.returncode == 1, done.stderr[-3000:]
        assert done.stderr.strip() == f"smesurvey: {refused[batch]} of {count} zone-waves refused"
        assert len(batch_lines(done)) == count, done.stdout
    # Batch 1 built, published and drew once; batch 2 loaded nothing, so nothing moved.
    assert first.stdout.count("warehouse built and published") == 1
    assert "warehouse built" not in second.stdout
    assert batches.published[1]["analytics.duckdb"]
    assert batches.published[2] == batches.published[1]


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case_through_ingest_inbox(case: Case, batches: Batches) -> None:
    placement = batches.placements[case.id]
    zone_wave, home = placement.zone_wave, batches.home
    line = batch_lines(batches.runs[placement.batch])[zone_wave]
    if case.expect["outcome"] == "refused":
        assert_refused_in_batch(case, placement, line, home)
        return
    run_prefix = re.search(r"\(run ([0-9a-f]{8})\)$", line).group(1)
    run, checks = gate_evaluations(home, run_prefix)
    # One run per drop: its quality_gate check judges every zone-wave of the drop, each
    # on its partition.
    verdict = zone_wave_verdict(checks, zone_wave)
    # A loaded zone-wave may be re-delivered (and refused) in batch 2: the case's own
    # delivery is the newest one of the status it should have.
    expected_status = "blocked" if case.expect["outcome"] == "blocked" else "loaded"
    newest = query(
        home.build_db,
        "select status, rows_read, rows_accepted, rows_rejected, message from raw.deliveries "
        "where zone_id = ? and wave_id = ? and status = ? order by received_at desc limit 1",
        [placement.zone, case.filed_wave, expected_status],
    )[0]
    if case.expect["outcome"] == "blocked":
        reason = line.removeprefix("refused: ").rsplit(" (run ", 1)[0]
        assert line.startswith("refused: ") and "\n" not in reason
        assert re.search(fmt(case.expect["message"], case, placement.zone), reason), line
        assert (verdict["passed"], verdict["reason"]) == (False, reason)
        # A refusal is a failed check, not a failed run (no step failed: see
        # gate_evaluations); ERROR when none of the drop's zone-waves loaded, so nothing
        # was built after it, WARN when the others went on.
        loaded_any = any(
            not line.startswith("refused: ")
            for line in batch_lines(batches.runs[placement.batch]).values()
        )
        assert run.status.value == "SUCCESS"
        assert verdict["severity"] == ("WARN" if loaded_any else "ERROR")
        assert newest[0] == "blocked" and newest[4] == published_message(reason)
    else:
        quarantined = case.expect["outcome"] == "quarantined"
        rejected = case.expect.get("rows_rejected", 1 if quarantined else 0)
        status, read, accepted = newest[:3]
        assert status == "loaded" and newest[3] == rejected
        assert line.startswith(
            f"ingested {read} rows, {accepted} accepted, {rejected} quarantined (run "
        ), line
        assert run.status.value == "SUCCESS"
        assert verdict["passed"] and checks["rows_accounted_for", zone_wave].passed
        assert verdict["rows_rejected"] == rejected


def assert_refused_in_batch(case: Case, placement: Placement, line: str, home: Home) -> None:
    """No run (so no run id), nothing landed, no row, no partition: only a log line."""
    import dagster as dg

    from orchestration.dagster_runs import home_instance
    from orchestration.defs.partitions import ZONE

    assert line.startswith("refused: ") and "(run " not in line, line
    assert re.search(fmt(case.expect["message"], case, placement.zone), line), line
    assert not (home.landing / placement.zone).exists()
    rows = query(
        home.build_db, "select count(*) from raw.deliveries where zone_id = ?", [placement.zone]
    )
    assert rows == [(0,)]
    with home_instance(home) as instance:
        assert placement.zone not in instance.get_dynamic_partitions(ZONE)
        tag = {"dagster/partition": f"{case.filed_wave}|{placement.zone}"}
        assert instance.get_runs(dg.RunsFilter(tags=tag)) == []
    logged = [json.loads(x) for x in home.refusals_log.read_text(encoding="utf-8").splitlines()]
    assert sum(r["zone"] == placement.zone for r in logged) == 1


@pytest.mark.slow
def test_batch_accounting_and_kept_loads(batches: Batches) -> None:
    """rows read = accepted + rejected for every delivery; a refused re-delivery leaves the
    zone-wave's published load in place."""
    rows = assert_accounting(batches.home.build_db)
    assert len(rows) == sum(c.expect["outcome"] != "refused" for c in CASES)
    reloaded = [p for p in batches.placements.values() if p.batch == 2]
    loads = dict(
        ((z, w), n)
        for z, w, n in query(
            batches.home.build_db,
            "select zone_id, wave_id, count(*) from raw.responses group by all",
        )
    )
    kept = [p for p in reloaded if (p.zone, p.case.filed_wave) in loads]
    assert kept, "no refused re-delivery of a loaded zone-wave"
    for p in kept:
        statuses = query(
            batches.home.build_db,
            "select status from raw.deliveries where zone_id = ? and wave_id = ? "
            "order by received_at",
            [p.zone, p.case.filed_wave],
        )
        assert statuses == [("loaded",), ("blocked",)], (p.case.id, statuses)


@pytest.mark.slow
def test_batch_rebuild_passed_the_downstream_suites(batches: Batches) -> None:
    """The first drop's one run built, judged the staged model and the marts (blocking
    checks) and published; injected text never reached a published file."""
    from orchestration.defs.asset_checks import (
        ENTERPRISES_SUITE_CHECK,
        INDICATORS_SUITE_CHECK,
        STAGED_SUITE_CHECK,
    )

    built = re.search(
        r"warehouse built and published \(run ([0-9a-f]{8})\)", batches.runs[1].stdout
    )
    assert built, batches.runs[1].stdout
    run, suites = gate_evaluations(batches.home, built.group(1))
    assert run.status.value == "SUCCESS"
    for name in (STAGED_SUITE_CHECK, INDICATORS_SUITE_CHECK, ENTERPRISES_SUITE_CHECK):
        assert suites[name, None].passed, (name, suites[name, None].description)
    leaked = [t for t in published_text(batches.home.root) if any(s in t for s in INJECTED)]
    assert leaked == []
