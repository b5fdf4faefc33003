"""A refused delivery as the Dagster UI shows it, through the running `smesurvey ui`'s GraphQL.

raw_delivery's checks are partitioned like the asset: every zone-wave of a run has its
own quality_gate (and, when loaded, rows_accounted_for) result on its partition, so a
zone-wave's verdict is found from the zone-wave. A refusal is a failed check with its
one-line reason: no step fails, so the run log holds no stack trace and no "Dependencies
... failed" rows; when nothing loaded, the steps after raw_delivery are skipped.

One server for the module. The inbox sensor runs three drops: one good and one broken
zone-wave of 2021 together (the good one is built and published, the broken one refused,
WARN), then one broken zone-wave of 2022 alone (refused, ERROR, nothing built), then the
good zone's 2022 with every USCC's check character wrong (refused by row-level rules: the
check's metadata lists the rejected rows, USCCs masked).
`smesurvey status` (a subprocess) then lists each refused zone-wave's failed check.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dashboards.browser import MISSING, chromium_available, launch_options
from orchestration.demo.generator import GeneratorConfig, write_deliveries
from orchestration.settings import Home
from tests.service.test_dagster_service import (
    FINISHED,
    RUN_TIMEOUT,
    START_TIMEOUT,
    Service,
    free_port,
    open_page,
    screenshot,
    stop,
    wait_for,
)
from tests.support.timeouts import HANG_GUARD, HANG_GUARD_MS

pytestmark = pytest.mark.slow

CLI = Path(sys.executable).with_name("smesurvey")
SENSOR_RUNS = {"key": "dagster/sensor_name", "value": "inbox_sensor"}

CHECK_EXECUTIONS = """
query($key: AssetKeyInput!, $check: String!, $partition: String) {
  assetCheckExecutions(assetKey: $key, checkName: $check, partition: $partition, limit: 20) {
    runId status partition
    evaluation { success severity description partition
      metadataEntries { label ... on TextMetadataEntry { text }
        ... on MarkdownMetadataEntry { mdStr } } } } }"""
RUN_EVENTS = """
query($id: ID!) { logsForRun(runId: $id) { __typename ... on EventConnection { events {
  __typename
  ... on MessageEvent { message level }
  ... on StepEvent { stepKey }
  ... on ExecutionStepFailureEvent { error { message stack } }
  ... on AssetCheckEvaluationEvent { evaluation { checkName success description partition } }
} } } }"""


@pytest.fixture(scope="module")
def ui(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    root = tmp_path_factory.mktemp("ui-refusals")
    home = Home(root / "home").ensure()
    generated = root / "generated"
    write_deliveries(GeneratorConfig(zones=2, waves=(2021, 2022), firms_per_zone=12), generated)
    zones = sorted(p.name for p in generated.iterdir())
    (root / "generated-path").write_text(str(generated), encoding="utf-8")
    port, docs_port = free_port(), free_port()
    log = root / "ui.log"
    command = [str(CLI), "--home", str(home.root), "ui"]
    with log.open("w", encoding="utf-8") as out:
        process = subprocess.Popen(
            [*command, "--port", str(port), "--docs-port", str(docs_port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    service = Service(home, port, docs_port, process, log, zones)
    try:
        wait_for(service.answers, START_TIMEOUT, "the webserver's /server_info")
        yield service
    finally:
        stop(process)


def break_uscc_check_characters(csv_path: Path) -> list[str]:
    """Every row's USCC (the platform export's first column) gets a wrong check character:
    each row breaks a row-level rule. Returns the USCCs as written."""
    import pandas as pd

    raw = csv_path.read_bytes()
    encoding = "utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else "gb18030"
    frame = pd.read_csv(csv_path, dtype=str, keep_default_na=False, encoding=encoding)
    uscc = frame.columns[0]
    wrong = frame[uscc].str[17].map(lambda c: "0" if c != "0" else "1")
    frame[uscc] = frame[uscc].str[:17] + wrong
    frame.to_csv(csv_path, index=False, encoding=encoding)
    return frame[uscc].tolist()


def drop(service: Service, folders: dict[tuple[str, int], bool | str]) -> dict[str, Any]:
    """Drop these zone-waves (True: as generated, False: a file the parser refuses,
    "rows": every row breaking a rule) into the inbox at once and wait for the sensor's
    run of them."""
    generated = Path((service.log.parent / "generated-path").read_text(encoding="utf-8"))
    before = {r["runId"] for r in service.runs(tags=[SENSOR_RUNS])}
    staging = service.home.root / ".staging"
    for (zone, wave), good in folders.items():
        target = staging / zone / str(wave)
        shutil.copytree(generated / zone / str(wave), target)
        if good == "rows":
            service.figures["broken_usccs"] = break_uscc_check_characters(
                target / "platform_export.csv"
            )
        elif not good:
            (target / "platform_export.csv").write_text("not,a,questionnaire\n1,2,3\n", "utf-8")
    for zone_folder in staging.iterdir():  # renamed into place: no half drop is seen
        for wave_folder in zone_folder.iterdir():
            (service.home.inbox / zone_folder.name).mkdir(parents=True, exist_ok=True)
            wave_folder.rename(service.home.inbox / zone_folder.name / wave_folder.name)
    shutil.rmtree(staging)

    def finished() -> dict[str, Any] | None:
        runs = [r for r in service.runs(tags=[SENSOR_RUNS]) if r["runId"] not in before]
        return next((r for r in runs if r["status"] in FINISHED), None)

    return wait_for(finished, RUN_TIMEOUT, f"the sensor's run of {sorted(folders)}")


def executions(service: Service, check: str, partition: str | None = None) -> list[dict]:
    variables: dict[str, Any] = {"key": {"path": ["raw_delivery"]}, "check": check}
    if partition is not None:
        variables["partition"] = partition
    return service.gql(CHECK_EXECUTIONS, **variables)["assetCheckExecutions"]


def run_events(service: Service, run_id: str) -> list[dict[str, Any]]:
    return service.gql(RUN_EVENTS, id=run_id)["logsForRun"]["events"]


def assert_no_step_failure(events: list[dict[str, Any]]) -> None:
    """Nothing red but the failed check: no failed step (no stack trace), no dependencies
    reported failed or not executed."""
    kinds = {e["__typename"] for e in events}
    assert "ExecutionStepFailureEvent" not in kinds and "RunFailureEvent" not in kinds
    messages = "\n".join(e.get("message") or "" for e in events)
    assert "Dependencies for step" not in messages and "Stack Trace" not in messages


def test_check_results_and_refusals_are_found_by_zone_wave(ui: Service) -> None:
    good, bad = ui.zones
    first = drop(ui, {(good, 2021): True, (bad, 2021): False})
    assert first["status"] == "SUCCESS", ui.log_tail()
    second = drop(ui, {(bad, 2022): False})
    assert second["status"] == "SUCCESS", ui.log_tail()  # a refusal is not a failed run
    ui.figures["refusing_run"] = second["runId"]

    # Every result of raw_delivery's checks carries its zone-wave's partition.
    for check in ("quality_gate", "rows_accounted_for"):
        assert all(e["partition"] for e in executions(ui, check)), check

    # A zone-wave's verdict, asked by its partition as the UI's partition view asks.
    [passed] = executions(ui, "quality_gate", f"2021|{good}")
    assert (passed["status"], passed["evaluation"]["success"]) == ("SUCCEEDED", True)
    [rows] = executions(ui, "rows_accounted_for", f"2021|{good}")
    assert rows["status"] == "SUCCEEDED" and rows["runId"] == first["runId"]
    refusals = {}
    for wave, run, severity in ((2021, first, "WARN"), (2022, second, "ERROR")):
        [refused] = executions(ui, "quality_gate", f"{wave}|{bad}")
        evaluation = refused["evaluation"]
        assert refused["status"] == "FAILED" and refused["runId"] == run["runId"]
        assert evaluation["severity"] == severity and not evaluation["success"]
        reason = {m["label"]: m.get("text") for m in evaluation["metadataEntries"]}["reason"]
        assert "platform_export.csv" in reason and evaluation["description"] == reason
        refusals[wave] = reason
        # nothing was loaded, so there were no rows to account for: planned, not evaluated
        unloaded = executions(ui, "rows_accounted_for", f"{wave}|{bad}")
        assert all(e["evaluation"] is None for e in unloaded), unloaded

    # The run of 2021 went on with the good zone-wave and published it.
    first_events = run_events(ui, first["runId"])
    assert_no_step_failure(first_events)
    assert any("published release" in (e.get("message") or "") for e in first_events)

    # The run of 2022 refused all it had: its log shows the failed check with the reason,
    # then the later steps skipped; no stack trace, no failed dependencies.
    events = run_events(ui, second["runId"])
    assert_no_step_failure(events)
    [gate] = [
        e["evaluation"]
        for e in events
        if e["__typename"] == "AssetCheckEvaluationEvent"
        and e["evaluation"]["checkName"] == "quality_gate"
    ]
    assert (gate["partition"], gate["success"]) == (f"2022|{bad}", False)
    assert gate["description"] == refusals[2022]
    skipped = {e["stepKey"] for e in events if e["__typename"] == "ExecutionStepSkippedEvent"}
    assert skipped and "raw_delivery" not in skipped
    assert not [e for e in events if e["__typename"] == "MaterializationEvent"]


def test_rejected_rows_are_the_refused_check_s_metadata(ui: Service) -> None:
    """A zone-wave refused for the rows that broke rules: the quality_gate result on its
    partition carries the first rejected rows (file, row, column, value, rule, reason),
    the USCC values masked, and the command that exports all of them."""
    good = ui.zones[0]
    run = drop(ui, {(good, 2022): "rows"})
    assert run["status"] == "SUCCESS", ui.log_tail()
    [refused] = executions(ui, "quality_gate", f"2022|{good}")
    evaluation = refused["evaluation"]
    assert refused["status"] == "FAILED" and not evaluation["success"]
    entries = {m["label"]: m.get("mdStr") or m.get("text") for m in evaluation["metadataEntries"]}
    table = entries["rejected_rows"].splitlines()
    assert table[0] == "| file | row | column | value | rule | reason |"
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in table[2:]]
    rows = [r for r in rows if len(r) == 6]
    assert rows and all(r[0] == "platform_export.csv" for r in rows)
    assert [int(r[1]) for r in rows] == sorted(int(r[1]) for r in rows)
    assert {(r[2], r[3], r[4]) for r in rows} == {
        ("A1_uscc", "(restricted)", "uscc.check_character")
    }
    assert not any(code in entries["rejected_rows"] for code in ui.figures["broken_usccs"])
    assert entries["all_rejected_rows"] == (
        f"smesurvey rejected {good} 2022 --csv rejected-{good}-2022.csv"
    )
    ui.figures["rows_refused"] = f"2022|{good}"


def test_status_lists_each_refused_zone_wave_until_it_passes(ui: Service) -> None:
    good, bad = ui.zones
    started = time.monotonic()
    done = subprocess.run(
        [str(CLI), "--home", str(ui.home.root), "status", "--failed"],
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
    )
    assert time.monotonic() - started < 60
    assert done.returncode == 1, done.stderr
    for wave in (2021, 2022):
        assert f"{bad}/{wave} blocked since" in done.stdout, done.stdout
        assert f"raw_delivery: quality_gate failed ({bad}/{wave})" in done.stdout, done.stdout
    assert f"({good}/2021)" not in done.stdout


@pytest.fixture(scope="module")
def page(ui: Service, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if not chromium_available():
        pytest.skip(MISSING)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as play:
        context = play.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            viewport={"width": 1440, "height": 1200},
            **launch_options(),
        )
        yield context.new_page()
        context.close()


def test_browser_shows_the_refusal_on_its_partition(ui: Service, page: Any, tmp_path: Path) -> None:
    """The check's page lists results with their zone-wave; the refusing run's log shows
    the failed check and its reason, and no stack trace."""
    bad = ui.zones[1]
    run_id = ui.figures.get("refusing_run")
    if run_id is None:
        pytest.skip("needs test_check_results_and_refusals_are_found_by_zone_wave first")
    open_page(page, f"{ui.url}/assets/raw_delivery?view=checks&checkDetail=quality_gate")
    # The check's page shows its newest result, with its zone-wave's partition: the rows
    # refusal when that test ran, whose metadata holds the table of rejected rows.
    newest = ui.figures.get("rows_refused") or f"2022|{bad}"
    page.get_by_text(newest).first.wait_for(timeout=HANG_GUARD_MS)
    if ui.figures.get("rows_refused"):
        page.get_by_text("rejected_rows").first.wait_for(timeout=HANG_GUARD_MS)
    screenshot(page, tmp_path, "quality-gate-by-zone-wave")
    if ui.figures.get("rows_refused"):  # the table itself, opened as the team would
        page.get_by_text("Show Markdown").first.click()
        page.get_by_text("(restricted)").first.wait_for(timeout=HANG_GUARD_MS)
        screenshot(page, tmp_path, "quality-gate-rejected-rows")
        page.keyboard.press("Escape")
    open_page(page, f"{ui.url}/runs/{run_id}")
    page.get_by_text("quality_gate").first.wait_for(timeout=HANG_GUARD_MS)
    page.get_by_text("platform_export.csv").first.wait_for(timeout=HANG_GUARD_MS)
    screenshot(page, tmp_path, "refused-run")
    assert "Stack Trace" not in page.content()
