"""The quality gate: judge one zone-wave's parsed responses before they are loaded.

    normalize -> add derived columns -> GX raw suite of the version (chunked)
    -> rows flagged by row-level rules move to `rejected_rows` (one line per
    rule, the row counted once) -> pass unless a table-level rule failed or the
    rejected share exceeds the threshold.

Pure apart from reading the build DB (read-only, for the cross-zone USCC rule)
and writing Data Docs when a folder is given. No Dagster here; the asset check
wraps `GateResult.metadata()`.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from orchestration.codebook import Codebook, load_codebook
from orchestration.quality.context import CHUNK_ROWS, run_suite
from orchestration.quality.derived import add_derived
from orchestration.quality.normalize import normalize
from orchestration.quality.results import Failure, SuiteResult, failures, summarize
from orchestration.quality.rules import WAVE_PARAMETER
from orchestration.quality.suites import raw_suite_name
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
    chunk_rows: int = CHUNK_ROWS,
    cb: Codebook | None = None,
) -> GateResult:
    """Judge `responses` (canonical columns as text plus provenance) of one zone-wave.

    `threshold` defaults to `expectations/thresholds.yaml` for this zone-wave.
    """
    cb = cb or load_codebook()
    _check_identity(responses, cb, wave_id=wave_id, zone_id=zone_id, version=version)
    share_limit = threshold_for(zone_id, wave_id) if threshold is None else threshold
    normalized, normalizations = normalize(responses, cb)
    judged = add_derived(
        normalized, cb, version, build_db=build_db, wave_id=wave_id, zone_id=zone_id
    )
    suite = raw_suite_name(version)
    runs = run_suite(
        suite,
        judged,
        run_name=f"{zone_id}-{wave_id}",
        parameters={WAVE_PARAMETER: wave_id},
        data_docs_dir=data_docs_dir,
        chunk_rows=chunk_rows,
        # The index page reads every stored result: rebuilt once per pipeline run
        # (downstream checks, `build_docs_index`), not once per zone-wave.
        build_index=False,
    )
    restricted = frozenset(c for it in cb.items if it.restricted for c in it.columns(version))
    summary = summarize(suite, runs, restricted)
    found = failures(runs)
    row_failures = [f for f in found if f.level == "row" and f.error is None]
    blocking = [f for f in found if f.level != "row" or f.error is not None]

    context = {WAVE_PARAMETER: str(wave_id), "version": version, "zone_id": zone_id}
    rejected = _rejected_rows(judged, row_failures, context, wave_id=wave_id, zone_id=zone_id)
    bad_rows = np.unique(np.concatenate([f.rows for f in row_failures] or [np.empty(0, np.int64)]))
    accepted = normalized
    if bad_rows.size:  # filtering copies every column: only when there is something to drop
        keep = np.ones(normalized.num_rows, dtype=bool)
        keep[bad_rows] = False
        accepted = normalized.filter(pa.array(keep))

    rows_read = responses.num_rows
    rows_rejected = int(bad_rows.size)
    # The accounting invariant: every row read is either accepted or rejected, once.
    assert rows_read == accepted.num_rows + rows_rejected, "gate lost or duplicated rows"
    passed = not blocking and within_threshold(rows_read, rows_rejected, share_limit)
    return GateResult(
        normalized=normalized,
        accepted=accepted,
        rejected_rows=rejected,
        normalizations=normalizations,
        rows_read=rows_read,
        rows_rejected=rows_rejected,
        threshold=share_limit,
        passed=passed,
        reason=_reason(
            zone_id, wave_id, rows_read, rows_rejected, share_limit, blocking, found, rejected
        ),
        suite_results=(summary,),
    )


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
        if top
        else ""
    )
    verdict = "passed" if within_threshold(rows_read, rows_rejected, limit) else "blocked"
    return (
        f"{where} {verdict}: {rows_rejected} of {rows_read} rows rejected "
        f"({share:.1%}, threshold {limit:.1%}){tail}"
    )
