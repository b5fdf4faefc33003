"""`smesurvey ui` as a running service: real `dagster dev`, GraphQL, daemon, browser.

One server for the module (start-up costs about a minute): the tests run in file
order on one home, which holds 2 zones x 2 waves of small deliveries. The second
zone's two are in the landing archive before the server starts; the first zone's
two are dropped into the inbox together while it runs, so the sensor has to start
one run for both on its own (a partition range with the drop in a tag). Then the
whole asset graph is backfilled over every partition through GraphQL.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pytest

from dashboards.browser import MISSING, chromium_available, launch_options
from orchestration.dagster_runs import home_instance
from orchestration.defs.drops import DROP_TAG, decode_drop
from orchestration.defs.partitions import ZoneWave, register_partitions
from orchestration.defs.sensors import inbox_sensor
from orchestration.demo.generator import GeneratorConfig, write_deliveries
from orchestration.ingest.landing import land_delivery
from orchestration.settings import DBT_PROJECT_DIR, Home
from tests.support.timeouts import HANG_GUARD, HANG_GUARD_MS

pytestmark = pytest.mark.slow

WAVES = (2021, 2022)
FIRMS = 12
START_TIMEOUT = RUN_TIMEOUT = BACKFILL_TIMEOUT = HANG_GUARD  # hang guards, not budgets
LOCK_ERRORS = ("Could not set lock on file", "IO Error")
FINISHED = {"SUCCESS", "FAILURE", "CANCELED"}
NOTES_SHOTS = Path("/work/notes/screenshots")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(probe: Callable[[], Any], timeout: float, what: str, every: float = 3.0) -> Any:
    """Poll `probe` until it returns something truthy; fail naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(every)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")


@dataclass
class Service:
    home: Home
    port: int
    docs_port: int
    process: subprocess.Popen
    log: Path
    zones: list[str]
    figures: dict[str, float] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def gql(self, query: str, **variables: Any) -> dict[str, Any]:
        body = json.dumps({"query": query, "variables": variables}).encode()
        request = urllib.request.Request(
            f"{self.url}/graphql", data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=HANG_GUARD) as response:
            answer = json.load(response)
        assert "errors" not in answer, answer["errors"]
        return answer["data"]

    def answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/server_info", timeout=5) as response:
                return response.status == 200
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            assert self.process.poll() is None, f"smesurvey ui exited:\n{self.log_tail()}"
            return False

    def log_tail(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-3000:]

    def runs(self, **run_filter: Any) -> list[dict[str, Any]]:
        data = self.gql(RUNS_QUERY, filter=run_filter)
        return data["runsOrError"]["results"]

    def repository(self) -> dict[str, str]:
        [node] = self.gql(REPOSITORIES_QUERY)["repositoriesOrError"]["nodes"]
        return {"repositoryName": node["name"], "repositoryLocationName": node["location"]["name"]}


REPOSITORIES_QUERY = (
    "{ repositoriesOrError { ... on RepositoryConnection { nodes { name location { name } } } } }"
)
ASSETS_QUERY = """
{ assetNodes {
    assetKey { path } groupName isPartitioned description
    partitionDefinition { type dimensionTypes { name type dynamicPartitionsDefinitionName } }
    assetChecksOrError { __typename ... on AssetChecks { checks { name blocking } } }
} }"""
INSTIGATORS_QUERY = """
query($repo: RepositorySelector!) {
  sensorsOrError(repositorySelector: $repo) {
    __typename ... on Sensors { results { name minIntervalSeconds sensorState { status }
      targets { pipelineName } } } }
  schedulesOrError(repositorySelector: $repo) {
    __typename ... on Schedules { results { name cronSchedule executionTimezone
      scheduleState { status } } } }
}"""
RUNS_QUERY = """
query($filter: RunsFilter) { runsOrError(filter: $filter) { __typename ... on Runs { results {
  runId jobName status creationTime startTime endTime tags { key value }
} } } }"""
LAUNCH_BACKFILL = """
mutation($params: LaunchBackfillParams!) { launchPartitionBackfill(backfillParams: $params) {
  __typename ... on LaunchBackfillSuccess { backfillId }
  ... on PythonError { message } ... on PartitionKeysNotFoundError { message }
} }"""
BACKFILL_QUERY = """
query($id: String!) { partitionBackfillOrError(backfillId: $id) { __typename
  ... on PartitionBackfill { status numPartitions runs(limit: 200) { runId status } } } }"""
