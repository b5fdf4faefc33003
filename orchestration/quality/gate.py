"""The quality gate: judge parsed zone-wave deliveries before they are loaded.

    normalize each delivery -> one judged table of the whole batch (canonical
    columns as text, derived columns, zone/wave/part per row) -> the codebook's
    row-level rules in bulk (DuckDB, `bulk.py`) -> per zone-wave: rows flagged
    by row-level rules move to `rejected_rows` (one line per rule, the row
    counted once), table-level rules judged on its columns -> pass unless a
    table-level rule failed or the rejected share exceeds the threshold ->
    Great Expectations validates the rule-outcome table (`outcomes.py`, one row
    per zone-wave) once per run and version: the stored result, Data Docs and
    the asset checks' suite metadata.

`run_gates` judges a batch, `run_gate` one zone-wave (a batch of one); both are
`judge_gates` (the bulk rules: pass or refuse, what loads) then `record_gates` (GX's
record), which the pipeline runs apart so that loading need not wait for GX. Pure
apart from reading the build DB (read-only, for the cross-zone USCC rule) and
writing Data Docs and results when a folder is given. No Dagster here; the
asset check wraps `GateResult.metadata()`.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from orchestration.codebook import Codebook, load_codebook
from orchestration.quality import outcomes
from orchestration.quality.batch import Delivery, failures_by_delivery, judged_batch
from orchestration.quality.normalize import normalize
from orchestration.quality.results import (
    RESTRICTED_MASK,
    TOP_VALUES,
    Failure,
    SuiteResult,
    rule_key,
)
from orchestration.quality.rules import (
    WAVE_PARAMETER,
    Rule,
    raw_rules,
)
from orchestration.quality.sanitize import OFFENDING_VALUE_NOTE
from orchestration.quality.thresholds import threshold_for

REJECTED_SCHEMA = pa.schema(
    [
        ("delivery_id", pa.string()),
        ("zone_id", pa.string()),
        ("wave_id", pa.int32()),
        ("source_file", pa.string()),
        ("source_row", pa.int32()),
        ("rule_id", pa.string()),
        ("column_name", pa.string()),
        ("value", pa.string()),
        ("reason", pa.string()),
    ]
)


@dataclass(frozen=True)
class GateResult:
    normalized: pa.Table  # every row read, after normalization (accepted + rejected)
    accepted: pa.Table
    rejected_rows: pa.Table
    normalizations: pa.Table
    rows_read: int
    rows_rejected: int
    threshold: float
    passed: bool
    reason: str
    suite_results: tuple[SuiteResult, ...]

    @property
    def rejected_share(self) -> float:
        return self.rows_rejected / self.rows_read if self.rows_read else 0.0

    def metadata(self) -> dict[str, Any]:
        """Plain values for a Dagster asset check (one entry per suite under `suites`)."""
        return {
            "passed": self.passed,
            "reason": self.reason,
            "rows_read": self.rows_read,
            "rows_accepted": self.accepted.num_rows,
            "rows_rejected": self.rows_rejected,
            "rejected_share": round(self.rejected_share, 6),
            "threshold": self.threshold,
            "normalizations": self.normalizations.num_rows,
            "suites": [s.to_metadata() for s in self.suite_results],
        }


def run_gate(
    responses: pa.Table,
    *,
    wave_id: int,
    zone_id: str,
    version: str,
    threshold: float | None = None,
    build_db: Path | None = None,
    data_docs_dir: Path | None = None,
    cb: Codebook | None = None,
) -> GateResult:
    """Judge `responses` (canonical columns as text plus provenance) of one zone-wave.

    `threshold` defaults to `expectations/thresholds.yaml` for this zone-wave.
    """
    delivery = Delivery(responses, zone_id, wave_id, version, threshold)
    [result] = run_gates([delivery], build_db=build_db, data_docs_dir=data_docs_dir, cb=cb)
    return result


def run_gates(
    deliveries: Sequence[Delivery],
    *,
    build_db: Path | None = None,
    data_docs_dir: Path | None = None,
    cb: Codebook | None = None,
) -> list[GateResult]:
    """Judge several zone-waves together: one bulk pass, one GX validation per version.

    Each zone-wave gets its own result, as if judged alone, except that the
    cross-zone USCC rule also sees the other deliveries of the batch.
    """
    cb = cb or load_codebook()
    judged = judge_gates(deliveries, build_db=build_db, cb=cb)
    return record_gates(judged, data_docs_dir=data_docs_dir, cb=cb)


@dataclass(frozen=True)
class JudgedBatch:
    """A batch the bulk rules have judged, before GX records it.

    `results` already decide everything (passed, accepted and rejected rows, reason);
    only their `suite_results` are empty until `record_gates`."""

    deliveries: tuple[Delivery, ...]
    parts: tuple[_Judged, ...]

    @property
    def results(self) -> list[GateResult]:
        return [part.result for part in self.parts]


def judge_gates(
    deliveries: Sequence[Delivery], *, build_db: Path | None = None, cb: Codebook | None = None
) -> JudgedBatch:
    """The codebook's rules on a batch, in bulk: each zone-wave passes or is refused here."""
    if not deliveries:
        return JudgedBatch((), ())
    cb = cb or load_codebook()
    for d in deliveries:
        _check_identity(d.responses, cb, wave_id=d.wave_id, zone_id=d.zone_id, version=d.version)
    limits = [
        threshold_for(d.zone_id, d.wave_id) if d.threshold is None else d.threshold
        for d in deliveries
    ]
    normalized = [normalize(d.responses, cb) for d in deliveries]
    tables = [table for table, _ in normalized]
    judged, offsets = judged_batch(tables, deliveries, cb, build_db)
    found = failures_by_delivery(judged, offsets, deliveries, tables, cb)
    parts = [
        _judge_one(
            d,
            judged.slice(offsets[i], offsets[i + 1] - offsets[i]),
            normalized[i],
            found[i],
            limits[i],
            cb,
        )
        for i, d in enumerate(deliveries)
    ]
    return JudgedBatch(tuple(deliveries), tuple(parts))


