"""Child-side ingestion of zone-waves: landing+parsing, quality gate, load, timed apart.

The calls are those of `orchestration.pipeline.ingest_zone_waves` (a drop of several
zone-waves), in its order: land and parse each zone-wave, judge them together
(`judge_deliveries`: one bulk pass, one GX validation per run), load each; only the
timing between them is added.
"""

from __future__ import annotations

import cProfile
import pstats
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from orchestration.bench.meter import Meter
from orchestration.settings import Home

STAGES = ("land_parse", "gate", "load")


class IngestBenchError(RuntimeError):
    """A zone-wave of the benchmark did not load; one line naming it."""


def _import_pipeline() -> None:
    # Imports happen before the clock starts: they are the child's fixed overhead.
    import orchestration.ingest.load
    import orchestration.ingest.parse
    import orchestration.pipeline
    import orchestration.quality.gate
    import orchestration.quality.record  # noqa: F401  (Great Expectations, as the gate needs it)


@contextmanager
def _profiled(profiles: dict[str, pstats.Stats] | None, stage: str):
    if profiles is None:
        yield
        return
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        yield
    finally:
        profiler.disable()
        stats = pstats.Stats(profiler)
        if stage in profiles:
            profiles[stage].add(stats)
        else:
            profiles[stage] = stats


def top_functions(stats: pstats.Stats, n: int = 5) -> list[dict[str, Any]]:
    """The n functions with the largest own time (tottime), with their cumulative time."""
    rows = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)[:n]
    return [
        {
            "function": f"{Path(file).name}:{line}({name})",
            "tottime": round(tt, 2),
            "cumtime": round(ct, 2),
        }
        for (file, line, name), (_, _, tt, ct, _) in rows
    ]


def ingest(spec: dict[str, Any]) -> dict[str, Any]:
    """Ingest spec["zone_waves"] into the home at spec["home"]; spec["profile"] adds cProfile."""
    _import_pipeline()
    from orchestration.ingest.admission import register_zones
    from orchestration.ingest.parse import parse_delivery
    from orchestration.pipeline import judge_deliveries, load_judged, select_landing

    home = Home(Path(spec["home"])).ensure()
    # The generator's zones beyond the reference ones (Z08-01...) must be known to be admitted.
    register_zones(home, sorted({zone_id for zone_id, _ in spec["zone_waves"]}))
    meters = {stage: Meter() for stage in STAGES}
    profiles: dict[str, pstats.Stats] | None = {} if spec.get("profile") else None
    rows_read = rows_rejected = 0
    parsed = []
    for zone_id, wave_id in spec["zone_waves"]:
        with meters["land_parse"].measure(), _profiled(profiles, "land_parse"):
            landing = select_landing(home, zone_id, wave_id)
            parsed.append((parse_delivery(landing), zone_id, wave_id))
    with meters["gate"].measure(), _profiled(profiles, "gate"):
        gates = judge_deliveries(home, parsed)
    for (delivery, zone_id, wave_id), gate in zip(parsed, gates, strict=True):
        if not gate.passed:
            raise IngestBenchError(f"{zone_id}/{wave_id}: the quality gate refused: {gate.reason}")
        with meters["load"].measure(), _profiled(profiles, "load"):
            result = load_judged(home, delivery, gate)
        rows_read += result.rows_read
        rows_rejected += result.rows_rejected
    del parsed, gates
    out: dict[str, Any] = {
        "stages": {stage: m.as_dict() for stage, m in meters.items()},
        "zone_waves": len(spec["zone_waves"]),
        "rows_read": rows_read,
        "rows_rejected": rows_rejected,
    }
    if profiles is not None:
        out["profiles"] = {stage: top_functions(s) for stage, s in profiles.items()}
    return out
