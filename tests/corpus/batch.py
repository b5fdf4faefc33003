"""Every corpus case through `smesurvey ingest --inbox`: two batches into one home.

Each case gets its own zone (the generator's zones have distinct enterprises, so
no case trips the cross-zone USCC rule of another). Batch 1 holds every case that
loads, plus the blocked cases filed under a wave of their own (nothing there to
replace): one refusal among loads must not stop the build. Batch 2 holds the other
blocked cases, each re-delivering a zone-wave batch 1 published when one of its
wave is free: the published files must stay byte-identical.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from orchestration.ingest.admission import register_zones
from orchestration.settings import PROJECT_ROOT, Home
from tests.corpus.build import Case, Delivery, clean_zones, make_delivery
from tests.support.timeouts import HANG_GUARD

CLI = PROJECT_ROOT / ".venv" / "bin" / "smesurvey"
ZONES = 30  # generated zones; the cases need 26 of them


@dataclass(frozen=True)
class Placement:
    case: Case
    zone: str
    batch: int
    delivery: Delivery

    @property
    def zone_wave(self) -> str:
        return f"{self.zone}/{self.case.filed_wave}"


def blocked(case: Case) -> bool:
    return case.expect["outcome"] == "blocked"


def loads(case: Case) -> bool:
    return case.expect["outcome"] in ("quarantined", "accepted")


def first_batch(case: Case) -> bool:
    return not blocked(case) or case.ingest_wave is not None


def place_cases(cases: Sequence[Case], clean_root: Path) -> list[Placement]:
    """A zone and a batch for every case (zones with clean deliveries in every needed wave)."""
    waves = sorted({c.wave for c in cases} | {2022})  # 2022: mixed_instrument_versions' paper
    usable = set.intersection(*(set(clean_zones(clean_root, w, ZONES)) for w in waves))
    fresh = iter(sorted(usable))
    placed: dict[str, tuple[str, int]] = {}
    loaded: dict[int, list[str]] = {}  # filed wave -> zones batch 1 loads
    for case in (c for c in cases if first_batch(c)):
        zone = next(fresh)
        placed[case.id] = (zone, 1)
        if loads(case):
            loaded.setdefault(case.filed_wave, []).append(zone)
    for case in (c for c in cases if not first_batch(c)):
        reusable = loaded.get(case.filed_wave, [])
        placed[case.id] = (reusable.pop(0) if reusable else next(fresh), 2)
    return [
        Placement(c, zone, batch, make_delivery(c, clean_root, zone, ZONES))
        for c in cases
        for zone, batch in [placed[c.id]]
    ]


def drop(home: Home, placements: Sequence[Placement]) -> None:
    """Into the inbox, as the survey team's uploads land there (generated zones registered)."""
    register_zones(home, sorted({p.zone for p in placements}))
    for p in placements:
        p.delivery.write(home.inbox / p.zone / str(p.case.filed_wave))


def run_inbox_cli(home: Home) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("SMESURVEY_HOME", "DAGSTER_HOME")}
    return subprocess.run(
        [str(CLI), "--home", str(home.root), "ingest", "--inbox"],
        capture_output=True,
        text=True,
        env=env,
        cwd=PROJECT_ROOT,
        timeout=HANG_GUARD,
    )
