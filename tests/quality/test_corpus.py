"""The bad-input corpus (tests/corpus/cases.yaml) through the real ingestion.

Fast part: every case goes through `orchestration.pipeline.ingest_zone_wave` in
its own SMESURVEY_HOME and must end as the case says (blocked with its one-line
message, quarantined under its rule, or accepted after normalization), with the
accounting invariant holding for every delivery and the landed files
byte-identical to what was delivered. Slow part (`-m slow`): every case through
`smesurvey ingest --inbox` in a subprocess (two batches into one home: the
printed line, the exit code, the Dagster run and its quality_gate check, the
accounting, published files untouched by a batch of refusals), and the cases
marked `slow` alone through `smesurvey ingest FILE... --zone --wave`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest

from orchestration.codebook import load_codebook
from orchestration.ingest.landing import landed_deliveries
from orchestration.ingest.load import published_message
from orchestration.settings import PROJECT_ROOT, Home
from tests.corpus.batch import Placement, drop, place_cases, run_inbox_cli
from tests.corpus.build import ZONE, Case, Edit, copy_clean, load_cases, make_delivery
from tests.corpus.run import CaseRun, run_cases
from tests.support.timeouts import HANG_GUARD

CASES = load_cases()
SLOW_CASES = [c for c in CASES if c.slow]
CLI = PROJECT_ROOT / ".venv" / "bin" / "smesurvey"
# Strings of the injection cases that must never reach a published file.
INJECTED = ("HYPERLINK", "cmd|", "<script")


@pytest.fixture(scope="session")
def clean_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the clean demo deliveries are generated (once per session and wave)."""
    return tmp_path_factory.mktemp("corpus-clean")


@pytest.fixture(scope="session")
def corpus_runs(
    request: pytest.FixtureRequest, clean_root: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, CaseRun]:
    """The selected cases, each ingested in its own home (in a small process pool)."""
    selected = {
        item.callspec.params["case"].id
        for item in request.session.items
        if getattr(item, "originalname", "") == "test_case" and hasattr(item, "callspec")
    }
    cases = [c for c in CASES if c.id in selected]
    return run_cases(cases, clean_root, tmp_path_factory.mktemp("corpus-homes"))


def fmt(value: Any, case: Case, zone: str = ZONE) -> str:
    return str(value).format(wave=case.wave, next_wave=case.wave + 1, zone=zone)


def query(db: Path, sql: str, params: list[Any] | None = None) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tree_digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): sha256(p) for p in sorted(folder.rglob("*")) if p.is_file()}


# ---------------------------------------------------------------- assertions


def assert_accounting(build_db: Path) -> list[tuple]:
    """rows_read = rows_accepted + rows_rejected for every delivery, blocked ones too."""
    rows = query(
        build_db,
        "select delivery_id, status, rows_read, rows_accepted, rows_rejected, message "
        "from raw.deliveries",
    )
    assert rows, "no delivery recorded"
    for delivery_id, status, read, accepted, rejected, _ in rows:
        assert None not in (read, accepted, rejected), (delivery_id, status)
        assert read == accepted + rejected, (delivery_id, status, read, accepted, rejected)
    loaded = query(
        build_db,
        "select (select count(*) from raw.responses), "
        "(select coalesce(sum(rows_accepted), 0) from raw.deliveries where status = 'loaded')",
    )[0]
    assert loaded[0] == loaded[1], "raw.responses differs from the accepted rows of loaded"
    return rows


def assert_nothing_lost(home: Home, case: Case, run: CaseRun) -> None:
    """The landing archive holds exactly the delivered files, byte for byte."""
    landings = landed_deliveries(home, ZONE, case.filed_wave)
    assert len(landings) == 1
    landing = landings[0]
    assert sorted(p.name for p in landing.files) == sorted(run.files)
    for name, data in run.files.items():
        assert (landing.path / name).read_bytes() == data, name


def one_edit(run: CaseRun) -> Edit:
    assert len(run.edits) == 1, run.edits
    return run.edits[0]


def assert_blocked(case: Case, home: Home, run: CaseRun) -> None:
    message = run.message
    assert message is not None, f"{case.id}: loaded, expected blocked"
    assert "\n" not in message and message.strip() == message
    assert re.search(fmt(case.expect["message"], case), message), message
    (status, text, read, rejected) = query(
        home.build_db,
        "select status, message, rows_read, rows_rejected from raw.deliveries",
    )[0]
    assert (status, text) == ("blocked", published_message(message))
    assert read == rejected  # a blocked delivery loads nothing: every row read is rejected
    assert query(home.build_db, "select count(*) from raw.responses")[0][0] == 0


