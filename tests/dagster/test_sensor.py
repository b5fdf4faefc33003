"""The inbox sensor: new deliveries -> ONE run and keys; same bytes -> nothing; corrected ->
new run; a run in flight -> wait, then one run for all that arrived."""

from __future__ import annotations

import shutil

import dagster as dg

from orchestration.defs.drops import (
    DELIVERY_TAG,
    DROP_TAG,
    RANGE_END,
    RANGE_START,
    decode_drop,
    drop_of_run,
)
from orchestration.defs.partitions import WAVE, ZONE, ZoneWave, zone_wave_partitions
from orchestration.defs.sensors import inbox_sensor
from orchestration.ingest.landing import inbox_deliveries, land_delivery
from orchestration.recovery import CRASHED_TAG


def evaluate(instance: dg.DagsterInstance, survey) -> dg.SensorResult | dg.SkipReason:
    context = dg.build_sensor_context(instance=instance, resources={"survey": survey})
    return inbox_sensor(context)


def added_keys(result: dg.SensorResult) -> dict[str, set[str]]:
    keys: dict[str, set[str]] = {}
    for request in result.dynamic_partitions_requests:
        keys.setdefault(request.partitions_def_name, set()).update(request.partition_keys)
    return keys


def test_empty_inbox_skips(instance, survey) -> None:
    assert isinstance(evaluate(instance, survey), dg.SkipReason)


def test_new_delivery_requests_a_run_and_adds_keys(instance, survey, home, drop, zones) -> None:
    zone = zones[0]
    drop(zone, 2021)
    result = evaluate(instance, survey)
    assert isinstance(result, dg.SensorResult)
    [inbox] = inbox_deliveries(home)
    [request] = result.run_requests
    assert request.run_key == inbox.fingerprint
    assert request.tags[DELIVERY_TAG] == inbox.fingerprint
    assert ZoneWave.from_key(request.partition_key) == ZoneWave(2021, zone)
    assert added_keys(result) == {WAVE: {"2021"}, ZONE: {zone}}


def range_keys(instance: dg.DagsterInstance, result: dg.SensorResult, request) -> set[ZoneWave]:
    """The zone-waves a range run covers once the sensor's partition requests are applied."""
    for add in result.dynamic_partitions_requests:
        instance.add_dynamic_partitions(add.partitions_def_name, list(add.partition_keys))
    keys = zone_wave_partitions.get_partition_keys_in_range(
        dg.PartitionKeyRange(request.tags[RANGE_START], request.tags[RANGE_END]),
        dynamic_partitions_store=instance,
    )
    return {ZoneWave.from_key(key) for key in keys}


def test_two_zones_two_waves_are_one_run(instance, survey, home, drop, zones) -> None:
    for zone in zones:
        for wave in (2021, 2022):
            drop(zone, wave)
    result = evaluate(instance, survey)
    [request] = result.run_requests
    fingerprints = {ZoneWave(d.wave_id, d.zone_id): d.fingerprint for d in inbox_deliveries(home)}
    # every delivery pinned in the drop tag, the range holding them all
    assert request.partition_key is None
    assert decode_drop(request.tags[DROP_TAG]) == fingerprints
    assert range_keys(instance, result, request) == set(fingerprints)
    assert drop_of_run(request.tags, []) == fingerprints
    assert added_keys(result) == {WAVE: {"2021", "2022"}, ZONE: set(zones)}


def test_a_drop_not_filling_its_range_pins_only_its_zone_waves(
    instance, survey, home, drop, zones
) -> None:
    first, second = zones
    drop(first, 2021)
    drop(second, 2022)
    result = evaluate(instance, survey)
    [request] = result.run_requests
    drop_tag = decode_drop(request.tags[DROP_TAG])
    assert set(drop_tag) == {ZoneWave(2021, first), ZoneWave(2022, second)}
    # the range is the cross product: the other two zone-waves are in it, not in the drop
    assert range_keys(instance, result, request) == {
        ZoneWave(w, z) for z in zones for w in (2021, 2022)
    }


def test_drops_wait_for_a_run_in_flight(instance, survey, home, drop, zones) -> None:
    instance.add_run(dg.DagsterRun(job_name="ingest_zone_wave", status=dg.DagsterRunStatus.STARTED))
    drop(zones[0], 2021)
    skipped = evaluate(instance, survey)
    assert isinstance(skipped, dg.SkipReason) and "in flight" in (skipped.skip_message or "")


