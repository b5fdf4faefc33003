"""Normalization before judgement: harmless formatting is fixed, and every fix is logged.

The gate should reject answers, not typing habits: surrounding spaces, full-width
digits (１２００), thousands separators (1,200) and Excel's integers-as-text
(12.0). Each change is one row of the log (file, row, column, before, after,
rule) so a fixed value can always be traced. Everything runs in pyarrow.compute.
"""

from __future__ import annotations

from collections.abc import Callable

import pyarrow as pa
import pyarrow.compute as pc

from orchestration.codebook import Codebook, load_codebook

LOG_SCHEMA = pa.schema(
    [
        ("delivery_id", pa.string()),
        ("source_file", pa.string()),
        ("source_row", pa.int64()),
        ("column_name", pa.string()),
        ("before", pa.string()),
        ("after", pa.string()),
        ("rule", pa.string()),
    ]
)
THOUSANDS = r"^-?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?$"
EXCEL_INTEGER = r"^-?[0-9]+\.0+$"

Step = tuple[str, Callable[[pa.ChunkedArray], pa.ChunkedArray]]


def _trim(values: pa.ChunkedArray) -> pa.ChunkedArray:
    return pc.utf8_trim_whitespace(values)


def _empty_to_null(values: pa.ChunkedArray) -> pa.ChunkedArray:
    return pc.if_else(pc.equal(values, ""), pa.scalar(None, pa.string()), values)


def _fullwidth(values: pa.ChunkedArray) -> pa.ChunkedArray:
    # NFKC folds full-width digits, letters, commas and points to ASCII; CJK text is untouched.
    return pc.utf8_normalize(values, "NFKC")


def _thousands(values: pa.ChunkedArray) -> pa.ChunkedArray:
    grouped = pc.fill_null(pc.match_substring_regex(values, THOUSANDS), False)
    return pc.if_else(grouped, pc.replace_substring(values, ",", ""), values)


def _excel_integer(values: pa.ChunkedArray) -> pa.ChunkedArray:
    return pc.replace_substring_regex(values, r"\.0+$", "")


def steps_for(cb: Codebook, column: str) -> list[Step]:
    """The normalization steps of one canonical column, in order."""
    item = cb.item(column.split("__", 1)[0])
    steps: list[Step] = [("trim", _trim), ("empty_to_null", _empty_to_null)]
    if item.is_numeric or item.type == "id":
        steps.append(("fullwidth", _fullwidth))
    if item.is_numeric:
        steps.append(("thousands_separator", _thousands))
    if item.type == "int":
        steps.append(("excel_integer", _excel_integer))
    return steps


def _changed(before: pa.ChunkedArray, after: pa.ChunkedArray) -> pa.ChunkedArray:
    differs = pc.or_kleene(pc.is_null(after), pc.not_equal(before, after))
    return pc.fill_null(pc.and_kleene(pc.is_valid(before), differs), False)


def _provenance(table: pa.Table, name: str, kind: pa.DataType) -> pa.ChunkedArray:
    if name in table.column_names:
        return pc.cast(table[name], kind)
    return pa.chunked_array([pa.nulls(table.num_rows, kind)])


def normalize(responses: pa.Table, cb: Codebook | None = None) -> tuple[pa.Table, pa.Table]:
    """Return the normalized table and the log of every change (schema `LOG_SCHEMA`)."""
    cb = cb or load_codebook()
    canonical = set(cb.all_columns())
    delivery = _provenance(responses, "delivery_id", pa.string())
    source_file = _provenance(responses, "source_file", pa.string())
    source_row = _provenance(responses, "source_row", pa.int64())
    logs: list[pa.Table] = []
    table = responses
    for i, name in enumerate(table.column_names):
        if name not in canonical or not pa.types.is_string(table.schema.field(name).type):
            continue
        values, changed = table[name], False
        for rule, step in steps_for(cb, name):
            after = step(values)
            mask = _changed(values, after)
            # An unchanged column keeps its original buffers: no second copy of the table.
            if pc.any(mask).as_py():
                logs.append(
                    pa.table(
                        {
                            "delivery_id": delivery.filter(mask),
                            "source_file": source_file.filter(mask),
                            "source_row": source_row.filter(mask),
                            "column_name": pa.repeat(name, pc.sum(mask).as_py()),
                            "before": values.filter(mask),
                            "after": after.filter(mask),
                            "rule": pa.repeat(rule, pc.sum(mask).as_py()),
                        },
                        schema=LOG_SCHEMA,
                    )
                )
                values, changed = after, True
        if changed:
            table = table.set_column(i, name, values)
    log = pa.concat_tables(logs) if logs else LOG_SCHEMA.empty_table()
    return table, log
