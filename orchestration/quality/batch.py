"""One judged table for a batch of deliveries, and the rules it breaks, per delivery.

The batch is one Arrow table (every delivery's canonical columns as text,
provenance, derived columns, and which delivery, zone and wave each row is), so
the row-level rules run once over all rows (`bulk.evaluate`, one query per
instrument version); outcomes are then split back per delivery by row offsets.
Table-level rules (a column exists) and rules on a column a delivery lacks are
judged per delivery from its own columns, as GX would have judged its frame alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from orchestration.codebook import Codebook
from orchestration.quality import bulk
from orchestration.quality.derived import add_derived
from orchestration.quality.results import Failure
from orchestration.quality.rules import (
    NUMERIC_PREFIX,
    PROVENANCE,
    SECTION_DIVISION,
    USCC_CHECK,
    USCC_DUPLICATE,
    USCC_OTHER_ZONE,
    ZONE_MISMATCH,
    Rule,
    raw_rules,
)

# Columns added to the judged batch: which delivery a row belongs to.
PART, ZONE, WAVE = "gate_part", "gate_zone", "gate_wave"
DERIVED = (SECTION_DIVISION, ZONE_MISMATCH, USCC_CHECK, USCC_DUPLICATE, USCC_OTHER_ZONE)


@dataclass(frozen=True)
class Delivery:
    """One zone-wave's parsed responses, as the gate receives them."""

    responses: pa.Table
    zone_id: str
    wave_id: int
    version: str
    threshold: float | None = None  # None: expectations/thresholds.yaml


def judged_batch(
    tables: list[pa.Table],
    deliveries: Sequence[Delivery],
    cb: Codebook,
    build_db: Path | None,
) -> tuple[pa.Table, list[int]]:
    """One table of every delivery's rows: canonical columns as text, provenance, derived.

    Columns a delivery lacks are NULL in its rows (the per-delivery column check
    tells a missing column from an empty one).
    """
    canonical = set(cb.all_columns())
    kinds = {"source_row": pa.int64(), "wave_id": pa.int32()}
    parts = []
    for i, (table, d) in enumerate(zip(tables, deliveries, strict=True)):
        n = table.num_rows
        columns = {
            name: pc.cast(table[name], kinds.get(name, pa.string()))
            for name in table.column_names
            if name in canonical or name in PROVENANCE
        }
        columns[PART] = pa.repeat(pa.scalar(i, pa.int32()), n)
        columns[ZONE] = pa.repeat(pa.scalar(d.zone_id, pa.string()), n)
        columns[WAVE] = pa.repeat(pa.scalar(d.wave_id, pa.int32()), n)
        parts.append(pa.table(columns))
    batch = pa.concat_tables(parts, promote_options="default")
    offsets = [0, *np.cumsum([t.num_rows for t in parts]).tolist()]
    versions = sorted({d.version for d in deliveries})
    judged = add_derived(
        batch,
        cb,
        versions,
        build_db=build_db,
        zones=batch[ZONE],
        waves=batch[WAVE],
        parts=batch[PART],
    )
    return judged, offsets


def _present(table: pa.Table, judged: pa.Table, cb: Codebook) -> set[str]:
    """The columns the judged frame of this delivery alone would have had."""
    required = {it.id for it in cb.items if it.required}
    filled = set(cb.all_columns()) - required
    derived = {c for c in judged.column_names if c in DERIVED or c.startswith(NUMERIC_PREFIX)}
    return set(table.column_names) | filled | derived


def failures_by_delivery(
    judged: pa.Table,
    offsets: list[int],
    deliveries: Sequence[Delivery],
    tables: list[pa.Table],
    cb: Codebook,
) -> list[list[Failure]]:
    """Every failed rule of every delivery, in the suite's order (the order GX reports)."""
    found: list[list[Failure]] = [[] for _ in deliveries]
    for version in sorted({d.version for d in deliveries}):
        rules = raw_rules(cb, version)
        members = [i for i, d in enumerate(deliveries) if d.version == version]
        row_rules = [
            (k, r)
            for k, r in enumerate(rules)
            if r.expectation != bulk.EXISTS
            and all(c in judged.column_names for c in bulk.columns_of(r))
        ]
        where = None
        if len(members) < len(deliveries):
            where = f"{PART} in ({', '.join(str(i) for i in members)})"
        positions, numbers = bulk.evaluate(judged, row_rules, wave_column=WAVE, where=where)
        for i in members:
            inside = (positions >= offsets[i]) & (positions < offsets[i + 1])
            local, local_numbers = positions[inside] - offsets[i], numbers[inside]
            present = _present(tables[i], judged, cb)
            for k, rule in enumerate(rules):
                failure = _failure(rule, present, local[local_numbers == k])
                if failure is not None:
                    found[i].append(failure)
    return found


def _failure(rule: Rule, present: set[str], rows: np.ndarray) -> Failure | None:
    def failed(rows: np.ndarray, error: str | None = None) -> Failure:
        return Failure(
            rule.rule_id, rule.column, rule.reason, rule.level, rows, int(rows.size), error
        )

    empty = np.empty(0, np.int64)
    if rule.expectation == bulk.EXISTS:
        return None if rule.kwargs["column"] in present else failed(empty)
    missing = [c for c in bulk.columns_of(rule) if c not in present]
    if missing:
        # GX cannot evaluate a rule on a missing column: an error, which blocks.
        return failed(empty, f"column {missing[0]} does not exist")
    return failed(rows) if rows.size else None
