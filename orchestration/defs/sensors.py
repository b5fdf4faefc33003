"""The inbox sensor: a new or corrected delivery in inbox/<zone>/<wave>/ starts its run."""

import dagster as dg

from orchestration.defs.assets.ingestion import DELIVERY_TAG
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
    description="Requests a run for every inbox delivery whose content hash is not landed yet.",
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
    # The run key is the content hash: a byte-identical re-drop is the same run
    # (Dagster skips run keys it has seen), a corrected file a new one.
    new = [d for d in deliveries if d.fingerprint not in landed]
    if not new:
        resumed = resume_requests(context, home)
        if resumed:
            return dg.SensorResult(run_requests=resumed)
        refused = f" ({len(refusals)} refused, see {home.refusals_log})" if refusals else ""
        return dg.SkipReason(f"no new delivery in {home.inbox}{refused}")
    zone_waves = [ZoneWave(wave_id=d.wave_id, zone_id=d.zone_id) for d in new]
    for delivery in new:
        context.log.info(
            f"new delivery {delivery.zone_id}/{delivery.wave_id}: {delivery.fingerprint}"
        )
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(
                run_key=d.fingerprint,
                partition_key=zw.key,
                tags={DELIVERY_TAG: d.fingerprint},
            )
            for d, zw in zip(new, zone_waves, strict=True)
        ],
        dynamic_partitions_requests=add_partitions_requests(zone_waves),
    )


def resume_requests(context: dg.SensorEvaluationContext, home: Home) -> list[dg.RunRequest]:
    """Runs that finish what a crashed run of this sensor's job left undone.

    A delivery is resumed when the newest run tagged with it crashed (its process
    died: orchestration/recovery.py) and the delivery is still unjudged or loaded
    but not in the current release (orchestration/unfinished.py). A run that failed
    for a reason (a refused file, a failed test) is not retried: that needs a fix.
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
    requests = []
    for delivery_id in sorted(undone & set(landings)):
        runs = instance.get_runs(dg.RunsFilter(tags={DELIVERY_TAG: delivery_id}))
        if not runs or CRASHED_TAG not in runs[0].tags:  # newest first
            continue
        landing = landings[delivery_id]
        zone_wave = ZoneWave(wave_id=landing.wave_id, zone_id=landing.zone_id)
        if len(runs) >= MAX_ATTEMPTS:
            context.log.warning(f"{zone_wave}: not resumed, {len(runs)} runs of it crashed")
            continue
        context.log.info(f"{zone_wave}: resuming delivery {delivery_id} after a crashed run")
        requests.append(
            dg.RunRequest(
                run_key=f"{delivery_id}:attempt{len(runs) + 1}",
                partition_key=zone_wave.key,
                tags={DELIVERY_TAG: delivery_id},
            )
        )
    return requests
