"""GX validation results, reduced to what the gate and Dagster asset checks need."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # GX is imported only where something is validated
    from great_expectations.core.expectation_validation_result import (
        ExpectationValidationResult,
    )

    from orchestration.quality.context import ChunkRun

RESTRICTED_MASK = "<restricted>"
TOP_VALUES = 5


@dataclass(frozen=True)
class Failure:
    """One expectation that failed (or could not run) in one chunk."""

    rule_id: str
    column: str
    reason: str
    level: str
    rows: np.ndarray  # global row positions (empty for table-level failures)
    unexpected_count: int
    error: str | None = None


@dataclass(frozen=True)
class SuiteResult:
    """One suite over all chunks: what an asset check shows."""

    suite_name: str
    success: bool
    evaluated: int
    failed: int
    unexpected_counts: dict[str, int] = field(default_factory=dict)
    top_values: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    failed_rules: tuple[str, ...] = ()
    data_docs_pages: tuple[Path, ...] = ()

    def to_metadata(self) -> dict[str, Any]:
        """Plain JSON-able values (Dagster MetadataValue.json / asset check metadata)."""
        return {
            "suite": self.suite_name,
            "success": self.success,
            "expectations_evaluated": self.evaluated,
            "expectations_failed": self.failed,
            "failed_rules": list(self.failed_rules),
            "unexpected_counts": dict(self.unexpected_counts),
            "top_offending_values": {
                k: [{"value": v, "count": c} for v, c in vals]
                for k, vals in self.top_values.items()
            },
            "data_docs_pages": [str(p) for p in self.data_docs_pages],
        }


def rule_key(rule_id: str, column: str) -> str:
    return f"{rule_id}:{column}"


def _error(result: ExpectationValidationResult) -> str | None:
    info = result.exception_info or {}
    entries = [info] if "raised_exception" in info else list(info.values())
    for entry in entries:
        if isinstance(entry, dict) and entry.get("raised_exception"):
            message = str(entry.get("exception_message") or "error").splitlines()[0]
            return message[:200]
    return None


def failures(runs: list[ChunkRun]) -> list[Failure]:
    """Every failed expectation of every chunk, with the global rows it flags."""
    found = []
    for run in runs:
        for result in run.result.results:
            if result.success:
                continue
            meta = result.expectation_config.meta or {}
            outcome = result.result or {}
            rows = np.asarray(outcome.get("unexpected_index_list") or [], dtype=np.int64)
            found.append(
                Failure(
                    rule_id=meta.get("rule_id", result.expectation_config.type),
                    column=meta.get("column", ""),
                    reason=meta.get("reason", result.expectation_config.type),
                    level=meta.get("level", "table"),
                    rows=rows,
                    unexpected_count=int(outcome.get("unexpected_count") or 0),
                    error=_error(result),
                )
            )
    return found


def summarize(suite_name: str, runs: list[ChunkRun], restricted: frozenset[str]) -> SuiteResult:
    """Merge chunk results: counts add up, top values from GX's partial counts."""
    counts: Counter[str] = Counter()
    values: dict[str, Counter[str]] = {}
    failed: dict[str, None] = {}
    for run in runs:
        for result in run.result.results:
            if result.success:
                continue
            meta = result.expectation_config.meta or {}
            key = rule_key(
                meta.get("rule_id", result.expectation_config.type), meta.get("column", "")
            )
            failed[key] = None
            outcome = result.result or {}
            counts[key] += int(outcome.get("unexpected_count") or 0)
            column = result.expectation_config.kwargs.get("column")
            for entry in outcome.get("partial_unexpected_counts") or []:
                shown = RESTRICTED_MASK if column in restricted else str(entry["value"])
                values.setdefault(key, Counter())[shown] += int(entry["count"])
    evaluated = max((r.result.statistics["evaluated_expectations"] for r in runs), default=0)
    return SuiteResult(
        suite_name=suite_name,
        success=all(r.result.success for r in runs),
        evaluated=evaluated,
        failed=len(failed),
        unexpected_counts=dict(counts),
        top_values={k: c.most_common(TOP_VALUES) for k, c in values.items()},
        failed_rules=tuple(failed),
        data_docs_pages=tuple(r.page for r in runs if r.page is not None),
    )
