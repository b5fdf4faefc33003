"""One run per drop: the zone-waves delivered together, and the delivery each one loads.

A Dagster run targets one partition or one partition key range, and a range of a
multi-partitioned asset is the cross product of each dimension's sub-range
(waves from ... to ..., zones from ... to ..., in the dynamic partitions' insertion
order); Dagster 1.13 has no run over an arbitrary set of keys (a backfill of such
a set is cut into several runs). So a drop of several zone-waves is one run over
the smallest range that holds them all, tagged with DROP_TAG: every zone-wave of
the drop and the delivery it must load. `raw_delivery` loads exactly those; the
range's other zone-waves are left as they are (listed in its metadata). One
zone-wave is a run of its own partition with DELIVERY_TAG, as before.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence

import dagster as dg

from orchestration.defs.partitions import WAVE, ZONE, ZoneWave

# The delivery (content hash) a one-zone-wave run loads: set by the sensor and the CLI.
DELIVERY_TAG = "smesurvey/delivery_id"
# A run of several zone-waves: JSON {"<wave>|<zone>": delivery id, or null for the newest}.
DROP_TAG = "smesurvey/drop"
RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"
# Runs of the drop job looked through for a delivery named in a drop tag (resume).
RUNS_SCANNED = 500

Drop = Mapping[ZoneWave, str | None]


def encode_drop(drop: Drop) -> str:
    return json.dumps({str(zw.key): drop[zw] for zw in sorted(drop)}, separators=(",", ":"))


def decode_drop(text: str) -> dict[ZoneWave, str | None]:
    return {ZoneWave.from_key(key): delivery for key, delivery in json.loads(text).items()}


def drop_of_run(
    tags: Mapping[str, str], partition_keys: Sequence[str]
) -> dict[ZoneWave, str | None]:
    """What a run must load: its drop tag, else its partitions (the delivery tag pins a
    one-partition run; a backfill loads every partition's newest delivery)."""
    if DROP_TAG in tags:
        return decode_drop(tags[DROP_TAG])
    zone_waves = sorted(ZoneWave.from_key(key) for key in partition_keys)
    if len(zone_waves) == 1:
        return {zone_waves[0]: tags.get(DELIVERY_TAG)}
    return dict.fromkeys(zone_waves)


def waves_of_run(tags: Mapping[str, str]) -> list[int] | None:
    """The waves whose rows a run's downstream checks validate: those of its drop, or of
    its one partition; None (every wave) for a run over a range without a drop
    (`rebuild_all`, a backfill), which may rebuild anything."""
    if DROP_TAG in tags:
        return sorted({zw.wave_id for zw in decode_drop(tags[DROP_TAG])})
    if tags.get("dagster/partition"):
        return [ZoneWave.from_key(tags["dagster/partition"]).wave_id]
    return None


def partition_order(
    instance: dg.DagsterInstance, adding: Iterable[ZoneWave] = ()
) -> tuple[list[str], list[str]]:
    """Wave and zone keys in Dagster's order (insertion), with `adding`'s new keys appended
    sorted, as `register_partitions` and `add_partitions_requests` add them."""
    adding = list(adding)
    waves = list(instance.get_dynamic_partitions(WAVE))
    zones = list(instance.get_dynamic_partitions(ZONE))
    waves += sorted({str(zw.wave_id) for zw in adding} - set(waves))
    zones += sorted({zw.zone_id for zw in adding} - set(zones))
    return waves, zones


def drop_run_target(
    drop: Drop, waves: Sequence[str], zones: Sequence[str]
) -> tuple[str | None, dict[str, str]]:
    """(partition key, tags) of the one run that loads `drop`: its partition for one
    zone-wave, else the range spanning the drop's waves and zones plus the drop tag."""
    items = sorted(drop)
    if not items:
        raise ValueError("a drop needs at least one zone-wave")
    if len(items) == 1:
        delivery = drop[items[0]]
        return str(items[0].key), ({DELIVERY_TAG: delivery} if delivery else {})
    wave_keys = sorted({str(zw.wave_id) for zw in items}, key=waves.index)
    zone_keys = sorted({zw.zone_id for zw in items}, key=zones.index)
    start = dg.MultiPartitionKey({WAVE: wave_keys[0], ZONE: zone_keys[0]})
    end = dg.MultiPartitionKey({WAVE: wave_keys[-1], ZONE: zone_keys[-1]})
    return None, {RANGE_START: str(start), RANGE_END: str(end), DROP_TAG: encode_drop(drop)}


def runs_of_deliveries(
    instance: dg.DagsterInstance, delivery_ids: Iterable[str], job_name: str
) -> dict[str, list[dg.DagsterRun]]:
    """The runs that loaded each delivery, newest first: tagged with it alone, or naming it
    in their drop tag (among the job's newest RUNS_SCANNED runs)."""
    wanted = set(delivery_ids)
    found: dict[str, dict[str, dg.RunRecord]] = {d: {} for d in wanted}
    for delivery_id in wanted:
        for record in instance.get_run_records(dg.RunsFilter(tags={DELIVERY_TAG: delivery_id})):
            found[delivery_id][record.dagster_run.run_id] = record
    if wanted:
        for record in instance.get_run_records(
            dg.RunsFilter(job_name=job_name), limit=RUNS_SCANNED
        ):
            tag = record.dagster_run.tags.get(DROP_TAG)
            if not tag:
                continue
            for delivery_id in wanted & {d for d in decode_drop(tag).values() if d}:
                found[delivery_id][record.dagster_run.run_id] = record
    return {
        delivery_id: [
            r.dagster_run
            for r in sorted(records.values(), key=lambda r: r.create_timestamp, reverse=True)
        ]
        for delivery_id, records in found.items()
    }
