"""What the figures were measured on: machine, load and package versions."""

from __future__ import annotations

import os
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

PACKAGES = (
    "duckdb",
    "dbt-core",
    "dbt-duckdb",
    "dagster",
    "dagster-dbt",
    "great-expectations",
    "pandas",
    "pyarrow",
)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _mem_total_gb() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    return 0.0


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def machine() -> dict[str, Any]:
    return {
        "cores": os.cpu_count(),
        "cpu": _cpu_model(),
        "ram_gb": _mem_total_gb(),
        "kernel": platform.release(),
        "load_average": load_average(),
        # Set, no command keeps a .pyc cache: each compiles its imports again (seconds for
        # dagster), which an installation that may write its cache does once.
        "no_bytecode_cache": bool(os.environ.get("PYTHONDONTWRITEBYTECODE")),
    }


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found
