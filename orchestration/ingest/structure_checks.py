"""File-structure checks on a read delivery file (positional string tables, see read.py).

Each raises DeliveryError with the file name and the first offending line, so a
structural problem blocks the delivery instead of silently losing or inventing
answers. Everything runs over whole Arrow columns.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from orchestration.codebook import Codebook
from orchestration.ingest.errors import DeliveryError
from orchestration.ingest.read import SOURCE_ROW
from orchestration.ingest.schema import REGISTER_SECTION_ITEM

WHOLE_NUMBER = r"^[0-9]+$"


def column_letter(index: int) -> str:
    """Spreadsheet column name of a 0-based position (0 -> A, 27 -> AB)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _first(mask: pa.ChunkedArray | pa.Array) -> int | None:
    """Position of the first True (None when there is none)."""
    hits = pc.indices_nonzero(pc.fill_null(mask, False))
    return hits[0].as_py() if len(hits) else None


def check_named_columns(source: pa.Table, cells: list[str], name: str) -> None:
    """A column holding answers under an empty header cell would be dropped unseen.

    Merged header cells leave all but the first cell empty in the file.
    """
    for i, cell in enumerate(cells):
        if cell.strip():
            continue
        if pc.any(pc.not_equal(source[f"c{i}"], "")).as_py():
            raise DeliveryError(
                name,
                f"column {i + 1} ({column_letter(i)}) holds answers but has no header "
                "(merged header cells?)",
            )


def check_header_not_repeated(source: pa.Table, cells: list[str], name: str) -> None:
    """A data row equal to the header means two files were pasted into one."""
    if not cells or source.num_rows == 0:
        return
    same = pc.equal(source["c0"], cells[0].strip())
    for i, cell in enumerate(cells[1:], start=1):
        same = pc.and_(same, pc.equal(source[f"c{i}"], cell.strip()))
    row = _first(same)
    if row is not None:
        raise DeliveryError(
            name,
            f"data row {source[SOURCE_ROW][row].as_py()} repeats the header record "
            "(two exports pasted into one file?)",
        )


def _register_rules(codebook: Codebook) -> list[tuple[str, pa.Array | None, str]]:
    """(column, allowed values or None for a whole number, problem) of the register."""
    sizes = codebook.size_class_order
    sections = [o.code for o in codebook.item(REGISTER_SECTION_ITEM).options]
    return [
        ("industry_section", pa.array(sections), f"is not a code of {REGISTER_SECTION_ITEM}"),
        ("size_class", pa.array(sizes), f"is not one of {'/'.join(sizes)}"),
        ("n_enterprises", None, "is not a whole number"),
    ]


def check_register(
    source: pa.Table, position: dict[str, str], name: str, codebook: Codebook
) -> None:
    """Strata must be codebook codes with whole-number counts, each stratum once.

    A bad count would load as NULL and silently drop its stratum from the weights.
    """
    columns = {c: source[p] for c, p in position.items()}
    filled = None
    for values in columns.values():
        present = pc.not_equal(values, "")
        filled = present if filled is None else pc.or_(filled, present)
    for column, allowed, problem in _register_rules(codebook):
        values = columns[column]
        ok = (
            pc.match_substring_regex(values, WHOLE_NUMBER)
            if allowed is None
            else pc.is_in(values, value_set=allowed)
        )
        row = _first(pc.and_(filled, pc.invert(ok)))
        if row is not None:
            line = source[SOURCE_ROW][row].as_py() + 1
            raise DeliveryError(name, f"{column} {values[row].as_py()!r} on line {line} {problem}")
    strata = pa.table(
        {"section": columns["industry_section"], "size": columns["size_class"], "f": filled}
    ).filter(filled)
    counts = strata.group_by(["section", "size"]).aggregate([("f", "count")])
    repeated = counts.filter(pc.greater(counts["f_count"], 1))
    if repeated.num_rows:
        first = repeated.slice(0, 1).to_pylist()[0]
        raise DeliveryError(
            name,
            f"stratum industry_section {first['section']}, size_class {first['size']} "
            f"is listed {first['f_count']} times",
        )
