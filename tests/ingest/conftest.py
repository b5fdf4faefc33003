"""Hand-built deliveries for the ingestion tests, derived from the codebook.

A delivery starts as canonical rows (column -> code string, None = skipped);
writers turn them into the platform export (Chinese headers and labels) and the
paper template (ids and codes) the way docs/contracts.md describes.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import xlsxwriter

from orchestration.codebook import Codebook, Item, load_codebook
from orchestration.ingest.admission import register_zones
from orchestration.ingest.schema import REGISTER_COLUMNS
from orchestration.settings import Home

TEST_ZONES = ("GZ-02", "WH-03", "BJ-01")

Rows = list[dict[str, str | None]]


def first_wave(codebook: Codebook, version: str) -> int:
    return int(codebook.instruments[version]["first_wave"])


def _value(item: Item, version: str, i: int, j: int) -> str | None:
    """A deterministic canonical answer for row i (option index j of a multi item)."""
    if item.asked_if is not None and i % 3 == 0:
        return None  # skipped: the rule itself is the quality gate's business
    if item.is_multi:
        return "true" if (i + j) % 2 == 0 else "false"
    if item.is_choice:
        options = item.options_for(version)
        return options[i % len(options)].code
    if item.type == "int":
        return str(10 + i)
    if item.type == "num":
        return f"{i + 0.25}"
    return f"{item.id}-{i}"


def canonical_rows(codebook: Codebook, version: str, mode: str, n: int) -> Rows:
    rows: Rows = []
    for i in range(n):
        row: dict[str, str | None] = {}
        for item in codebook.delivered_items(version, mode):
            for j, column in enumerate(item.columns(version)):
                row[column] = _value(item, version, i, j)
        rows.append(row)
    return rows


def _items_by_column(codebook: Codebook, version: str) -> dict[str, Item]:
    return {c: it for it in codebook.items_for(version) for c in it.columns(version)}


def _platform_cell(codebook: Codebook, item: Item, value: str | None) -> str:
    conventions = codebook.platform
    if value is None:
        return conventions["skipped"]
    if item.is_multi and value in ("true", "false"):
        return conventions["multi_selected" if value == "true" else "multi_not_selected"]
    if item.is_choice and value in {o.code for o in item.options}:
        return item.option(value).zh
    return value  # numbers, text, and deliberately unknown labels


def platform_bytes(
    codebook: Codebook,
    version: str,
    rows: Rows,
    encoding: str,
    drop: tuple[str, ...] = (),
    extra: dict[str, str] | None = None,
) -> bytes:
    """The platform export of `rows`: numbered Chinese headers, labels, CRLF."""
    headers = {c: h for c, h in codebook.platform_headers(version).items() if c not in drop}
    items = _items_by_column(codebook, version)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([*headers.values(), *(extra or {})])
    for row in rows:
        cells = [_platform_cell(codebook, items[c], row.get(c)) for c in headers]
        writer.writerow(cells + list((extra or {}).values()))
    return out.getvalue().encode(encoding)


def paper_columns(codebook: Codebook, version: str) -> list[str]:
    return [c for it in codebook.delivered_items(version, "paper") for c in it.columns(version)]


def write_paper(codebook: Codebook, version: str, rows: Rows, path: Path, sheets: int = 1) -> Path:
    """The survey team's template: ids as headers, codes, numbers as numbers."""
    items = _items_by_column(codebook, version)
    columns = paper_columns(codebook, version)
    book = xlsxwriter.Workbook(str(path))
    # A fixed creation time: the same rows give the same bytes (xlsxwriter stamps "now").
    book.set_properties({"created": datetime(2020, 7, 1, tzinfo=UTC)})
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, columns)
    for r, row in enumerate(rows, start=1):
        for c, column in enumerate(columns):
            value, item = row.get(column), items[column]
            if value is None:
                continue
            if item.is_multi:
                sheet.write_number(r, c, 1 if value == "true" else 0)
            elif item.is_numeric:
                sheet.write_number(r, c, float(value))
            else:
                sheet.write_string(r, c, value)
    for _ in range(sheets - 1):
        book.add_worksheet()
    book.close()
    return path


def register_bytes(zone_id: str, counts: list[tuple[str, str, int]]) -> bytes:
    lines = [",".join(REGISTER_COLUMNS)]
    lines += [f"{zone_id},{section},{size},{n}" for section, size, n in counts]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


@dataclass
class Builder:
    """Writes delivery folders under a scratch directory."""

    root: Path
    codebook: Codebook

    def folder(self, name: str) -> Path:
        path = self.root / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def platform(self, folder: Path, version: str, rows: Rows, encoding: str, **kw) -> Path:
        path = folder / "platform_export.csv"
        path.write_bytes(platform_bytes(self.codebook, version, rows, encoding, **kw))
        return path

    def paper(self, folder: Path, version: str, rows: Rows, sheets: int = 1) -> Path:
        return write_paper(self.codebook, version, rows, folder / "paper_entries.xlsx", sheets)

    def register(self, folder: Path, zone_id: str, counts: list[tuple[str, str, int]]) -> Path:
        path = folder / "zone_register.csv"
        path.write_bytes(register_bytes(zone_id, counts))
        return path


@pytest.fixture
def codebook() -> Codebook:
    return load_codebook()


@pytest.fixture
def home(tmp_path: Path) -> Home:
    home = Home(tmp_path / "home").ensure()
    # Zones these tests deliver for beyond the reference ones: admission knows them.
    register_zones(home, TEST_ZONES)
    return home


@pytest.fixture
def build(tmp_path: Path, codebook: Codebook) -> Builder:
    return Builder(tmp_path / "deliveries", codebook)
