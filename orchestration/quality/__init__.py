"""The quality gate, as plain functions (Dagster wraps them elsewhere).

- `run_gate` / `run_gates`: judge one or several zone-waves' parsed responses before loading.
- `normalize`: fix harmless formatting, logging every change.
- `sanitize_text`: neutralize formula and HTML injection in free text.
- `validate_staged` / `validate_marts`: suites on frames read out of DuckDB.
Suites are generated from the codebook: `python -m orchestration.quality.suites`.

Importing Great Expectations costs 10-16 s of CPU, so this package does not:
the downstream validators are resolved on first use (PEP 562), and the gate
imports GX only when it validates (`record.py`).
"""

from __future__ import annotations

import importlib
from typing import Any

from orchestration.quality.gate import REJECTED_SCHEMA, GateResult, run_gate, run_gates
from orchestration.quality.normalize import normalize
from orchestration.quality.results import SuiteResult
from orchestration.quality.sanitize import sanitize_table, sanitize_text
from orchestration.quality.thresholds import threshold_for

_LAZY = {"validate_marts": "downstream_checks", "validate_staged": "downstream_checks"}

__all__ = [
    "REJECTED_SCHEMA",
    "GateResult",
    "SuiteResult",
    "normalize",
    "run_gate",
    "run_gates",
    "sanitize_table",
    "sanitize_text",
    "threshold_for",
    "validate_marts",
    "validate_staged",
]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