RUN_LOGS = """
query($id: ID!) { logsForRun(runId: $id) { __typename ... on EventConnection { events {
  __typename ... on MessageEvent { message }
  ... on ExecutionStepFailureEvent { error { message } } } } } }"""


def tags(run: dict[str, Any]) -> dict[str, str]:
    return {tag["key"]: tag["value"] for tag in run["tags"]}


def stage_deliveries(root: Path) -> tuple[Path, list[str]]:
    """Small generated deliveries for every zone-wave of the module's grid."""
    generated = root / "generated"
    write_deliveries(GeneratorConfig(zones=2, waves=WAVES, firms_per_zone=FIRMS), generated)
    return generated, sorted(p.name for p in generated.iterdir())


def prepare_home(home: Home, generated: Path, zones: list[str]) -> None:
    """Archive every zone-wave but the first zone's, as earlier ingestions would."""
    landed = [ZoneWave(w, z) for z in zones for w in WAVES if z != zones[0]]
    for zw in landed:
        folder = generated / zw.zone_id / str(zw.wave_id)
        land_delivery(sorted(folder.iterdir()), zw.zone_id, zw.wave_id, home)
    with home_instance(home) as instance:
        register_partitions(instance, landed)


def stop(process: subprocess.Popen) -> None:
    """SIGTERM to `dagster dev` (it stops its children), the whole group if it lingers."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=60)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    root = tmp_path_factory.mktemp("service")
    home = Home(root / "home").ensure()
    generated, zones = stage_deliveries(root)
    prepare_home(home, generated, zones)
    port, docs_port = free_port(), free_port()
    log = root / "ui.log"
    # The installed console script, as the survey team starts it.
    command = [str(Path(sys.executable).with_name("smesurvey")), "--home", str(home.root), "ui"]
    with log.open("w", encoding="utf-8") as out:
        process = subprocess.Popen(
            [*command, "--port", str(port), "--docs-port", str(docs_port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    svc = Service(home=home, port=port, docs_port=docs_port, process=process, log=log, zones=zones)
    (root / "generated-path").write_text(str(generated), encoding="utf-8")
    try:
        started = time.monotonic()
        wait_for(svc.answers, START_TIMEOUT, "the webserver's /server_info")
        svc.figures["webserver_start_s"] = round(time.monotonic() - started, 1)
        yield svc
    finally:
        stop(process)
        print(f"\nservice figures: {json.dumps(svc.figures)}")


def test_assets_partitions_and_checks_are_served(service: Service) -> None:
    nodes = {tuple(n["assetKey"]["path"]): n for n in service.gql(ASSETS_QUERY)["assetNodes"]}
    checks = {
        key: {c["name"]: c["blocking"] for c in n["assetChecksOrError"].get("checks", [])}
        for key, n in nodes.items()
    }
    raw = nodes[("raw_delivery",)]
    assert raw["isPartitioned"] and raw["partitionDefinition"]["type"] == "MULTIPARTITIONED"
    dims = {d["name"]: d for d in raw["partitionDefinition"]["dimensionTypes"]}
    assert {name: d["type"] for name, d in dims.items()} == {"wave": "DYNAMIC", "zone": "DYNAMIC"}
    assert checks[("raw_delivery",)] == {"quality_gate": True, "rows_accounted_for": True}
    # The UI renders descriptions as Markdown: a bare <zone> would vanish as a tag.
    for key, node in nodes.items():
        text = re.sub(r"```.*?```", "", node["description"] or "", flags=re.S)  # code blocks
        bare = re.findall(r"<\w+>", re.sub(r"`[^`]*`", "", text))
        assert not bare, (key, bare)
    assert "superseded" not in service.log_tail()  # `smesurvey ui` prints no dagster notice
    # The site is part of the analytics_db release, no asset of its own.
    assert ("analytics_db",) in nodes and ("dashboards_site",) not in nodes
    assert not nodes[("analytics_db",)]["isPartitioned"]

    # Every dbt model is an asset, and every dbt test on a model is a check on it.
    manifest = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text("utf-8"))
    models = {
        n["unique_id"]: n["name"]
        for n in manifest["nodes"].values()
        if n["resource_type"] == "model"
    }
    by_name = {key[-1]: key for key in nodes}
    assert set(models.values()) <= set(by_name), set(models.values()) - set(by_name)
    for model_name in models.values():
        assert nodes[by_name[model_name]]["isPartitioned"]
    tests_on_models = [
        (models[n["attached_node"]], n["name"])
        for n in manifest["nodes"].values()
        if n["resource_type"] == "test" and n.get("attached_node") in models
    ]
    assert tests_on_models
    missing = [(m, t) for m, t in tests_on_models if t not in checks[by_name[m]]]
    assert not missing, missing[:5]


def test_sensor_and_schedule_are_served_and_running(service: Service) -> None:
    data = service.gql(INSTIGATORS_QUERY, repo=service.repository())
    [sensor] = data["sensorsOrError"]["results"]
    assert sensor["name"] == "inbox_sensor"
    assert sensor["sensorState"]["status"] == "RUNNING"
    assert sensor["minIntervalSeconds"] == inbox_sensor.minimum_interval_seconds <= 30
    assert [t["pipelineName"] for t in sensor["targets"]] == ["ingest_zone_wave"]
    [schedule] = data["schedulesOrError"]["results"]
    assert schedule["name"] == "yearly_current_wave"
    assert schedule["scheduleState"]["status"] == "RUNNING"


def test_dropped_deliveries_are_ingested_by_the_sensor_in_one_run(service: Service) -> None:
    zone = service.zones[0]
    generated = Path((service.log.parent / "generated-path").read_text(encoding="utf-8"))
    # Copy beside the inbox, then rename into place: the sensor never sees half a drop.
    staging = service.home.inbox / f".{zone}"
    for wave in WAVES:
        shutil.copytree(generated / zone / str(wave), staging / str(wave))
    dropped = time.time()
    staging.rename(service.home.inbox / zone)

    sensor_runs = {"key": "dagster/sensor_name", "value": "inbox_sensor"}

    def finished_run() -> dict[str, Any] | None:
        runs = service.runs(tags=[sensor_runs])
        if runs and "picked_up_s" not in service.figures:
            service.figures["picked_up_s"] = round(runs[0]["creationTime"] - dropped, 1)
        return next((r for r in runs if r["status"] in FINISHED), None)

    run = wait_for(finished_run, RUN_TIMEOUT, "the sensor's run of the dropped deliveries")
    service.figures["drop_to_published_s"] = round(run["endTime"] - dropped, 1)
    assert run["status"] == "SUCCESS", service.log_tail()
    assert run["jobName"] == "ingest_zone_wave"
    assert len(service.runs(tags=[sensor_runs])) == 1  # both zone-waves in one run
    assert set(decode_drop(tags(run)[DROP_TAG])) == {ZoneWave(w, zone) for w in WAVES}
    # the run log holds the progress lines: one per zone-wave and stage
    log = run_log_text(service, run["runId"])
    assert all(f"{zone}/{w} loaded" in log for w in WAVES), log[-2000:]
    assert "published release" in log

    with duckdb.connect(str(service.home.analytics_db), read_only=True) as con:
        published = con.execute(
            "select distinct wave_id from marts.fct_indicator_estimates where zone_id = ?",
            [zone],
        ).fetchall()
    assert {w for (w,) in published} == set(WAVES)
    assert (service.home.dashboards / "index.html").is_file()


CHECK_METADATA = """
query($key: AssetKeyInput!, $check: String!) {
  assetCheckExecutions(assetKey: $key, checkName: $check, limit: 1) {
    evaluation { metadataEntries { label __typename
      ... on UrlMetadataEntry { url } ... on PathMetadataEntry { path } } } } }"""


def test_data_docs_open_from_the_ui_through_the_docs_server(service: Service) -> None:
    """The gate's check links its Data Docs page as a URL of the server beside the UI."""
    [execution] = service.gql(CHECK_METADATA, key={"path": ["raw_delivery"]}, check="quality_gate")[
        "assetCheckExecutions"
    ]
    entries = {e["label"]: e for e in execution["evaluation"]["metadataEntries"]}
    assert "data_docs_url" in entries, sorted(entries)
    url, path = entries["data_docs_url"]["url"], Path(entries["data_docs"]["path"])
    assert url.startswith(f"http://127.0.0.1:{service.docs_port}/validations/")
    with urllib.request.urlopen(url, timeout=HANG_GUARD) as response:
        assert response.read() == path.read_bytes()
    docs_index = f"http://127.0.0.1:{service.docs_port}/"
    with urllib.request.urlopen(docs_index, timeout=HANG_GUARD) as index:
        assert "static/vendor/bootstrap.min.css" in index.read().decode("utf-8")