@dataclass(frozen=True)
class _Judged:
    """One zone-wave's result before GX has recorded it."""

    result: GateResult
    outcome: outcomes.Outcome
    top_values: dict[str, list[tuple[str, int]]]
    counts: dict[str, int]


def _judge_one(
    d: Delivery,
    judged: pa.Table,
    normalized: tuple[pa.Table, pa.Table],
    found: list[Failure],
    share_limit: float,
    cb: Codebook,
) -> _Judged:
    table, normalizations = normalized
    row_failures = [f for f in found if f.level == "row" and f.error is None]
    blocking = [f for f in found if f.level != "row" or f.error is not None]
    context = {WAVE_PARAMETER: str(d.wave_id), "version": d.version, "zone_id": d.zone_id}
    rejected = _rejected_rows(judged, row_failures, context, wave_id=d.wave_id, zone_id=d.zone_id)
    bad_rows = np.unique(np.concatenate([f.rows for f in row_failures] or [np.empty(0, np.int64)]))
    accepted = table
    if bad_rows.size:  # filtering copies every column: only when there is something to drop
        keep = np.ones(table.num_rows, dtype=bool)
        keep[bad_rows] = False
        accepted = table.filter(pa.array(keep))
    rows_read = d.responses.num_rows
    rows_rejected = int(bad_rows.size)
    # The accounting invariant: every row read is either accepted or rejected, once.
    assert rows_read == accepted.num_rows + rows_rejected, "gate lost or duplicated rows"
    passed = not blocking and within_threshold(rows_read, rows_rejected, share_limit)
    result = GateResult(
        normalized=table,
        accepted=accepted,
        rejected_rows=rejected,
        normalizations=normalizations,
        rows_read=rows_read,
        rows_rejected=rows_rejected,
        threshold=share_limit,
        passed=passed,
        reason=_reason(
            d.zone_id,
            d.wave_id,
            rows_read,
            rows_rejected,
            share_limit,
            blocking,
            found,
            rejected,
            restricted_columns(cb),
        ),
        suite_results=(),
    )
    ids = pc.unique(_text(judged, "delivery_id")).drop_null().to_pylist()
    outcome = outcomes.Outcome(
        zone_id=d.zone_id,
        wave_id=d.wave_id,
        delivery_id=",".join(sorted(ids)),
        rows_read=rows_read,
        rows_rejected=rows_rejected,
        threshold=share_limit,
        found={rule_key(f.rule_id, f.column): _shown(f, rows_read) for f in found},
    )
    restricted = frozenset(c for it in cb.items if it.restricted for c in it.columns(d.version))
    rules = {rule_key(r.rule_id, r.column): r for r in raw_rules(cb, d.version)}
    tops = {
        key: _top_values(judged, rules[key], f.rows, restricted)
        for f in row_failures
        for key in [rule_key(f.rule_id, f.column)]
    }
    counts = {rule_key(f.rule_id, f.column): f.unexpected_count for f in found}
    return _Judged(result, outcome, tops, counts)


