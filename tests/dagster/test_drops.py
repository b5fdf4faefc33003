"""One run per drop: the run's target, and a drop in which some zone-waves are refused."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import pytest
from click.testing import CliRunner

from orchestration.cli import cli
from orchestration.dagster_runs import home_instance
from orchestration.defs.drops import (
    DELIVERY_TAG,
    DROP_TAG,
    RANGE_END,
    RANGE_START,
    decode_drop,
    drop_run_target,
    encode_drop,
    runs_of_deliveries,
    waves_of_run,
)
from orchestration.defs.partitions import ZoneWave
from orchestration.pipeline import delivery_rows
from orchestration.publish import read_published_tables
from orchestration.release import current_release_id, read_manifest
from orchestration.settings import DBT_PROJECT_DIR, Home


def test_one_zone_wave_is_its_own_partition() -> None:
    zw = ZoneWave(2021, "SH-01")
    assert drop_run_target({zw: "abc"}, ["2021"], ["SH-01"]) == (
        str(zw.key),
        {DELIVERY_TAG: "abc"},
    )
    assert drop_run_target({zw: None}, ["2021"], ["SH-01"]) == (str(zw.key), {})


def test_the_checks_of_a_run_read_the_waves_it_loaded() -> None:
    drop = {ZoneWave(2021, "SH-01"): "a", ZoneWave(2023, "Z02"): None, ZoneWave(2021, "Z02"): None}
    assert waves_of_run({DROP_TAG: encode_drop(drop)}) == [2021, 2023]
    assert waves_of_run({"dagster/partition": str(ZoneWave(2022, "SH-01").key)}) == [2022]
    assert waves_of_run({RANGE_START: "x", RANGE_END: "y"}) is None


def test_a_drop_spans_its_waves_and_zones_in_insertion_order() -> None:
    # dynamic partitions keep the order they were added in, not sorted order
    waves, zones = ["2022", "2020", "2021"], ["B", "A", "C"]
    drop = {ZoneWave(2020, "A"): "a", ZoneWave(2021, "C"): None}
    key, tags = drop_run_target(drop, waves, zones)
    assert key is None
    assert (tags[RANGE_START], tags[RANGE_END]) == ("2020|A", "2021|C")
    assert decode_drop(tags[DROP_TAG]) == drop == decode_drop(encode_drop(drop))


def test_runs_of_deliveries_finds_single_and_drop_runs(instance: dg.DagsterInstance) -> None:
    alone = instance.add_run(dg.DagsterRun(job_name="ingest_zone_wave", tags={DELIVERY_TAG: "x"}))
    drop = encode_drop({ZoneWave(2021, "A"): "x", ZoneWave(2021, "B"): "y"})
    together = instance.add_run(dg.DagsterRun(job_name="ingest_zone_wave", tags={DROP_TAG: drop}))
    found = runs_of_deliveries(instance, ["x", "y", "z"], "ingest_zone_wave")
    assert [r.run_id for r in found["x"]] == [together.run_id, alone.run_id]  # newest first
    assert [r.run_id for r in found["y"]] == [together.run_id]
    assert found["z"] == []


# ------------------------------------------------------------------ a drop with refusals

needs_dbt = pytest.mark.skipif(
    not (DBT_PROJECT_DIR / "dbt_project.yml").is_file(), reason="dbt_project/ not present"
)


def break_file(folder: Path) -> None:
    """A platform export the parser refuses (no questionnaire column)."""
    (folder / "platform_export.csv").write_text("not,a,questionnaire\n1,2,3\n", encoding="utf-8")


def ingest_inbox(home: Home) -> tuple[int, list[str]]:
    result = CliRunner().invoke(cli, ["--home", str(home.root), "ingest", "--inbox"])
    return result.exit_code, result.output.strip().splitlines()


def check_evaluations(
    instance: dg.DagsterInstance, run_id: str, check_name: str = "quality_gate"
) -> dict[str, dg.AssetCheckEvaluation]:
    """The run's evaluations of one raw_delivery check, by partition (`<wave>|<zone>`)."""
    logs = instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)
    evaluations = [e.dagster_event.asset_check_evaluation_data for e in logs]
    found = {e.partition: e for e in evaluations if e.check_name == check_name}
    assert None not in found, "a raw_delivery check result without its partition"
    return found