@pytest.fixture(scope="module")
def page(service: Service, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if not chromium_available():
        pytest.skip(MISSING)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as play:
        context = play.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            viewport={"width": 1440, "height": 3000},
            **launch_options(),
        )
        yield context.new_page()
        context.close()


def open_page(page: Any, url: str) -> None:
    page.goto(url, wait_until="domcontentloaded")
    # The UI greets a new instance with a newsletter dialog that covers the page.
    skip = page.get_by_role("button", name="Skip")
    with contextlib.suppress(Exception):
        skip.wait_for(timeout=5_000)
        skip.click()


def screenshot(page: Any, folder: Path, name: str) -> None:
    page.wait_for_timeout(2_000)  # let the status cells finish loading
    shot = folder / f"dagster-{name}.png"
    page.screenshot(path=str(shot), full_page=True)
    NOTES_SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(shot, NOTES_SHOTS / shot.name)


def test_browser_shows_catalog_partitions_and_checks(
    service: Service, page: Any, tmp_path: Path
) -> None:
    # The catalog table renders only the rows in view: the tall viewport holds them all.
    open_page(page, f"{service.url}/assets")
    for name in ("raw_delivery", "analytics_db"):
        page.get_by_text(name, exact=True).first.wait_for(timeout=HANG_GUARD_MS)
    assert page.get_by_text("fct_indicator_estimates").count() > 0
    screenshot(page, tmp_path, "asset-catalog")
    page.set_viewport_size({"width": 1440, "height": 900})

    open_page(page, f"{service.url}/assets/raw_delivery?view=partitions")
    for key in [*service.zones, *map(str, WAVES)]:
        page.get_by_text(key, exact=True).first.wait_for(timeout=HANG_GUARD_MS)
    screenshot(page, tmp_path, "raw-delivery-partitions")

    open_page(page, f"{service.url}/assets/raw_delivery?view=checks")
    for check in ("quality_gate", "rows_accounted_for"):
        page.get_by_text(check, exact=True).first.wait_for(timeout=HANG_GUARD_MS)
    screenshot(page, tmp_path, "raw-delivery-checks")