def test_same_bytes_again_request_nothing(instance, survey, home, drop, zones) -> None:
    zone = zones[0]
    folder = drop(zone, 2021)
    first = evaluate(instance, survey)
    assert len(first.run_requests) == 1
    # The run lands the delivery; the team then drops the very same files again.
    land_delivery(sorted(folder.iterdir()), zone, 2021, home)
    drop(zone, 2021)
    assert isinstance(evaluate(instance, survey), dg.SkipReason)


def test_corrected_delivery_gets_a_new_run(instance, survey, home, drop, zones) -> None:
    zone = zones[0]
    folder = drop(zone, 2021)
    first = evaluate(instance, survey)
    land_delivery(sorted(folder.iterdir()), zone, 2021, home)
    drop(zone, 2021, variant="corrected")
    second = evaluate(instance, survey)
    assert isinstance(second, dg.SensorResult)
    [request] = second.run_requests
    assert request.run_key != first.run_requests[0].run_key
    assert ZoneWave.from_key(request.partition_key) == ZoneWave(2021, zone)


def test_refused_folders_get_no_run_no_key_and_one_log_line(
    instance, survey, home, drop, zones
) -> None:
    """A mistyped zone and an impossible wave are refused before hashing: no run request,
    no partition key; the refusals log holds each drop once, however many ticks see it."""
    good = drop(zones[0], 2021)
    for typo in (home.inbox / "XX-99" / "2021", home.inbox / zones[0] / "1899"):
        typo.mkdir(parents=True)
        for f in good.iterdir():
            (typo / f.name).write_bytes(f.read_bytes())
    result = evaluate(instance, survey)
    assert isinstance(result, dg.SensorResult)
    [request] = result.run_requests
    assert ZoneWave.from_key(request.partition_key) == ZoneWave(2021, zones[0])
    assert added_keys(result) == {WAVE: {"2021"}, ZONE: {zones[0]}}
    evaluate(instance, survey)
    logged = home.refusals_log.read_text(encoding="utf-8").splitlines()
    assert len(logged) == 2


def test_a_landed_delivery_left_unjudged_by_a_crash_is_resumed(
    instance, survey, home, drop, zones
) -> None:
    zone = zones[0]
    folder = drop(zone, 2021)
    landing = land_delivery(sorted(folder.iterdir()), zone, 2021, home)
    shutil.rmtree(folder)
    # landed by some earlier means, no run of it crashed: nothing to resume
    assert isinstance(evaluate(instance, survey), dg.SkipReason)
    # its run was killed after landing it (ended as crashed by smesurvey)
    instance.add_run(
        dg.DagsterRun(
            job_name="ingest_zone_wave",
            status=dg.DagsterRunStatus.FAILURE,
            tags={DELIVERY_TAG: landing.delivery_id, CRASHED_TAG: "12345"},
        )
    )
    result = evaluate(instance, survey)
    assert isinstance(result, dg.SensorResult)
    [request] = result.run_requests
    assert request.run_key == f"{landing.delivery_id}:attempt2"
    assert request.tags[DELIVERY_TAG] == landing.delivery_id
    assert ZoneWave.from_key(request.partition_key) == ZoneWave(2021, zone)
    # a run in flight: its half-done work is not a crash
    instance.add_run(dg.DagsterRun(job_name="ingest_zone_wave", status=dg.DagsterRunStatus.STARTED))
    assert isinstance(evaluate(instance, survey), dg.SkipReason)


def test_a_crashed_drop_run_is_resumed_as_one_run(instance, survey, home, drop, zones) -> None:
    """The run of a two-zone-wave drop died after landing both: one run resumes both."""
    landings = []
    for zone in zones:
        folder = drop(zone, 2021)
        landings.append(land_delivery(sorted(folder.iterdir()), zone, 2021, home))
        shutil.rmtree(folder)
    pinned = {ZoneWave(2021, la.zone_id): la.delivery_id for la in landings}
    from orchestration.defs.drops import encode_drop

    instance.add_run(
        dg.DagsterRun(
            job_name="ingest_zone_wave",
            status=dg.DagsterRunStatus.FAILURE,
            tags={DROP_TAG: encode_drop(pinned), CRASHED_TAG: "12345"},
        )
    )
    result = evaluate(instance, survey)
    assert isinstance(result, dg.SensorResult)
    [request] = result.run_requests
    assert decode_drop(request.tags[DROP_TAG]) == pinned
    assert request.run_key and request.run_key.startswith("drop-")
