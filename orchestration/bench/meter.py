"""Wall time and peak RSS of the stages run inside one child process."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from orchestration.bench.memory import peak_mb, reset_peak


@dataclass
class Meter:
    """Accumulates one stage over several calls (e.g. the zone-waves of a layout)."""

    seconds: float = 0.0
    peak_mb: float = 0.0
    calls: int = 0

    @contextmanager
    def measure(self) -> Iterator[None]:
        # The peak then includes what earlier stages still hold, as in the real run.
        reset_peak()
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds += time.perf_counter() - started
            self.peak_mb = max(self.peak_mb, peak_mb())
            self.calls += 1

    def as_dict(self) -> dict[str, float]:
        return {"seconds": round(self.seconds, 3), "peak_mb": round(self.peak_mb, 1)}
