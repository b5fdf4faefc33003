"""The yearly schedule: re-run the current wave's zones once fieldwork has closed."""

import dagster as dg

from orchestration.defs.drops import drop_run_target, partition_order
from orchestration.defs.jobs import ingest_zone_wave
from orchestration.defs.partitions import WAVE, ZONE, ZoneWave
from orchestration.defs.resources import SurveyHome

# 1 July, 06:00 Beijing time: the survey's reference date; deliveries of the wave
# are in by then. One run reloads each zone's newest delivery, builds and publishes once.
YEARLY_CRON = "0 6 1 7 *"
TIMEZONE = "Asia/Shanghai"


def zones_with_delivery(survey: SurveyHome, wave_id: int, zones: list[str]) -> list[str]:
    """Zones with a landed delivery, or one waiting in the inbox, for this wave."""
    from orchestration.ingest.landing import inbox_folders, landed_deliveries

    home = survey.paths
    present = {la.zone_id for la in landed_deliveries(home, wave_id=wave_id)}
    # Folder names suffice: hashing every waiting file would only cost time here.
    present |= {zone for zone, wave, _ in inbox_folders(home) if wave == wave_id}
    return [z for z in zones if z in present]


@dg.schedule(
    job=ingest_zone_wave,
    cron_schedule=YEARLY_CRON,
    execution_timezone=TIMEZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every 1 July: one run over the zones of the current year's wave.",
)
def yearly_current_wave(
    context: dg.ScheduleEvaluationContext, survey: SurveyHome
) -> list[dg.RunRequest] | dg.SkipReason:
    wave_id = context.scheduled_execution_time.year
    if str(wave_id) not in context.instance.get_dynamic_partitions(WAVE):
        return dg.SkipReason(f"wave {wave_id}: no delivery has arrived yet")
    zones = zones_with_delivery(survey, wave_id, context.instance.get_dynamic_partitions(ZONE))
    if not zones:
        return dg.SkipReason(f"wave {wave_id}: no zone has a delivery")
    # None: each zone-wave's newest delivery (an inbox drop not landed yet wins).
    drop = {ZoneWave(wave_id=wave_id, zone_id=zone): None for zone in zones}
    partition_key, tags = drop_run_target(drop, *partition_order(context.instance))
    return [dg.RunRequest(run_key=f"yearly-{wave_id}", partition_key=partition_key, tags=tags)]
