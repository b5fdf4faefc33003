"""The quality gate, as plain functions (Dagster wraps them elsewhere).

- `run_gate` / `run_gates`: judge one or several zone-waves' parsed responses before loading.
- `normalize`: fix harmless formatting, logging every change.
- `sanitize_text`: neutralize formula and HTML injection in free text.
- `validate_staged` / `validate_marts`: the staged and mart rules in DuckDB, GX on their outcomes.
Suites are generated from the codebook: `python -m orchestration.quality.suites`.

Importing Great Expectations costs 10-16 s of CPU, so this package does not:
the downstream validators are resolved on first use (PEP 562), and the gate
imports GX only when it validates (`record.py`).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
from types import ModuleType
from typing import Any

from orchestration.quality.gate import REJECTED_SCHEMA, GateResult, run_gate, run_gates
from orchestration.quality.normalize import normalize
from orchestration.quality.results import SuiteResult
from orchestration.quality.sanitize import sanitize_table, sanitize_text
from orchestration.quality.thresholds import threshold_for

GX_SPARK_SHIM = "great_expectations.compatibility.pyspark"


class _HiddenSparkLoader(importlib.abc.Loader):
    """Runs GX's pyspark shim while `import pyspark` fails, so the shim takes its
    not-installed branch: pyspark (the `spark` extra, for dbt on Spark) costs 2-9 s to
    import and GX's Spark engine is never used here (suites validate pandas frames)."""

    def __init__(self, loader: importlib.abc.Loader) -> None:
        self.loader = loader

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        hidden = "pyspark" not in sys.modules
        if hidden:
            sys.modules["pyspark"] = None  # type: ignore[assignment]  # import fails
        try:
            self.loader.exec_module(module)
        finally:
            if hidden:
                del sys.modules["pyspark"]


class _GxWithoutSpark(importlib.abc.MetaPathFinder):
    def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
        if name != GX_SPARK_SHIM:
            return None
        for finder in sys.meta_path:
            if finder is self:
                continue
            spec = getattr(finder, "find_spec", lambda *_: None)(name, path, target)
            if spec is not None and spec.loader is not None:
                spec.loader = _HiddenSparkLoader(spec.loader)
                return spec
        return None


if not any(isinstance(f, _GxWithoutSpark) for f in sys.meta_path):
    sys.meta_path.insert(0, _GxWithoutSpark())

_LAZY = {"validate_marts": "downstream_validation", "validate_staged": "downstream_validation"}

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
