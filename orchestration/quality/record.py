"""Great Expectations as the gate's record: validate the rule-outcome table once per run.

Imported only when something is validated (it imports GX through `context`).
One validation result and one Data Docs page per run and instrument version,
covering every zone-wave of the run: a row of the table is a zone-wave.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from orchestration.quality.context import run_suite
from orchestration.quality.outcomes import ZONE_WAVE
from orchestration.quality.results import _error, rule_key


@dataclass(frozen=True)
class Record:
    """What GX said about the outcome table: per row (zone-wave), the rules it failed."""

    suite_name: str
    evaluated: int
    failed_by_row: tuple[tuple[str, ...], ...]  # rule keys in suite order, per table row
    page: Path | None


def validate_outcomes(
    suite_name: str, table: pa.Table, *, run_name: str, data_docs_dir: Path | None
) -> Record:
    # One chunk whatever the run: the table has a row per zone-wave.
    [run] = run_suite(
        suite_name,
        table,
        run_name=run_name,
        data_docs_dir=data_docs_dir,
        chunk_rows=max(table.num_rows, 1),
        # Data Docs name the failing zone-waves, not row numbers.
        index_columns=(ZONE_WAVE,),
        # The index page reads every stored result: rebuilt once per pipeline run
        # (downstream checks, `build_docs_index`), not once per gate.
        build_index=False,
    )
    failed: list[list[str]] = [[] for _ in range(table.num_rows)]
    where = {name: i for i, name in enumerate(table[ZONE_WAVE].to_pylist())}
    for result in run.result.results:
        if result.success:
            continue
        meta = result.expectation_config.meta or {}
        key = rule_key(meta.get("rule_id", result.expectation_config.type), meta.get("column", ""))
        rows = (result.result or {}).get("unexpected_index_list") or []
        if not rows and _error(result) is not None:
            # GX could not evaluate the rule at all: every zone-wave of the run fails it.
            rows = range(table.num_rows)
        for row in rows:
            failed[where[row[ZONE_WAVE]] if isinstance(row, dict) else int(row)].append(key)
    return Record(
        suite_name=suite_name,
        evaluated=int(run.result.statistics["evaluated_expectations"]),
        failed_by_row=tuple(tuple(f) for f in failed),
        page=run.page,
    )
