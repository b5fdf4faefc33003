"""The Great Expectations quality gate, as plain functions (Dagster wraps them elsewhere).

- `run_gate`: judge one zone-wave's parsed responses before loading.
- `normalize`: fix harmless formatting, logging every change.
- `sanitize_text`: neutralize formula and HTML injection in free text.
- `validate_staged` / `validate_marts`: suites on frames read out of DuckDB.
Suites are generated from the codebook: `python -m orchestration.quality.suites`.
"""

from orchestration.quality.downstream_checks import validate_marts, validate_staged
from orchestration.quality.gate import REJECTED_SCHEMA, GateResult, run_gate
from orchestration.quality.normalize import normalize
from orchestration.quality.results import SuiteResult
from orchestration.quality.sanitize import sanitize_table, sanitize_text
from orchestration.quality.thresholds import threshold_for

__all__ = [
    "REJECTED_SCHEMA",
    "GateResult",
    "SuiteResult",
    "normalize",
    "run_gate",
    "sanitize_table",
    "sanitize_text",
    "threshold_for",
    "validate_marts",
    "validate_staged",
]
