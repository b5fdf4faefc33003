"""Parent side: run a step or dbt in its own process; wall time and peak RSS from wait4."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestration.bench.memory import rusage_peak_mb
from orchestration.dbt_command import dbt_command
from orchestration.duckdb_memory import MEMORY_ENV, memory_limit
from orchestration.pseudonym import home_key
from orchestration.settings import PROJECT_ROOT, Home


class BenchError(RuntimeError):
    """A benchmark step failed; one line naming the step and its log."""


@dataclass(frozen=True)
class ProcessRun:
    wall: float
    peak_mb: float
    returncode: int
    log: Path
    result: dict[str, Any] = field(default_factory=dict)


def _last_line(log: Path) -> str:
    lines = [ln for ln in log.read_text(errors="replace").splitlines() if ln.strip()]
    return lines[-1].strip() if lines else "(no output)"


def run_process(
    command: list[str], log: Path, env: dict[str, str] | None = None, cwd: Path = PROJECT_ROOT
) -> ProcessRun:
    """Run `command` to completion; its (and its waited children's) peak RSS comes from wait4."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w", encoding="utf-8") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=cwd)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    return ProcessRun(wall, rusage_peak_mb(usage), proc.returncode, log)


def run_step(spec: dict[str, Any], workdir: Path, name: str) -> ProcessRun:
    """One step of orchestration.bench.stage in a fresh interpreter; BenchError if it fails."""
    workdir.mkdir(parents=True, exist_ok=True)
    spec_path, result_path = workdir / f"{name}.spec.json", workdir / f"{name}.result.json"
    spec_path.write_text(json.dumps(spec, indent=1), encoding="utf-8")
    result_path.unlink(missing_ok=True)
    command = [sys.executable, "-m", "orchestration.bench.stage", str(spec_path), str(result_path)]
    run = run_process(command, workdir / f"{name}.log")
    if run.returncode != 0 or not result_path.is_file():
        raise BenchError(f"{name}: exit {run.returncode} ({_last_line(run.log)}); see {run.log}")
    result = json.loads(result_path.read_text(encoding="utf-8"))
    return ProcessRun(run.wall, run.peak_mb, run.returncode, run.log, result)


def dbt_env(home: Home) -> dict[str, str]:
    return {
        **os.environ,
        "SMESURVEY_HOME": str(home.root),
        "SMESURVEY_BUILD_DB": str(home.build_db),
        "SMESURVEY_RAW_PARQUET": str(home.raw_parquet),
        "SMESURVEY_SPARK_DIR": str(home.spark),
        MEMORY_ENV: memory_limit(),  # as the pipeline hands it to dbt
        # the scratch home's own key (generated on first use), as the pipeline would use
        "SMESURVEY_PSEUDONYM_KEY": home_key(home),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


def slowest_nodes(target: Path, n: int = 5) -> list[dict[str, Any]]:
    """The n slowest dbt nodes of the last run (target/run_results.json)."""
    path = target / "run_results.json"
    if not path.is_file():
        return []
    results = json.loads(path.read_text(encoding="utf-8"))["results"]
    results.sort(key=lambda r: r.get("execution_time", 0.0), reverse=True)
    return [
        {"node": r["unique_id"], "seconds": round(r["execution_time"], 2), "status": r["status"]}
        for r in results[:n]
    ]


def dbt_totals(target: Path) -> dict[str, float]:
    """Seconds spent in models, tests and seeds (sum of node execution times)."""
    path = target / "run_results.json"
    if not path.is_file():
        return {}
    totals: dict[str, float] = {}
    for r in json.loads(path.read_text(encoding="utf-8"))["results"]:
        kind = r["unique_id"].split(".", 1)[0]
        totals[kind] = round(totals.get(kind, 0.0) + r.get("execution_time", 0.0), 2)
    return totals


def run_dbt(
    verb: str | Sequence[str], home: Home, target: Path, log: Path, dbt_target: str = "duckdb"
) -> ProcessRun:
    """`dbt <verb>` on the home's build DB (or its raw Parquet for target spark), as its own
    process (as Dagster runs it)."""
    run = run_process(dbt_command(verb, target, dbt_target=dbt_target), log, env=dbt_env(home))
    result = {"slowest": slowest_nodes(target), "totals": dbt_totals(target)}
    if run.returncode != 0:
        result["failure"] = _last_line(log)
    return ProcessRun(run.wall, run.peak_mb, run.returncode, run.log, result)
