"""The rule-outcome table: what the gate found, one row per zone-wave, as GX validates it.

The row-level rules run in bulk (`bulk.py`); Great Expectations stays the
quality record by validating this small table once per run and instrument
version (suite `gate_outcomes_<version>`, generated from the same codebook
rules): one column per rule, NULL where the zone-wave met it, otherwise a short
text ("3 of 200 rows", "column is missing", "error: ..."), plus the rejected
share against the zone-wave's threshold. GX's cost is then one suite run over
a few rows however many rows and zone-waves the run holds, and its results and
Data Docs name, per rule, the zone-waves that failed it (the row-level detail
stays in `raw.rejected_rows`).

No GX import here: building the table and the suite's rules is plain Arrow.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from orchestration.codebook import Codebook
from orchestration.quality.results import rule_key
from orchestration.quality.rules import Rule, raw_rules

ASSET = "gate_outcomes"
THRESHOLD_RULE = "gate.threshold"
ZONE_WAVE = "zone_wave"  # "ZONE/WAVE": names a row in results and Data Docs


def suite_name(version: str) -> str:
    return f"{ASSET}_{version}"


def outcome_column(rule: Rule) -> str:
    return rule_key(rule.rule_id, rule.column)


def outcome_rules(cb: Codebook, version: str) -> list[Rule]:
    """One expectation per raw rule (its outcome column must be NULL), then the threshold."""
    rules = [
        Rule(
            "expect_column_values_to_be_null",
            {"column": outcome_column(rule)},
            rule.rule_id,
            rule.column,
            rule.reason,
            level=rule.level,
            extra_meta={"rule": rule.expectation, "rule_kwargs": plain_kwargs(rule.kwargs)},
        )
        for rule in raw_rules(cb, version)
    ]
    rules.append(
        Rule(
            "expect_column_pair_values_a_to_be_greater_than_b",
            {"column_A": "threshold", "column_B": "rejected_share", "or_equal": True},
            THRESHOLD_RULE,
            "rejected_share",
            "the rejected share of the zone-wave exceeds its threshold",
            level="gate",
        )
    )
    return rules


def plain_kwargs(kwargs: dict) -> dict:
    """kwargs as JSON values (row conditions as `column operator value` text)."""
    out = {}
    for key, value in kwargs.items():
        if key == "row_condition":
            shown = value.value if isinstance(value.value, str) else list(value.value)
            out[key] = f"{value.column} {value.operator} {shown}"
        else:
            out[key] = value
    return out


@dataclass(frozen=True)
class Outcome:
    """One zone-wave's line of the table."""

    zone_id: str
    wave_id: int
    delivery_id: str
    rows_read: int
    rows_rejected: int
    threshold: float
    found: dict[str, str]  # outcome column -> what failed (absent: the rule held)


def outcome_table(cb: Codebook, version: str, lines: list[Outcome]) -> pa.Table:
    names = [f"{o.zone_id}/{o.wave_id}" for o in lines]
    # A zone-wave judged twice in one run (never in the pipeline) gets a suffix: names are keys.
    names = [n if names.count(n) == 1 else f"{n}#{i + 1}" for i, n in enumerate(names)]
    columns: dict[str, pa.Array] = {
        ZONE_WAVE: pa.array(names, pa.string()),
        "zone_id": pa.array([o.zone_id for o in lines], pa.string()),
        "wave_id": pa.array([o.wave_id for o in lines], pa.int32()),
        "delivery_id": pa.array([o.delivery_id for o in lines], pa.string()),
        "rows_read": pa.array([o.rows_read for o in lines], pa.int64()),
        "rows_rejected": pa.array([o.rows_rejected for o in lines], pa.int64()),
        "rejected_share": pa.array(
            [o.rows_rejected / o.rows_read if o.rows_read else 0.0 for o in lines], pa.float64()
        ),
        "threshold": pa.array([o.threshold for o in lines], pa.float64()),
    }
    for rule in raw_rules(cb, version):
        key = outcome_column(rule)
        columns[key] = pa.array([o.found.get(key) for o in lines], pa.string())
    return pa.table(columns)