@pytest.mark.slow
@needs_dbt
def test_a_refused_zone_wave_does_not_stop_the_others(home: Home, drop, zones: list[str]) -> None:
    good, bad = zones
    drop(good, 2021)
    break_file(drop(bad, 2021))
    code, lines = ingest_inbox(home)
    assert code == 1, lines
    by_zone = {line.split(":")[0]: line for line in lines}
    assert "ingested" in by_zone[f"{good}/2021"]
    assert "refused" in by_zone[f"{bad}/2021"] and "platform_export.csv" in by_zone[f"{bad}/2021"]
    assert lines[-1] == "smesurvey: 1 of 2 zone-waves refused"
    with home_instance(home) as instance:
        [run] = instance.get_runs()  # one run: load both, build, publish
        gates = check_evaluations(instance, run.run_id)
        rows = check_evaluations(instance, run.run_id, "rows_accounted_for")
    # one result per zone-wave, on its partition: the good one passed, the bad one failed
    # with its reason, WARN (an ERROR would say the run stopped: the good one went on)
    assert set(gates) == {f"2021|{good}", f"2021|{bad}"}
    assert gates[f"2021|{good}"].passed and rows[f"2021|{good}"].passed
    refusal = gates[f"2021|{bad}"]
    assert not refusal.passed and refusal.severity == dg.AssetCheckSeverity.WARN
    assert "platform_export.csv" in (refusal.description or "")
    assert by_zone[f"{bad}/2021"].startswith(f"{bad}/2021: refused: {refusal.description} (run ")
    assert f"2021|{bad}" not in rows  # nothing loaded, no rows to account for
    statuses = {(r.zone_id, r.status) for r in delivery_rows(home.build_db)}
    assert statuses == {(good, "loaded"), (bad, "blocked")}
    assert len(read_manifest(home.current)["deliveries"]) == 1
    published = current_release_id(home)
    counts = read_published_tables(home.analytics_db)

    # a drop whose every zone-wave is refused changes nothing published
    shutil.rmtree(home.inbox / good)
    break_file(drop(bad, 2022))
    break_file(drop(good, 2022))
    code, lines = ingest_inbox(home)
    assert code == 1, lines
    # bad/2021, refused above, still lies in the inbox unchanged and is named again
    assert lines[-1] == "smesurvey: 3 of 3 zone-waves refused"
    assert not [line for line in lines if "published" in line]
    # one line per zone-wave and the total: Dagster's notes on the skipped steps stay
    # in the CLI log
    assert len(lines) == 4, lines
    with home_instance(home) as instance:
        run = instance.get_runs(limit=1)[0]
        gates = check_evaluations(instance, run.run_id)
        events = instance.all_logs(run.run_id)
    # refused, not broken: failed ERROR checks on their partitions, nothing materialized,
    # the later steps skipped; no step failure (no stack trace), no failed dependencies
    assert set(gates) == {f"2022|{bad}", f"2022|{good}"}
    for zone in (bad, good):
        gate = gates[f"2022|{zone}"]
        assert not gate.passed and gate.severity == dg.AssetCheckSeverity.ERROR
        assert f"{zone}/2022: refused: {gate.description} (run {run.run_id[:8]})" in lines
    types = {e.dagster_event_type for e in events if e.dagster_event is not None}
    assert dg.DagsterEventType.STEP_FAILURE not in types
    assert dg.DagsterEventType.ASSET_MATERIALIZATION not in types
    assert dg.DagsterEventType.STEP_SKIPPED in types
    assert not [e for e in events if "Dependencies for step" in (e.user_message or "")]
    assert current_release_id(home) == published
    assert read_published_tables(home.analytics_db) == counts