def _shown(failure: Failure, rows_read: int) -> str:
    """The outcome table's cell of a failed rule (counts only, never a value)."""
    if failure.error is not None:
        return f"error: {failure.error}"
    if failure.level != "row":
        return "failed"
    return f"{failure.unexpected_count} of {rows_read} rows"


def _top_values(
    judged: pa.Table, rule: Rule, rows: np.ndarray, restricted: frozenset[str]
) -> list[tuple[str, int]]:
    """The most frequent offending values of a rule (masked for restricted columns)."""
    column = rule.kwargs["column"]
    if column in restricted:
        return [(RESTRICTED_MASK, int(rows.size))]
    values = _text(judged.take(pa.array(rows)), column)
    counted = pc.value_counts(pc.fill_null(values, "None")).to_pylist()
    counted.sort(key=lambda e: (-e["counts"], e["values"]))
    return [(e["values"], int(e["counts"])) for e in counted[:TOP_VALUES]]


def record_gates(
    batch: JudgedBatch, *, data_docs_dir: Path | None = None, cb: Codebook | None = None
) -> list[GateResult]:
    """GX validates the outcome table of each version once; each zone-wave reads its row."""
    if not batch.parts:
        return []
    from orchestration.quality.record import validate_outcomes  # imports GX: only here

    cb = cb or load_codebook()
    judged, deliveries = batch.parts, batch.deliveries
    results: list[GateResult] = [j.result for j in judged]
    for version in sorted({d.version for d in deliveries}):
        members = [i for i, d in enumerate(deliveries) if d.version == version]
        table = outcomes.outcome_table(cb, version, [judged[i].outcome for i in members])
        waves = sorted({deliveries[i].wave_id for i in members})
        run_name = (
            f"{deliveries[members[0]].zone_id}-{waves[0]}"
            if len(members) == 1
            else f"{len(members)}-zone-waves-{'-'.join(map(str, waves))}"
        )
        record = validate_outcomes(
            outcomes.suite_name(version), table, run_name=run_name, data_docs_dir=data_docs_dir
        )
        for row, i in enumerate(members):
            failed = record.failed_by_row[row]
            summary = SuiteResult(
                suite_name=record.suite_name,
                success=not failed,
                evaluated=record.evaluated,
                failed=len(failed),
                unexpected_counts={k: judged[i].counts.get(k, 0) for k in failed},
                top_values={k: v for k, v in judged[i].top_values.items() if k in failed},
                failed_rules=failed,
                data_docs_pages=(record.page,) if record.page is not None else (),
            )
            results[i] = replace(judged[i].result, suite_results=(summary,))
    return results


def within_threshold(rows_read: int, rows_rejected: int, threshold: float) -> bool:
    """A zone-wave passes while its rejected share does not exceed the threshold."""
    return rows_read == 0 or rows_rejected / rows_read <= threshold


def _check_identity(
    table: pa.Table, cb: Codebook, *, wave_id: int, zone_id: str, version: str
) -> None:
    """The caller's zone, wave and version must be those of the rows (a bug otherwise)."""
    if version not in cb.versions:
        raise ValueError(f"unknown instrument version {version!r}")
    expected = cb.version_for_wave(wave_id)
    if version != expected:
        raise ValueError(f"wave {wave_id} uses instrument {expected}, not {version}")
    for column, value in (("zone_id", zone_id), ("wave_id", wave_id)):
        if column in table.column_names and table.num_rows:
            found = pc.unique(pc.cast(table[column], pa.string())).to_pylist()
            if found != [str(value)]:
                raise ValueError(f"rows of {column} {found} given to the gate of {value}")


def _rejected_rows(
    judged: pa.Table,
    row_failures: list[Failure],
    context: dict[str, str],
    *,
    wave_id: int,
    zone_id: str,
) -> pa.Table:
    parts = []
    for failure in row_failures:
        if not failure.rows.size:
            continue
        rows = judged.take(pa.array(failure.rows))
        n = rows.num_rows
        value = _text(rows, failure.column)
        parts.append(
            pa.table(
                {
                    "delivery_id": _text(rows, "delivery_id"),
                    "zone_id": pa.repeat(zone_id, n),
                    "wave_id": pa.repeat(pa.scalar(wave_id, pa.int32()), n),
                    "source_file": _text(rows, "source_file"),
                    "source_row": pc.cast(rows["source_row"], pa.int32())
                    if "source_row" in rows.column_names
                    else pa.nulls(n, pa.int32()),
                    "rule_id": pa.repeat(failure.rule_id, n),
                    "column_name": pa.repeat(failure.column, n),
                    "value": value,
                    "reason": render_reason(failure.reason, rows, value, context),
                },
                schema=REJECTED_SCHEMA,
            )
        )
    if not parts:
        return REJECTED_SCHEMA.empty_table()
    return pa.concat_tables(parts).sort_by(
        [("source_file", "ascending"), ("source_row", "ascending")]
    )


