"""What a delivery file is: its encoding, kind, columns and instrument version.

Decided from the bytes, not from the file name, and driven by the codebook: a
platform export is a CSV whose headers are the codebook's Chinese headers, a paper
template is an XLSX whose headers are canonical column ids, a zone register is a
CSV with the register header.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass
from enum import StrEnum

import charset_normalizer
import python_calamine

from orchestration.codebook import Codebook
from orchestration.ingest.errors import DeliveryError
from orchestration.ingest.schema import REGISTER_COLUMNS

ZIP_MAGIC = b"PK\x03\x04"
# Enough of a decoded CSV to hold its header record.
HEADER_WINDOW = 1 << 20


class Kind(StrEnum):
    PLATFORM = "platform"
    PAPER = "paper"
    REGISTER = "register"
    UNKNOWN = "unknown"


# The A12_mode code each questionnaire file kind stands for (contracts.md).
MODE_OF_KIND: dict[Kind, str] = {Kind.PLATFORM: "electronic", Kind.PAPER: "paper"}


@dataclass(frozen=True)
class FileInfo:
    """What landing records about one file (problem set when it cannot be read)."""

    name: str
    kind: Kind
    encoding: str | None
    instrument_version: str | None
    unknown_columns: tuple[str, ...]
    problem: str | None = None


@dataclass(frozen=True)
class ColumnMatch:
    """How a file's header cells map onto canonical columns of one version."""

    version: str
    columns: tuple[str | None, ...]  # per header cell: canonical column, None if unknown
    unknown: tuple[str, ...]  # header cells matching nothing (ignored, reported)
    missing: tuple[str, ...]  # canonical columns of the version the file lacks


def decode_text(data: bytes, name: str) -> tuple[str, str]:
    """Decode CSV bytes strictly as UTF-8 (with or without BOM), else GB18030."""
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[len(codecs.BOM_UTF8) :].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise DeliveryError(name, f"has a UTF-8 BOM but is not UTF-8 ({exc.reason})") from exc
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    guess = charset_normalizer.from_bytes(data[:HEADER_WINDOW]).best()
    hint = f" (looks like {guess.encoding})" if guess is not None else ""
    raise DeliveryError(name, f"cannot decode as UTF-8 or GB18030{hint}")


def first_record(text: str) -> list[str]:
    """The header record of a CSV text (quoted cells and all)."""
    return next(csv.reader(io.StringIO(text[:HEADER_WINDOW])), [])


def xlsx_header(data: bytes, name: str) -> list[str]:
    """Header row of the only sheet of an XLSX (more sheets is an error for now)."""
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets = book.sheet_names
        rows = book.get_sheet_by_index(0).to_python(nrows=1) if sheets else []
    except Exception as exc:  # calamine raises several unrelated types for broken files
        raise DeliveryError(name, f"cannot read as XLSX ({exc})") from exc
    if len(sheets) != 1:
        raise DeliveryError(name, f"expected one sheet, found {len(sheets)}: {', '.join(sheets)}")
    return [str(cell).strip() for cell in rows[0]] if rows else []


def prefix_pattern(codebook: Codebook) -> re.Pattern[str]:
    """The platform's question-number prefix (e.g. `12、`) as a regex."""
    before, _, after = codebook.platform["question_prefix"].partition("{n}")
    return re.compile(r"^\s*" + re.escape(before) + r"\d+" + re.escape(after))


def normalize_header(cell: str, pattern: re.Pattern[str]) -> str:
    return pattern.sub("", cell.strip(), count=1).strip()


def platform_vocabulary(codebook: Codebook) -> dict[str, dict[str, str]]:
    """version -> {platform header without number: canonical column}."""
    pattern = prefix_pattern(codebook)
    return {
        version: {
            normalize_header(header, pattern): column
            for column, header in codebook.platform_headers(version).items()
        }
        for version in codebook.versions
    }


