"""Delivery files of one zone-wave: platform CSV, paper XLSX, zone register.

Formats follow the shared contract: the platform prints Chinese headers and
labels (`Codebook.platform_headers`), the paper template holds item ids and codes.
Both are deterministic: same sample, same bytes.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import xlsxwriter

from orchestration.codebook import Codebook, Item
from orchestration.demo.answers import Columns
from orchestration.demo.register import REGISTER_HEADER

PLATFORM_FILE = "platform_export.csv"
PAPER_FILE = "paper_entries.xlsx"
REGISTER_FILE = "zone_register.csv"
CSV_CHUNK_ROWS = 100_000
MULTI_CELLS = np.array([None, 0, 1], dtype=object)  # skipped, not selected, selected


def platform_encoding(wave: int) -> str:
    """The platform switched encodings between years: UTF-8 with BOM in even waves."""
    return "utf-8-sig" if wave % 2 == 0 else "gb18030"


def _platform_column(cb: Codebook, item: Item, values: np.ndarray) -> pa.Array:
    """Labels as a dictionary array: the CSV writer prints the label, nothing is copied."""
    skipped = cb.platform["skipped"]
    if item.is_multi:
        labels = pa.array(
            [skipped, cb.platform["multi_not_selected"], cb.platform["multi_selected"]]
        )
        return pa.DictionaryArray.from_arrays(pa.array(values + 1), labels)
    if item.is_choice:
        labels = pa.array([skipped, *(o.zh for o in item.options)])
        return pa.DictionaryArray.from_arrays(pa.array(values + 1), labels)
    if item.type == "num":
        return pa.array(np.round(values.astype(np.float64), 1))
    if item.type == "int":
        return pa.array(values.astype(np.int64))
    return pa.array(values if values.dtype.kind == "U" else values.astype(str))


def platform_table(cb: Codebook, version: str, values: Columns, rows: np.ndarray) -> pa.Table:
    """The electronic questionnaires `rows` as the platform exports them."""
    headers = cb.platform_headers(version)
    arrays, names = [], []
    for item in cb.delivered_items(version, "electronic"):
        for column in item.columns(version):
            arrays.append(_platform_column(cb, item, values[column][rows]))
            names.append(headers[column])
    return pa.Table.from_arrays(arrays, names=names)


def write_platform_csv(table: pa.Table, path: Path, encoding: str) -> None:
    """CSV in chunks, re-encoded chunk by chunk when the wave's encoding is not UTF-8."""
    with path.open("wb") as out:
        if encoding == "utf-8-sig":
            out.write("\ufeff".encode())
        for start in range(0, max(table.num_rows, 1), CSV_CHUNK_ROWS):
            buffer = io.BytesIO()
            options = pacsv.WriteOptions(include_header=start == 0)
            pacsv.write_csv(table.slice(start, CSV_CHUNK_ROWS), buffer, options)
            chunk = buffer.getvalue()
            if encoding not in {"utf-8", "utf-8-sig"}:
                chunk = chunk.decode("utf-8").encode(encoding)
            out.write(chunk)


def _paper_column(item: Item, values: np.ndarray) -> list[object]:
    if item.is_multi:
        return MULTI_CELLS[values.astype(np.int64) + 1].tolist()
    if item.is_choice:
        codes = np.array([None, *(o.code for o in item.options)], dtype=object)
        return codes[values.astype(np.int64) + 1].tolist()
    if item.type == "num":
        return np.round(values.astype(np.float64), 1).tolist()
    if item.type == "int":
        return values.astype(np.int64).tolist()
    return values.astype(str).tolist()


def paper_columns(
    cb: Codebook, version: str, values: Columns, rows: np.ndarray
) -> tuple[list[str], list[list[object]]]:
    """Header (canonical column ids) and one list per column for the paper template."""
    header, columns = [], []
    for item in cb.delivered_items(version, "paper"):
        for column in item.columns(version):
            header.append(column)
            columns.append(_paper_column(item, values[column][rows]))
    return header, columns


def write_paper_xlsx(header: list[str], columns: list[list[object]], path: Path, wave: int) -> None:
    """One sheet, codes as strings, numbers as numbers, blanks for skipped questions."""
    workbook = xlsxwriter.Workbook(
        str(path),
        {
            "constant_memory": True,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    # a fixed creation date: the file's bytes depend on the data only
    workbook.set_properties({"created": dt.datetime(wave, 7, 1), "author": "smesurvey demo"})
    sheet = workbook.add_worksheet("questionnaires")
    sheet.write_row(0, 0, header)
    write_row = sheet.write_row
    for r, row in enumerate(zip(*columns, strict=True), start=1):
        write_row(r, 0, row)
    workbook.close()


def write_register(rows: list[tuple[str, str, str, int]], path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(REGISTER_HEADER)
        writer.writerows(rows)
