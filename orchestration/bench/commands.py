"""The operator's commands, timed as child processes from start to exit.

The targets of issue 13 are about what an operator waits for, so they are measured
through the real `smesurvey` entry point (`ingest --inbox` on a home whose inbox holds
the drop, until the release is published; `ingest FILES --zone --wave`; `status`;
`demo`), not as a sum of stage calls: how the pipeline runs inside (runs per drop,
gate, dbt) may change without the measurement changing.

Peak memory is given two ways: the largest single process of the command's tree
(wait4's ru_maxrss, what `/usr/bin/time -v` prints) and the tree's summed RSS,
sampled every SAMPLE_SECONDS (Dagster's process and the dbt it starts are alive
at the same time, so the machine needs their sum).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestration.bench.children import BenchError
from orchestration.bench.memory import rusage_peak_mb
from orchestration.settings import PROJECT_ROOT, Home

SAMPLE_SECONDS = 0.25
PAGE_MB = os.sysconf("SC_PAGE_SIZE") / 2**20
SMESURVEY = Path(sys.executable).with_name("smesurvey")


@dataclass(frozen=True)
class CommandRun:
    seconds: float
    peak_mb: float  # the largest process of the tree (wait4)
    tree_peak_mb: float  # the tree's summed RSS, sampled
    returncode: int
    log: Path

    def as_dict(self) -> dict[str, Any]:
        return {
            "seconds": round(self.seconds, 2),
            "peak_mb": round(self.peak_mb, 1),
            "tree_peak_mb": round(self.tree_peak_mb, 1),
            "returncode": self.returncode,
            "log": str(self.log),
        }


def command_line(args: list[str]) -> list[str]:
    """The installed console script, as an operator types it (else the module)."""
    if SMESURVEY.is_file():
        return [str(SMESURVEY), *args]
    return [sys.executable, "-m", "orchestration.cli", *args]


def _tree_rss_mb(root: int) -> float:
    """Summed RSS of `root` and its descendants (one pass over /proc)."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue
        fields = text[text.rfind(")") + 2 :].split()
        parents[int(entry.name)] = int(fields[1])
        rss[int(entry.name)] = int(fields[21])  # field 24: resident pages
    members, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent]
        members.update(children)
        frontier.extend(children)
    return sum(rss.get(pid, 0) for pid in members) * PAGE_MB


class _TreeSampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak_mb = pid, 0.0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(SAMPLE_SECONDS):
            self.peak_mb = max(self.peak_mb, _tree_rss_mb(self.pid))


def run_command(
    args: list[str], home: Home, log: Path, expect: int | None = 0, stdin: str | None = None
) -> CommandRun:
    """`smesurvey ARGS` on `home`, timed from start to exit; BenchError on another exit code."""
    log.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "SMESURVEY_HOME": str(home.root)}
    with log.open("w", encoding="utf-8") as out:
        out.write(f"$ SMESURVEY_HOME={home.root} smesurvey {' '.join(args)}\n")
        out.flush()
        started = time.perf_counter()
        proc = subprocess.Popen(
            command_line(args),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL if stdin is None else subprocess.PIPE,
            env=env,
            cwd=PROJECT_ROOT,
        )
        sampler = _TreeSampler(proc.pid)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        sampler.done.set()
        sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    run = CommandRun(seconds, rusage_peak_mb(usage), sampler.peak_mb, proc.returncode, log)
    if expect is not None and run.returncode != expect:
        lines = [ln for ln in log.read_text(errors="replace").splitlines() if ln.strip()]
        last = lines[-1].strip() if lines else "(no output)"
        raise BenchError(
            f"smesurvey {args[0]}: exit {run.returncode}, expected {expect} ({last}); see {log}"
        )
    return run


def ingest_inbox(home: Home, log: Path) -> dict[str, Any]:
    """`smesurvey ingest --inbox` until the release is published."""
    run = run_command(["ingest", "--inbox"], home, log)
    if not home.analytics_db.is_file():
        raise BenchError(f"ingest --inbox published no release; see {log}")
    return run.as_dict()


def ingest_files(home: Home, files: list[Path], zone_id: str, wave_id: int, log: Path) -> dict:
    """`smesurvey ingest FILES --zone Z --wave W` (one zone-wave, until it is published)."""
    args = ["ingest", *map(str, files), "--zone", zone_id, "--wave", str(wave_id)]
    return run_command(args, home, log).as_dict()


def refuse_empty_file(home: Home, scratch: Path, zone_id: str, wave_id: int, log: Path) -> dict:
    """A zero-byte delivery file: refused (exit 1, one line naming it) before any run."""
    scratch.mkdir(parents=True, exist_ok=True)
    empty = scratch / "empty.csv"
    empty.write_bytes(b"")
    args = ["ingest", str(empty), "--zone", zone_id, "--wave", str(wave_id)]
    run = run_command(args, home, log, expect=1)
    said = [ln for ln in log.read_text(encoding="utf-8").splitlines()[1:] if ln.strip()]
    return {**run.as_dict(), "message": said[-1] if said else ""}


def status_times(home: Home, logs: Path, repeat: int = 3) -> dict[str, Any]:
    """`smesurvey status` `repeat` times: the median is reported, every time is kept."""
    runs = [run_command(["status"], home, logs / f"status-{i}.log") for i in range(repeat)]
    seconds = [r.seconds for r in runs]
    return {
        "seconds": round(statistics.median(seconds), 2),
        "all_seconds": [round(s, 2) for s in seconds],
        "peak_mb": round(max(r.peak_mb for r in runs), 1),
        "runs_in_home": _count_runs(home),
    }


def _count_runs(home: Home) -> int:
    from orchestration.defs.dagster_storage import DagsterStorage

    storage = DagsterStorage(home.dagster_home)
    return len(storage.recent_runs(1_000_000)) if storage.exists() else 0


def demo(home: Home, log: Path) -> dict[str, Any]:
    """`smesurvey demo` in an empty home, as the README's first command."""
    shutil.rmtree(home.root, ignore_errors=True)
    return run_command(["demo"], home, log).as_dict()
