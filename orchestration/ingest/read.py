"""Read delivery files into Arrow tables of strings, in bulk.

Columns come out positional (`c0`, `c1`, ...) so that odd or repeated header cells
never clash; the caller maps positions onto canonical columns. `__source_row` is
the 1-based data row within the file. Cells come out trimmed.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import python_calamine

from orchestration.ingest.errors import DeliveryError

SOURCE_ROW = "__source_row"
NEWLINE = b"\n"
# Larger than detect.MAX_LINE_BYTES, so no record straddles two of Arrow's blocks.
CSV_BLOCK_BYTES = 4 << 20
# Excel stores every number as a float: integers come back as 12.0.
WHOLE_FLOAT = r"^(-?\d+)\.0$"


def positional(n: int) -> list[str]:
    return [f"c{i}" for i in range(n)]


def trimmed(table: pa.Table) -> pa.Table:
    """Every cell without surrounding Unicode whitespace (full-width spaces too).

    Arrow trims several times faster than DuckDB's trim() on CJK text.
    """
    return pa.table({n: pc.utf8_trim_whitespace(table[n]) for n in table.column_names})


def numbered(table: pa.Table) -> pa.Table:
    rows = pa.array(np.arange(1, table.num_rows + 1, dtype=np.int32))
    return table.append_column(SOURCE_ROW, rows)


def read_csv_file(path: Path, n_columns: int, name: str) -> pa.Table:
    """Parse a UTF-8 CSV file (header skipped) with every column as a string.

    Streamed in Arrow's blocks and trimmed block by block, so the untrimmed cells
    of the whole file are never held at once.
    """
    names = positional(n_columns)
    bad_rows: list[pacsv.InvalidRow] = []

    def refuse(row: pacsv.InvalidRow) -> str:
        bad_rows.append(row)  # called for invalid rows only
        return "error"

    try:
        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(
                column_names=names, skip_rows=1, block_size=CSV_BLOCK_BYTES
            ),
            parse_options=pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=refuse),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
            ),
        )
        batches = [trimmed(pa.Table.from_batches([batch])) for batch in reader]
    except pa.ArrowInvalid as exc:
        # `from None`: Arrow's message quotes the row, which may hold restricted answers
        # (USCC, names), and a chained cause would carry it into tracebacks and run logs.
        if bad_rows:
            raise DeliveryError(name, field_count_problem(path, bad_rows[0])) from None
        raise DeliveryError(name, f"malformed CSV: {without_row(str(exc))}") from None
    schema = pa.schema([(n, pa.string()) for n in names])
    table = pa.concat_tables(batches) if batches else schema.empty_table()
    return numbered(table)


def field_count_problem(path: Path, row: pacsv.InvalidRow) -> str:
    """Where a record has the wrong number of cells (never its content: it may be restricted)."""
    # Arrow gives no line number when values may hold newlines; find the record instead.
    # An error path: reading the whole file once more is fine here.
    data = path.read_bytes()
    at = data.find(row.text.encode("utf-8")) if row.text else -1
    where = f"line {data.count(NEWLINE, 0, at) + 1}" if at >= 0 else "a record"
    return (
        f"malformed CSV: {where}: Expected {row.expected_columns} fields like the header, "
        f"got {row.actual_columns} (file cut short, or a stray delimiter?)"
    )


def without_row(message: str) -> str:
    """Arrow's parse error without the quoted row text that may follow its reason."""
    first = message.splitlines()[0] if message else "unreadable"
    return ": ".join(first.split(": ")[:2])[:200]


def read_xlsx(data: bytes, name: str) -> tuple[list[str], pa.Table]:
    """(header cells, data rows as strings) of the only sheet of an XLSX workbook."""
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        rows = book.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except Exception as exc:  # calamine raises several unrelated types for broken files
        raise DeliveryError(name, f"cannot read as XLSX ({exc})") from exc
    if not rows:
        return [], numbered(pa.table({}))
    header = [str(cell).strip() for cell in rows[0]]
    names = positional(len(header))
    # calamine gives typed cells (float, str, bool, datetime, '' for empty);
    # pandas turns whole columns into text at once. Imported here, not at the top:
    # it costs about a second, which a refused CSV (`smesurvey ingest`) should not pay.
    import pandas as pd

    frame = pd.DataFrame(rows[1:], columns=names, dtype=object).astype(str)
    strings = pa.schema([(n, pa.string()) for n in names])
    table = trimmed(pa.Table.from_pandas(frame, schema=strings, preserve_index=False))
    table = pa.table({n: pc.replace_substring_regex(table[n], WHOLE_FLOAT, r"\1") for n in names})
    return header, numbered(table)
