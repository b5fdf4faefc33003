"""The quality gate, as plain functions (Dagster wraps them elsewhere).

- `run_gate` / `run_gates`: judge one or several zone-waves' parsed responses before loading.
- `normalize`: fix harmless formatting, logging every change.
- `sanitize_text`: neutralize formula and HTML injection in free text.
- `validate_staged` / `validate_marts`: suites on frames read out of DuckDB.
Suites are generated from the codebook: `python -m orchestration.quality.suites`.

Names are resolved on first use (PEP 562): importing Great Expectations costs
10-16 s of CPU, so `import orchestration.quality.x` must not pull it in through
this package; only the modules that validate (`context`, `record`, `suites`) import it.
"""

from __future__ import annotations

import importlib
from typing import Any

_HOMES = {
    "REJECTED_SCHEMA": "gate",
    "GateResult": "gate",
    "run_gate": "gate",
    "run_gates": "gate",
    "SuiteResult": "results",
    "normalize": "normalize",
    "sanitize_table": "sanitize",
    "sanitize_text": "sanitize",
    "threshold_for": "thresholds",
    "validate_marts": "downstream_checks",
    "validate_staged": "downstream_checks",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
