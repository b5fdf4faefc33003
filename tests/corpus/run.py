"""Run corpus cases through `orchestration.pipeline.ingest_zone_wave`, each in its own home.

The quality gate costs a few seconds per delivery (Great Expectations), so outside
pytest-xdist the cases run in a small process pool; each worker is a fresh
interpreter (spawn), each case a fresh SMESURVEY_HOME, and the results (the message, the delivered
bytes, the edits) come back for the tests to check against the homes on disk.
"""

from __future__ import annotations

import multiprocessing
import os
import traceback
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from orchestration.pipeline import IngestError, ingest_zone_wave
from orchestration.settings import Home
from tests.corpus.build import ZONE, Case, Edit, clean_files, load_cases, make_delivery


@dataclass(frozen=True)
class CaseRun:
    case_id: str
    home: Path
    files: dict[str, bytes]  # exactly what was delivered
    edits: tuple[Edit, ...]
    message: str | None  # the IngestError's message when the delivery was refused
    error: str | None = None  # an unexpected exception's traceback


@cache
def _cases() -> dict[str, Case]:
    return {c.id: c for c in load_cases()}


def run_case(case: Case, clean_root: Path, home_root: Path) -> CaseRun:
    """Deliver the case's files to a fresh home's inbox and ingest that zone-wave."""
    home = Home(home_root).ensure()
    try:
        delivery = make_delivery(case, clean_root)
        delivery.write(home.inbox / ZONE / str(case.filed_wave))
    except Exception:
        return CaseRun(case.id, home_root, {}, (), None, traceback.format_exc())
    message = error = None
    try:
        ingest_zone_wave(home, ZONE, case.filed_wave)
    except IngestError as exc:
        message = str(exc)
    except Exception:
        error = traceback.format_exc()
    return CaseRun(case.id, home_root, delivery.files, tuple(delivery.edits), message, error)


def _run_by_id(case_id: str, clean_root: Path, home_root: Path) -> CaseRun:
    return run_case(_cases()[case_id], clean_root, home_root)


def run_cases(
    cases: Sequence[Case], clean_root: Path, homes: Path, workers: int | None = None
) -> dict[str, CaseRun]:
    """Every case in its own home under `homes`, `workers` at a time."""
    for wave in sorted({c.wave for c in cases}):
        clean_files(clean_root, wave)  # generated once, before the workers read it
    # Cases that reach the gate take longest: start them first.
    ordered = sorted(cases, key=lambda c: c.expect["outcome"] == "blocked")
    if not workers:
        # Under pytest-xdist the other workers already use the cores, and a pool would
        # pay two more interpreters' imports (Great Expectations among them).
        under_xdist = bool(os.environ.get("PYTEST_XDIST_WORKER"))
        workers = 1 if under_xdist else max(1, min(2, os.cpu_count() or 1))
    ids = [c.id for c in ordered]
    roots = [clean_root] * len(ids)
    home_roots = [homes / case_id / "home" for case_id in ids]
    if workers == 1 or len(ids) == 1:
        runs = [run_case(c, clean_root, h) for c, h in zip(ordered, home_roots, strict=True)]
    else:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            runs = list(pool.map(_run_by_id, ids, roots, home_roots))
    return {run.case_id: run for run in runs}
