"""The yearly schedule: one run over the zones of the current wave that have a delivery."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import dagster as dg

from orchestration.defs.drops import DROP_TAG, decode_drop
from orchestration.defs.partitions import ZoneWave, register_partitions
from orchestration.defs.schedules import TIMEZONE, YEARLY_CRON, yearly_current_wave
from orchestration.ingest.landing import land_delivery


def evaluate(instance, survey, year: int):
    when = datetime(year, 7, 1, 6, tzinfo=ZoneInfo(TIMEZONE))
    context = dg.build_schedule_context(
        instance=instance, scheduled_execution_time=when, resources={"survey": survey}
    )
    return yearly_current_wave(context)


def test_cron_is_yearly() -> None:
    assert yearly_current_wave.cron_schedule == YEARLY_CRON
    assert yearly_current_wave.job_name == "ingest_zone_wave"


def test_unknown_wave_skips(instance, survey) -> None:
    assert isinstance(evaluate(instance, survey, 2022), dg.SkipReason)


def test_requests_the_current_waves_zones(instance, survey, home, drop, zones) -> None:
    first, second = zones
    # first: landed for 2022; second: waiting in the inbox for 2022; both have 2021.
    folder = drop(first, 2022)
    land_delivery(sorted(folder.iterdir()), first, 2022, home)
    drop(second, 2022)
    register_partitions(
        instance, [ZoneWave(w, z) for z in (first, second, "NO-DELIVERY") for w in (2021, 2022)]
    )
    [request] = evaluate(instance, survey, 2022)
    # one run; each zone loads its newest delivery (None), the zone without one is left out
    assert decode_drop(request.tags[DROP_TAG]) == {
        ZoneWave(2022, first): None,
        ZoneWave(2022, second): None,
    }
    assert request.run_key == "yearly-2022"
    assert isinstance(evaluate(instance, survey, 2021), dg.SkipReason)  # no 2021 delivery here
