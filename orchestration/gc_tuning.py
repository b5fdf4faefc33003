"""Python's garbage collector for the project's processes: `smesurvey` and its dbt.

Both import large libraries (Dagster, dbt, Great Expectations): half a million objects
that live as long as the process. At the default thresholds (700, 10, 10) the cyclic
collector walks all of them about ten times per command, and once more at exit to free
memory the process returns anyway. A larger first threshold leaves one or two full
walks; freezing the heap on the way out leaves the exit's collection nothing to walk
(docs/benchmarks.md, "The garbage collector"). Files and connections are closed by
then, and atexit handlers still run.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

GC_THRESHOLDS = (10_000, 10, 10)


@contextmanager
def large_heap_collector() -> Iterator[None]:
    """For the whole life of a command: raised thresholds, then the heap frozen."""
    gc.set_threshold(*GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.freeze()