def run_log_text(service: Service, run_id: str) -> str:
    events = service.gql(RUN_LOGS, id=run_id)["logsForRun"]["events"]
    parts = [e.get("message") or "" for e in events]
    parts += [(e.get("error") or {}).get("message") or "" for e in events]
    return "\n".join(parts)


def compute_log_text(home: Home) -> str:
    storage = home.dagster_home / "storage"
    files = [p for p in storage.rglob("*") if p.is_file() and p.suffix in {".out", ".err"}]
    return "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in files)


def test_backfill_of_every_partition_and_asset_succeeds_without_lock_errors(
    service: Service,
) -> None:
    keys = [{"path": n["assetKey"]["path"]} for n in service.gql(ASSETS_QUERY)["assetNodes"]]
    before = {r["runId"] for r in service.runs()}
    started = time.monotonic()
    launched = service.gql(
        LAUNCH_BACKFILL,
        params={"assetSelection": keys, "allPartitions": True, "title": "service test"},
    )["launchPartitionBackfill"]
    assert launched["__typename"] == "LaunchBackfillSuccess", launched
    backfill_id = launched["backfillId"]

    def done() -> dict[str, Any] | None:
        backfill = service.gql(BACKFILL_QUERY, id=backfill_id)["partitionBackfillOrError"]
        return backfill if backfill["status"] not in {"REQUESTED", "CANCELING", "FAILING"} else None

    backfill = wait_for(done, BACKFILL_TIMEOUT, f"backfill {backfill_id}", every=5)
    service.figures["backfill_s"] = round(time.monotonic() - started, 1)
    runs = [r for r in service.runs() if r["runId"] not in before]
    service.figures["backfill_runs"] = len(runs)
    assert backfill["numPartitions"] == len(WAVES) * len(service.zones)
    assert backfill["status"] in {"COMPLETED", "COMPLETED_SUCCESS"}, (backfill, service.log_tail())
    assert runs and all(tags(r).get("dagster/backfill") == backfill_id for r in runs)
    assert {r["status"] for r in runs} == {"SUCCESS"}, [(r["runId"], r["status"]) for r in runs]

    logs = "\n".join(run_log_text(service, r["runId"]) for r in service.runs())
    logs += compute_log_text(service.home)
    assert not [e for e in LOCK_ERRORS if e in logs]

    with duckdb.connect(str(service.home.analytics_db), read_only=True) as con:
        published = set(
            con.execute(
                "select distinct zone_id, wave_id from marts.fct_indicator_estimates"
            ).fetchall()
        )
    # Besides the zones, the marts hold pooled rows (all zones of a wave).
    assert {(z, w) for z, w in published if z in service.zones} == {
        (z, w) for z in service.zones for w in WAVES
    }
