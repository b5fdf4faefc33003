"""Wave x zone partitions.

Both dimensions are dynamic: zones join the survey over the years and a wave
exists once its first delivery arrives, so keys are added when a delivery is
seen (inbox sensor, `smesurvey ingest`, `smesurvey demo`) rather than declared
up front. The multi-partition key reads `<wave>|<zone>` (dimensions sort by name).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import dagster as dg

WAVE = "wave"
ZONE = "zone"

wave_partitions = dg.DynamicPartitionsDefinition(name=WAVE)
zone_partitions = dg.DynamicPartitionsDefinition(name=ZONE)
zone_wave_partitions = dg.MultiPartitionsDefinition({WAVE: wave_partitions, ZONE: zone_partitions})


@dataclass(frozen=True, order=True)
class ZoneWave:
    """One delivery's partition: a zone in a wave."""

    wave_id: int
    zone_id: str

    @classmethod
    def from_key(cls, key: str | dg.MultiPartitionKey) -> ZoneWave:
        dims = (
            key.keys_by_dimension
            if isinstance(key, dg.MultiPartitionKey)
            else zone_wave_partitions.get_partition_key_from_str(key).keys_by_dimension
        )
        return cls(wave_id=int(dims[WAVE]), zone_id=dims[ZONE])

    @property
    def key(self) -> dg.MultiPartitionKey:
        return dg.MultiPartitionKey({WAVE: str(self.wave_id), ZONE: self.zone_id})

    def __str__(self) -> str:
        return f"{self.zone_id}/{self.wave_id}"


def add_partitions_requests(
    zone_waves: Iterable[ZoneWave],
) -> list[dg.AddDynamicPartitionsRequest]:
    """Requests a sensor returns so the keys of these zone-waves exist before their runs."""
    items = sorted(set(zone_waves))
    if not items:
        return []
    waves = sorted({str(zw.wave_id) for zw in items})
    zones = sorted({zw.zone_id for zw in items})
    return [
        wave_partitions.build_add_request(waves),
        zone_partitions.build_add_request(zones),
    ]


def register_partitions(instance: dg.DagsterInstance, zone_waves: Iterable[ZoneWave]) -> None:
    """Add the keys directly (CLI runs, which have no sensor to do it)."""
    items = list(zone_waves)
    new_waves = sorted(
        {str(zw.wave_id) for zw in items} - set(instance.get_dynamic_partitions(WAVE))
    )
    new_zones = sorted({zw.zone_id for zw in items} - set(instance.get_dynamic_partitions(ZONE)))
    if new_waves:
        instance.add_dynamic_partitions(WAVE, new_waves)
    if new_zones:
        instance.add_dynamic_partitions(ZONE, new_zones)