def _files_of(rejected: pa.Table, rule_id: str) -> str:
    """The files holding a rule's rejected rows, so the message names where to look."""
    rows = rejected.filter(pc.equal(rejected["rule_id"], rule_id))
    files = sorted(str(f) for f in pc.unique(rows["source_file"]).to_pylist())
    return " and ".join(files) if files else "no file"


SHOWN_VALUE_CHARS = 40


def restricted_columns(cb: Codebook) -> frozenset[str]:
    """Columns whose values never appear in the gate's reason: USCC, names, contacts."""
    return frozenset(it.id for it in cb.items if it.restricted)


def _column_of(found: list[Failure], rule_id: str) -> str | None:
    return next((f.column for f in found if f.rule_id == rule_id), None)


def _top_value_of(rejected: pa.Table, rule_id: str) -> str:
    """`, most often '<value>'`: the value a rule rejected most, so the team sees what to fix.

    Printable and cut to SHOWN_VALUE_CHARS: the message is one line, and a value may hold
    control characters or a whole pasted paragraph.
    """
    if "value" not in rejected.column_names:
        return ""
    values = rejected.filter(pc.equal(rejected["rule_id"], rule_id))["value"].drop_null()
    if len(values) == 0:
        return ""
    counts = pc.value_counts(values).to_pylist()
    top = max(counts, key=lambda c: c["counts"])["values"]
    shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(top))
    if len(shown) > SHOWN_VALUE_CHARS:
        shown = shown[: SHOWN_VALUE_CHARS - 1] + "…"
    return f"{OFFENDING_VALUE_NOTE}{shown}'"


def _text(table: pa.Table, column: str) -> pa.ChunkedArray:
    if column not in table.column_names:
        return pa.chunked_array([pa.nulls(table.num_rows, pa.string())])
    return pc.cast(table[column], pa.string())


def render_reason(
    template: str, rows: pa.Table, value: pa.ChunkedArray, context: dict[str, str]
) -> pa.ChunkedArray:
    """Fill a reason template for many rows at once: `{value}`, context names, column names."""
    pieces: list[Any] = []
    for literal, field, _, _ in string.Formatter().parse(template):
        if literal:
            pieces.append(literal)
        if field is None:
            continue
        if field in context:
            pieces.append(context[field])
        elif field == "value":
            pieces.append(pc.fill_null(value, "NULL"))
        else:
            pieces.append(pc.fill_null(_text(rows, field), "NULL"))
    if not any(isinstance(p, pa.ChunkedArray | pa.Array) for p in pieces):
        return pa.chunked_array([pa.repeat("".join(pieces), rows.num_rows)])
    return pc.binary_join_element_wise(*pieces, "")


def _reason(
    zone_id: str,
    wave_id: int,
    rows_read: int,
    rows_rejected: int,
    limit: float,
    blocking: list[Failure],
    found: list[Failure],
    rejected: pa.Table,
    restricted: frozenset[str] = frozenset(),
) -> str:
    where = f"{zone_id}/{wave_id}"
    if blocking:
        first = blocking[0]
        detail = first.error or first.reason
        return f"{where} blocked: {first.rule_id} on {first.column}: {detail}"
    share = rows_rejected / rows_read if rows_read else 0.0
    counts: dict[str, int] = {}
    for f in found:
        counts[f.rule_id] = counts.get(f.rule_id, 0) + int(f.rows.size)
    top = max(counts, key=counts.__getitem__) if counts else None
    tail = (
        f"; most frequent rule {top} ({counts[top]} rows, {_files_of(rejected, top)})"
        f"{'' if _column_of(found, top) in restricted else _top_value_of(rejected, top)}"
        if top
        else ""
    )
    verdict = "passed" if within_threshold(rows_read, rows_rejected, limit) else "blocked"
    return (
        f"{where} {verdict}: {rows_rejected} of {rows_read} rows rejected "
        f"({share:.1%}, threshold {limit:.1%}){tail}"
    )
