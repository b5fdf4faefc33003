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
from pathlib import Path

import charset_normalizer
import numpy as np
import python_calamine

from orchestration.codebook import Codebook
from orchestration.ingest.errors import DeliveryError
from orchestration.ingest.scan import scan_text, transcode, utf8_reason
from orchestration.ingest.schema import REGISTER_COLUMNS

ZIP_MAGIC = b"PK\x03\x04"
# Enough of a decoded CSV to hold its header record.
HEADER_WINDOW = 1 << 20
# No questionnaire record comes near this; a longer line is a pasted blob (and
# would straddle the CSV reader's blocks).
MAX_LINE_BYTES = 1 << 20
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
# Delimiters a re-saved export may use instead of the comma (name for messages).
OTHER_DELIMITERS = {";": "';'", "\t": "tabs", "|": "'|'"}


class Kind(StrEnum):
    PLATFORM = "platform"
    PAPER = "paper"
    REGISTER = "register"
    UNKNOWN = "unknown"


# The A12_mode code each questionnaire file kind stands for (docs/contracts.md).
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


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _looks_utf16(data: bytes) -> bool:
    """UTF-16 puts the NUL of ASCII characters (delimiters, digits) always on the same side.

    Binary data has NULs at even and odd offsets alike.
    """
    nul = np.frombuffer(data[: 1 << 16], dtype=np.uint8) == 0
    even, odd = int(nul[0::2].sum()), int(nul[1::2].sum())
    return max(even, odd) >= 8 and 20 * min(even, odd) <= max(even, odd)


def check_no_nul(data: bytes, name: str) -> None:
    """Text that decoded may still hold NUL bytes: binary data or UTF-16 without BOM."""
    nul = data.find(b"\x00")
    if nul >= 0:
        raise nul_error(data, nul, _line_of(data, nul), name)


def nul_error(head: bytes, nul: int, line: int, name: str) -> DeliveryError:
    what = "UTF-16 text without byte-order mark" if _looks_utf16(head) else "binary data"
    return DeliveryError(
        name, f"NUL byte at line {line} (byte {nul:,}): {what}, not a CSV text export"
    )


def check_text_bytes(data: bytes, name: str) -> None:
    """Refuse bytes that cannot be a CSV export before decoding: empty, giant lines."""
    if not data:
        raise DeliveryError(name, "is empty (0 bytes)")
    # Line lengths from the newline positions, in bulk (the file is in memory anyway).
    ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == ord("\n"))
    bounds = np.concatenate(([-1], ends, [len(data)]))
    lengths = np.diff(bounds) - 1
    longest = int(np.argmax(lengths))
    if lengths[longest] > MAX_LINE_BYTES:
        raise DeliveryError(
            name,
            f"line {longest + 1} is {int(lengths[longest]):,} bytes long "
            f"(limit {MAX_LINE_BYTES:,}): not a questionnaire export",
        )


def decode_text(data: bytes, name: str) -> tuple[str, str]:
    """Decode CSV bytes strictly as UTF-8 (with or without BOM), else GB18030.

    Repeated UTF-8 BOMs (a tool that added its own to a file that had one) are
    dropped like the first one when the rest is valid UTF-8.
    """
    if data.startswith(codecs.BOM_UTF8):
        body = data
        while body.startswith(codecs.BOM_UTF8):
            body = body[len(codecs.BOM_UTF8) :]
        try:
            return body.decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise DeliveryError(name, f"has a UTF-8 BOM but is not UTF-8 ({exc.reason})") from exc
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise undecodable(data, name)


def undecodable(head: bytes, name: str) -> DeliveryError:
    """Neither UTF-8 nor GB18030: say what the first bytes look like instead."""
    if head.startswith(UTF16_BOMS):
        return DeliveryError(
            name, "cannot decode as UTF-8 or GB18030: it is UTF-16 (byte-order mark), export again"
        )
    guess = charset_normalizer.from_bytes(head[:HEADER_WINDOW]).best()
    hint = f" (looks like {guess.encoding})" if guess is not None else ""
    return DeliveryError(name, f"cannot decode as UTF-8 or GB18030{hint}")