def paper_vocabulary(codebook: Codebook) -> dict[str, dict[str, str]]:
    """version -> {paper template header: canonical column} (headers are the ids)."""
    return {
        version: {
            column: column
            for item in codebook.delivered_items(version, MODE_OF_KIND[Kind.PAPER])
            for column in item.columns(version)
        }
        for version in codebook.versions
    }


def vocabulary(codebook: Codebook, kind: Kind) -> dict[str, dict[str, str]]:
    if kind is Kind.PLATFORM:
        return platform_vocabulary(codebook)
    if kind is Kind.PAPER:
        return paper_vocabulary(codebook)
    raise ValueError(f"{kind} files carry no questionnaire columns")


def header_keys(cells: list[str], kind: Kind, codebook: Codebook) -> list[str]:
    if kind is Kind.PLATFORM:
        pattern = prefix_pattern(codebook)
        return [normalize_header(cell, pattern) for cell in cells]
    return [cell.strip() for cell in cells]


def classify_csv(cells: list[str], codebook: Codebook) -> Kind:
    stripped = {cell.strip() for cell in cells}
    if set(REGISTER_COLUMNS) <= stripped:
        return Kind.REGISTER
    keys = set(header_keys(cells, Kind.PLATFORM, codebook))
    if any(keys & set(headers) for headers in platform_vocabulary(codebook).values()):
        return Kind.PLATFORM
    return Kind.UNKNOWN


def detect_version(keys: list[str], vocab: dict[str, dict[str, str]]) -> str | None:
    """The version whose columns the header fits best: matched minus missing columns.

    Version-specific columns decide it (v2022's B3b_cloud_share, G4_ai_plan, ...);
    None when two versions fit equally well.
    """
    present = set(keys)
    scores = {v: len(present & set(h)) - len(set(h) - present) for v, h in vocab.items()}
    best = max(scores.values())
    winners = [v for v, score in scores.items() if score == best]
    return winners[0] if len(winners) == 1 else None


def match_columns(
    cells: list[str], kind: Kind, version: str, codebook: Codebook, name: str
) -> ColumnMatch:
    headers = vocabulary(codebook, kind)[version]
    keys = header_keys(cells, kind, codebook)
    columns = tuple(headers.get(key) for key in keys)
    seen: set[str] = set()
    for cell, column in zip(cells, columns, strict=True):
        if column is not None and column in seen:
            raise DeliveryError(name, f"column {column} appears twice (header {cell.strip()!r})")
        if column is not None:
            seen.add(column)
    return ColumnMatch(
        version=version,
        columns=columns,
        unknown=tuple(c.strip() for c, col in zip(cells, columns, strict=True) if col is None),
        missing=tuple(col for col in headers.values() if col not in seen),
    )


@dataclass(frozen=True)
class FileHead:
    kind: Kind
    encoding: str | None  # None for XLSX
    cells: list[str]  # header cells as written
    text: str | None  # the decoded CSV, None for XLSX


def file_head(data: bytes, name: str, codebook: Codebook) -> FileHead:
    """Kind, encoding and header of one file's bytes."""
    if data.startswith(ZIP_MAGIC):
        return FileHead(Kind.PAPER, None, xlsx_header(data, name), None)
    text, encoding = decode_text(data, name)
    cells = first_record(text)
    return FileHead(classify_csv(cells, codebook), encoding, cells, text)


def inspect_file(name: str, data: bytes, codebook: Codebook) -> FileInfo:
    """Describe a file for the landing manifest; never raises for bad content."""
    try:
        head = file_head(data, name, codebook)
    except DeliveryError as exc:
        return FileInfo(name, Kind.UNKNOWN, None, None, (), problem=exc.problem)
    if head.kind not in MODE_OF_KIND:
        return FileInfo(name, head.kind, head.encoding, None, ())
    keys = header_keys(head.cells, head.kind, codebook)
    vocab = vocabulary(codebook, head.kind)
    version = detect_version(keys, vocab)
    unknown: tuple[str, ...] = ()
    if version is not None:
        unknown = tuple(
            c.strip() for c, k in zip(head.cells, keys, strict=True) if k not in vocab[version]
        )
    return FileInfo(name, head.kind, head.encoding, version, unknown)
