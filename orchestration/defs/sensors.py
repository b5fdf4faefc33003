"""The inbox sensor: new or corrected deliveries in inbox/<zone>/<wave>/ start ONE run.

Every delivery a tick finds goes in one run (one dbt build, one publish for the drop),
over its zone-wave or a partition range holding the drop (orchestration/defs/drops.py).
"""

import hashlib
from collections.abc import Mapping

import dagster as dg

from orchestration.defs.drops import drop_run_target, partition_order, runs_of_deliveries
from orchestration.defs.jobs import ingest_zone_wave
from orchestration.defs.partitions import ZoneWave, add_partitions_requests
from orchestration.defs.resources import SurveyHome
from orchestration.settings import Home

MAX_ATTEMPTS = 3  # runs of one delivery, the first included
IN_FLIGHT = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]


@dg.sensor(
    job=ingest_zone_wave,
    # Short, so a drop starts its run within about half a minute; a tick only lists the
    # inbox and hashes its files (megabytes), which is cheap next to a run.
    minimum_interval_seconds=15,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Requests one run for the inbox deliveries whose content hash is not landed "
    "yet (all that a tick finds: one dbt build and one publish for them).",
)
def inbox_sensor(
    context: dg.SensorEvaluationContext, survey: SurveyHome
) -> dg.SensorResult | dg.SkipReason:
    from orchestration.ingest.landing import inbox_drops, landed_deliveries
    from orchestration.recovery import recover

    # Each tick also ends runs whose process died, so their pool slots never block the
    # runs this sensor starts (the daemon's run monitoring cannot see a dead worker).
    for ended in recover(context.instance).ended:
        context.log.warning(f"run {ended.run_id}: {ended.reason}")
    home = survey.paths
    landed = {la.delivery_id for la in landed_deliveries(home)}
    # Admission first: a refused folder is not hashed, gets no partition and no run.
    deliveries, refusals = inbox_drops(home)
    for refusal in refusals:
        # Logged (here and in refusals/refusals.jsonl) once per drop, not every tick.
        if refusal.newly_logged:
            context.log.warning(f"refused {refusal}: {refusal.reason}")
    # The run key is the content hash (of the drop's hashes): a byte-identical re-drop is
    # the same run (Dagster skips run keys it has seen), a corrected file a new one.
    new = [d for d in deliveries if d.fingerprint not in landed]
    if not new:
        resumed = resume_requests(context, home)
        if resumed:
            return dg.SensorResult(run_requests=resumed)
        refused = f" ({len(refusals)} refused, see {home.refusals_log})" if refusals else ""
        return dg.SkipReason(f"no new delivery in {home.inbox}{refused}")
    if context.instance.get_runs_count(dg.RunsFilter(statuses=IN_FLIGHT)):
        # They would only queue behind it for the build DB: once it ends, the next tick
        # puts them, and whatever else arrived meanwhile, in one run.
        return dg.SkipReason(f"{len(new)} new delivery(ies) wait for the run in flight")
    for delivery in new:
        context.log.info(
            f"new delivery {delivery.zone_id}/{delivery.wave_id}: {delivery.fingerprint}"
        )
    drop = {ZoneWave(wave_id=d.wave_id, zone_id=d.zone_id): d.fingerprint for d in new}
    return dg.SensorResult(
        run_requests=[drop_request(context.instance, drop, run_key=drop_key(drop))],
        dynamic_partitions_requests=add_partitions_requests(drop),
    )


def drop_key(drop: Mapping[ZoneWave, str | None], suffix: str = "") -> str:
    """The run key of a drop: its content hash (one delivery) or a hash of its hashes, so a
    drop seen again by a later tick before its run landed it is not run twice."""
    items = sorted(f"{drop[zw]}{suffix}" for zw in drop)
    if len(items) == 1:
        return items[0]
    return "drop-" + hashlib.sha256("\n".join(items).encode()).hexdigest()


def drop_request(
    instance: dg.DagsterInstance, drop: Mapping[ZoneWave, str | None], run_key: str
) -> dg.RunRequest:
    """ONE run for the drop: its partition, or a range holding it with the drop in a tag."""
    partition_key, tags = drop_run_target(drop, *partition_order(instance, drop))
    return dg.RunRequest(run_key=run_key, partition_key=partition_key, tags=tags)


def resume_requests(context: dg.SensorEvaluationContext, home: Home) -> list[dg.RunRequest]:
    """Runs that finish what a crashed run of this sensor's job left undone.

    A delivery is resumed when the newest run tagged with it crashed (its process
    died: orchestration/recovery.py) and the delivery is still unjudged or loaded
    but not in the current release (orchestration/unfinished.py). A run that ended,
    having refused a file or failed for a reason (a failed test), is not retried: that
    needs a fix.
    Only while no run is queued or in flight, and at most MAX_ATTEMPTS runs per
    delivery, so a delivery that crashes its run every time (out of memory, say) is
    not retried for ever.
    """
    from orchestration.ingest.landing import landed_deliveries
    from orchestration.recovery import CRASHED_TAG
    from orchestration.unfinished import unfinished_work

    instance = context.instance
    if instance.get_runs_count(dg.RunsFilter(statuses=IN_FLIGHT)):
        return []
    work = unfinished_work(home)
    undone = {la.delivery_id for la in work.unjudged} | set(work.unpublished)
    landings = {la.delivery_id: la for la in landed_deliveries(home)}
    runs = runs_of_deliveries(instance, undone & set(landings), ingest_zone_wave.name)
    drop: dict[ZoneWave, str | None] = {}
    attempts = 0
    for delivery_id in sorted(runs):
        delivery_runs = runs[delivery_id]
        if not delivery_runs or CRASHED_TAG not in delivery_runs[0].tags:  # newest first
            continue
        landing = landings[delivery_id]
        zone_wave = ZoneWave(wave_id=landing.wave_id, zone_id=landing.zone_id)
        if len(delivery_runs) >= MAX_ATTEMPTS:
            context.log.warning(
                f"{zone_wave}: not resumed, {len(delivery_runs)} runs of it crashed"
            )
            continue
        context.log.info(f"{zone_wave}: resuming delivery {delivery_id} after a crashed run")
        drop[zone_wave] = delivery_id
        attempts = max(attempts, len(delivery_runs) + 1)
    if not drop:
        return []
    return [drop_request(instance, drop, run_key=drop_key(drop, suffix=f":attempt{attempts}"))]