def assert_quarantined(case: Case, home: Home, run: CaseRun) -> None:
    assert run.message is None, f"{case.id}: blocked: {run.message}"
    expect = case.expect
    edit = one_edit(run)
    status, read, rejected = query(
        home.build_db, "select status, rows_read, rows_rejected from raw.deliveries"
    )[0]
    assert status == "loaded"
    assert rejected == expect.get("rows_rejected", 1) and rejected / read <= 0.05
    lines = query(
        home.build_db,
        "select source_file, source_row, value, reason from raw.rejected_rows "
        "where rule_id = ? and column_name = ?",
        [expect["rule"], expect["column"]],
    )
    hit = [line for line in lines if line[:2] == (edit.file, edit.row)]
    assert len(hit) == 1, lines
    if "value" in expect:
        assert hit[0][2] == fmt(expect["value"], case)
    assert hit[0][3] and "{" not in hit[0][3]  # a filled-in reason
    # The quarantined rows stay out of raw.responses, the others are loaded.
    kept = query(
        home.build_db,
        "select count(*) from raw.responses where source_file = ? and source_row = ?",
        [edit.file, edit.row],
    )[0][0]
    assert kept == 0
    assert query(home.build_db, "select count(*) from raw.responses")[0][0] == read - rejected


def stored_value(home: Home, column: str, edit: Edit) -> Any:
    rows = query(
        home.build_db,
        f'select "{column}" from raw.responses where source_file = ? and source_row = ?',
        [edit.file, edit.row],
    )
    assert len(rows) == 1, (edit, rows)
    return rows[0][0]


def assert_accepted(case: Case, home: Home, run: CaseRun) -> None:
    assert run.message is None, f"{case.id}: blocked: {run.message}"
    expect = case.expect
    status, read, rejected, files = query(
        home.build_db, "select status, rows_read, rows_rejected, files from raw.deliveries"
    )[0]
    assert status == "loaded" and rejected == expect.get("rows_rejected", 0)
    assert query(home.build_db, "select count(*) from raw.responses")[0][0] == read
    if "normalized" in expect:
        norm, edit = expect["normalized"], one_edit(run)
        logged = query(
            home.build_db,
            "select before, after from raw.normalizations where source_file = ? "
            "and source_row = ? and column_name = ? and rule = ?",
            [edit.file, edit.row, norm["column"], norm["rule"]],
        )
        assert logged == [(norm["before"], str(norm["after"]))]
        assert str(stored_value(home, norm["column"], edit)) == str(norm["after"])
    if expect.get("stored"):
        for edit in run.edits:
            assert stored_value(home, edit.column, edit) == edit.value
    if "unknown_columns" in expect:
        recorded = {c for f in json.loads(files) for c in f["unknown_columns"]}
        assert set(expect["unknown_columns"]) <= recorded
    if "modes" in expect:
        modes = query(home.build_db, 'select distinct "A12_mode" from raw.responses')
        assert {m for (m,) in modes} == set(expect["modes"])


# ---------------------------------------------------------------- fast: the pipeline


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case: Case, corpus_runs: dict[str, CaseRun]) -> None:
    run = corpus_runs[case.id]
    assert run.error is None, run.error
    home = Home(run.home)
    outcome = case.expect["outcome"]
    if outcome == "refused":
        assert_refused(case, home, run)
        return
    if outcome == "blocked":
        assert_blocked(case, home, run)
    elif outcome == "quarantined":
        assert_quarantined(case, home, run)
    else:
        assert outcome == "accepted", outcome
        assert_accepted(case, home, run)
    assert_accounting(home.build_db)
    assert_nothing_lost(home, case, run)


def test_corpus_covers_every_outcome_and_enough_defects() -> None:
    outcomes = {c.expect["outcome"] for c in CASES}
    assert outcomes == {"refused", "blocked", "quarantined", "accepted"}
    assert len(CASES) >= 25
    # Alone through the CLI: a refusal and a publish (the batch runs every case).
    assert {c.expect["outcome"] for c in SLOW_CASES} == {"blocked", "accepted"}


def test_injected_text_columns_are_restricted() -> None:
    """Free text never leaves the build DB: the injection cases only target restricted items."""
    cb = load_codebook()
    for case in CASES:
        if "injection" in case.id or "script" in case.id:
            for step in case.steps:
                assert cb.item(step["column"]).restricted, (case.id, step["column"])


# ---------------------------------------------------------------- slow: the real CLI


def assert_refused(case: Case, home: Home, run: CaseRun) -> None:
    """Refused at admission: one line, nothing in the archive or the build DB, one log line."""
    message = run.message
    assert message is not None, f"{case.id}: admitted, expected refused"
    assert "\n" not in message and message.strip() == message
    assert re.search(fmt(case.expect["message"], case), message), message
    assert [p for p in home.landing.rglob("*") if p.is_file()] == []
    assert not home.build_db.exists()
    [line] = home.refusals_log.read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["reason"] == message