def check_text_file(path: Path, head: bytes, name: str) -> str:
    """Every byte of a CSV checked in one streamed pass, like `check_text_bytes`,
    `decode_text` and `check_no_nul` in that order; returns the encoding.

    A GB18030 file is only fully decoded when it is transcoded for reading
    (`ingest.scan.utf8_copy`), which raises `undecodable` if it fails.
    """
    scan = scan_text(path)
    if scan.size == 0:
        raise DeliveryError(name, "is empty (0 bytes)")
    if scan.longest_bytes > MAX_LINE_BYTES:
        raise DeliveryError(
            name,
            f"line {scan.longest_line} is {scan.longest_bytes:,} bytes long "
            f"(limit {MAX_LINE_BYTES:,}): not a questionnaire export",
        )
    if scan.bom_bytes and not scan.utf8:
        reason = utf8_reason(path, scan.bom_bytes)
        raise DeliveryError(name, f"has a UTF-8 BOM but is not UTF-8 ({reason})")
    encoding = "utf-8-sig" if scan.bom_bytes else "utf-8" if scan.utf8 else "gb18030"
    if scan.first_nul is not None and scan.nul_line is not None:
        if encoding == "gb18030" and not transcode(path, encoding, Path("/dev/null")):
            raise undecodable(head, name)
        raise nul_error(head, scan.first_nul, scan.nul_line, name)
    return encoding


def decode_head(head: bytes, encoding: str, name: str) -> str:
    """The head window decoded (a character cut at its end is left out)."""
    body = head
    while body.startswith(codecs.BOM_UTF8):
        body = body[len(codecs.BOM_UTF8) :]
    try:
        return codecs.getincrementaldecoder(encoding.removesuffix("-sig"))().decode(body)
    except UnicodeDecodeError:
        raise undecodable(head, name) from None


def first_record(text: str, delimiter: str = ",") -> list[str]:
    """The header record of a CSV text (quoted cells and all)."""
    return next(csv.reader(io.StringIO(text[:HEADER_WINDOW]), delimiter=delimiter), [])


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
    text: str | None  # the decoded head window of a CSV (holds the header), None for XLSX
    head: bytes = b""  # the first bytes of the file, for messages about its encoding


def read_head(path: Path) -> bytes:
    # One byte more than the line limit, so a first line too long to be a record shows.
    with path.open("rb") as fh:
        return fh.read(max(HEADER_WINDOW, MAX_LINE_BYTES) + 2)


def _complete_lines(head: bytes, size: int) -> bytes:
    """The head without a line cut off at its end (the whole head if it has no newline)."""
    if size <= len(head):
        return head
    cut = head.rfind(b"\n")
    return head[: cut + 1] if cut >= 0 else head


def file_head(path: Path, codebook: Codebook, *, whole: bool = True) -> FileHead:
    """Kind, encoding and header of one file.

    `whole` checks every byte of a CSV, streamed (parsing); otherwise only the head
    window is inspected (the landing manifest), so memory stays flat at any size.
    """
    name = path.name
    head = read_head(path)
    if head.startswith(ZIP_MAGIC):
        return FileHead(Kind.PAPER, None, xlsx_header(path.read_bytes(), name), None, head)
    if whole:
        encoding = check_text_file(path, head, name)
        text = decode_head(head, encoding, name)
    else:
        lines = _complete_lines(head, path.stat().st_size)
        check_text_bytes(lines, name)
        text, encoding = decode_text(lines, name)
        check_no_nul(lines, name)
    cells = first_record(text)
    return FileHead(classify_csv(cells, codebook), encoding, cells, text, head)


def unknown_kind_problem(head: FileHead, codebook: Codebook) -> str:
    """Why a file's header matches no delivery file, as specific as the bytes allow."""
    if head.text is not None and len(head.cells) == 1:
        for delimiter, shown in OTHER_DELIMITERS.items():
            cells = first_record(head.text, delimiter)
            if len(cells) > 1 and classify_csv(cells, codebook) is not Kind.UNKNOWN:
                return f"cells are separated by {shown}, expected commas: export as CSV"
    return "header matches neither the platform export, the paper template nor the zone register"


def inspect_file(path: Path, codebook: Codebook) -> FileInfo:
    """Describe a file for the landing manifest from its head; never raises for bad content."""
    name = path.name
    try:
        head = file_head(path, codebook, whole=False)
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
