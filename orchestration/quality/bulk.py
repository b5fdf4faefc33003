"""The codebook's row-level rules evaluated in bulk, in DuckDB, over a whole batch.

Each `Rule` (the same objects the GX suites are generated from) becomes a SQL
predicate that holds where a row breaks it, with GX's pandas semantics: NULL is
never unexpected for set, regex and range rules; row conditions treat NULL as
pandas' `query` does (`!=` and `not in` hold for NULL). One UNION ALL query
returns (row position, rule number) for every failing row of every delivery of
the batch: the cost follows the rows, not rules x zone-waves. Range rules whose
maximum is the wave (`{"$PARAMETER": "wave_year"}`) read each row's wave.

`expect_column_to_exist` rules are table-level: the caller judges them per
delivery from its columns (`missing_columns`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from orchestration.duckdb_memory import connect
from orchestration.quality.rules import WAVE_PARAMETER, RowCondition, Rule

EXISTS = "expect_column_to_exist"
POSITION = "gate_pos"


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def _values(values: Sequence[Any]) -> str:
    return "(" + ", ".join(literal(v) for v in values) + ")"


def condition_sql(cond: RowCondition) -> str:
    """The rows a row condition selects, as pandas' `DataFrame.query` selects them."""
    col = quote(cond.column)
    if cond.operator == "==":
        return f"{col} = {literal(cond.value)}"
    if cond.operator == "!=":
        return f"{col} is distinct from {literal(cond.value)}"
    if cond.operator == "IN":
        return f"{col} in {_values(cond.value)}"
    if cond.operator == "NOT_IN":
        return f"({col} is null or {col} not in {_values(cond.value)})"
    raise ValueError(f"unknown row condition operator {cond.operator!r}")


def _bound(value: Any, wave_column: str) -> str:
    if isinstance(value, dict) and value.get("$PARAMETER") == WAVE_PARAMETER:
        return quote(wave_column)
    return literal(value)


def failing_sql(rule: Rule, wave_column: str) -> str:
    """A predicate true where a row breaks a row-level rule."""
    kw = rule.kwargs
    col = quote(kw["column"])
    kind = rule.expectation
    if kind == "expect_column_values_to_not_be_null":
        fails = f"{col} is null"
    elif kind == "expect_column_values_to_be_null":
        fails = f"{col} is not null"
    elif kind == "expect_column_values_to_be_in_set":
        fails = f"{col} is not null and {col} not in {_values(kw['value_set'])}"
    elif kind == "expect_column_values_to_match_regex":
        # GX (pandas) searches, like regexp_matches: the codebook's patterns are anchored.
        fails = f"{col} is not null and not regexp_matches({col}, {literal(kw['regex'])})"
    elif kind == "expect_column_values_to_be_between":
        # strict bounds exclude the bound itself (GX's strict_min / strict_max)
        below = "<=" if kw.get("strict_min") else "<"
        above = ">=" if kw.get("strict_max") else ">"
        outside = []
        if "min_value" in kw:
            outside.append(f"{col} {below} {_bound(kw['min_value'], wave_column)}")
        if "max_value" in kw:
            outside.append(f"{col} {above} {_bound(kw['max_value'], wave_column)}")
        fails = f"{col} is not null and ({' or '.join(outside) or 'false'})"
    else:
        raise ValueError(f"{rule.rule_id}: {kind} has no bulk form")
    cond = kw.get("row_condition")
    return f"({condition_sql(cond)}) and ({fails})" if cond is not None else fails


def columns_of(rule: Rule) -> tuple[str, ...]:
    """The columns a rule reads (its column and its row condition's)."""
    cond = rule.kwargs.get("row_condition")
    return (rule.kwargs["column"], *((cond.column,) if cond is not None else ()))


def evaluate(
    table: pa.Table,
    rules: Sequence[tuple[int, Rule]],
    *,
    wave_column: str,
    where: str | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(row positions, rule numbers) of every failing row, sorted by rule then row.

    `rules` are (number, rule) pairs of row-level rules whose columns exist in
    `table`; `where` restricts the rows (e.g. to one instrument version).
    """
    if not rules or not table.num_rows:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    scope = f" and ({where})" if where else ""
    parts = [
        f"select {POSITION} as pos, {number} as rule from judged "
        f"where ({failing_sql(rule, wave_column)}){scope}"
        for number, rule in rules
    ]
    positioned = table.append_column(POSITION, pa.array(np.arange(table.num_rows)))
    con = connect()
    try:
        con.register("judged", positioned)
        found = con.sql(" union all ".join(parts) + " order by rule, pos").fetchnumpy()
    finally:
        con.close()
    return (
        np.asarray(found["pos"], dtype=np.int64),
        np.asarray(found["rule"], dtype=np.int64),
    )