def run_cli(home: Path, files: list[Path], wave: int) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("SMESURVEY_HOME", "DAGSTER_HOME")}
    command = [str(CLI), "--home", str(home), "ingest", *map(str, files)]
    return subprocess.run(
        [*command, "--zone", ZONE, "--wave", str(wave)],
        capture_output=True,
        text=True,
        env=env,
        cwd=PROJECT_ROOT,
        timeout=HANG_GUARD,
    )


@pytest.fixture(scope="module")
def published_home(clean_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home that ingested and published the clean delivery of every slow case's wave."""
    home = tmp_path_factory.mktemp("published") / "home"
    for wave in sorted({c.filed_wave for c in SLOW_CASES}):
        files = copy_clean(clean_root, wave, tmp_path_factory.mktemp(f"clean-{wave}"))
        done = run_cli(home, files, wave)
        assert done.returncode == 0, done.stderr[-2000:]
    assert Home(home).analytics_db.is_file()
    return home


def published_text(home: Path) -> list[str]:
    """Every string cell of the analytics DB and the Parquet files."""
    texts: list[str] = []
    db = Home(home).analytics_db
    with duckdb.connect(str(db), read_only=True) as con:
        columns = con.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where data_type = 'VARCHAR'"
        ).fetchall()
        for schema, table, column in columns:
            rows = con.execute(f'select distinct "{column}" from "{schema}"."{table}"').fetchall()
            texts += [v for (v,) in rows if v is not None]
    for parquet in Home(home).parquet.rglob("*.parquet"):
        table = pq.read_table(parquet)
        for name in table.column_names:
            if str(table.schema.field(name).type) in ("string", "large_string"):
                texts += [v for v in table[name].to_pylist() if v is not None]
    return texts


def assert_judged_by_the_gate(case: Case, build_db: Path) -> None:
    """The CLI's run went through the same gate: the newest delivery is loaded as judged."""
    expect = case.expect
    quarantined = expect["outcome"] == "quarantined"
    status, rejected, delivery_id = query(
        build_db,
        "select status, rows_rejected, delivery_id from raw.deliveries "
        "order by received_at desc limit 1",
    )[0]
    assert status == "loaded"
    assert rejected == expect.get("rows_rejected", 1 if quarantined else 0)
    if quarantined:
        lines = query(
            build_db,
            "select count(*) from raw.rejected_rows where delivery_id = ? and rule_id = ?",
            [delivery_id, expect["rule"]],
        )
        assert lines[0][0] >= 1
    if "normalized" in expect:
        norm = expect["normalized"]
        logged = query(
            build_db,
            "select before, after from raw.normalizations where delivery_id = ? and rule = ?",
            [delivery_id, norm["rule"]],
        )
        assert (norm["before"], str(norm["after"])) in logged


@pytest.mark.slow
@pytest.mark.parametrize("case", SLOW_CASES, ids=[c.id for c in SLOW_CASES])
def test_case_through_the_cli(
    case: Case, clean_root: Path, published_home: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    shutil.copytree(published_home, home, symlinks=True)
    # Through `current`: after a publish these name the new release's files.
    analytics, site = Home(home).analytics_db, Home(home).dashboards
    before_db, before_pages = sha256(analytics), tree_digest(site)
    delivery = make_delivery(case, clean_root)
    files = delivery.write(tmp_path / "delivery")

    done = run_cli(home, files, case.filed_wave)

    if case.expect["outcome"] == "blocked":
        assert done.returncode == 1
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1, done.stderr[-3000:]
        assert lines[0].startswith("smesurvey: ")
        assert re.search(fmt(case.expect["message"], case), lines[0]), lines[0]
        # Nothing published: the analysts' DB and the pages are the previous good ones.
        assert sha256(analytics) == before_db
        assert tree_digest(site) == before_pages
        status = query(
            Home(home).build_db,
            "select status from raw.deliveries order by received_at desc limit 1",
        )
        assert status == [("blocked",)]
    else:
        assert done.returncode == 0, done.stderr[-3000:]
        lines = done.stdout.splitlines()
        assert lines[0].startswith(f"{ZONE}/{case.filed_wave}: ingested "), done.stdout
        assert lines[1].startswith("warehouse built and published (run "), done.stdout
        assert sha256(analytics) != before_db
        assert_judged_by_the_gate(case, Home(home).build_db)
        leaked = [t for t in published_text(home) if any(s in t for s in INJECTED)]
        assert leaked == []
        pages = [p for p in site.rglob("*") if p.is_file()]
        assert not [p for p in pages if any(s.encode() in p.read_bytes() for s in INJECTED[:2])]
    assert_accounting(Home(home).build_db)


# ---------------------------------------------------------------- slow: `ingest --inbox`


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
