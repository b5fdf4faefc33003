"""Turn a clean demo delivery into a defective one, as `cases.yaml` describes.

A case is a list of steps; each step names an operation of `OPERATIONS` and its
arguments. Operations work on the files' bytes (encodings, line ends, BOMs), on
CSV records (cells addressed by canonical column through the codebook's headers)
or on the XLSX workbook (openpyxl). Every cell edit is remembered as an `Edit`
(file, column, 1-based data row, value) so the test knows where to look.
"""

from __future__ import annotations

import codecs
import csv
import io
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import openpyxl
import yaml

from orchestration.codebook import Codebook, load_codebook
from orchestration.demo.generator import GeneratorConfig, write_deliveries

CASES_PATH = Path(__file__).with_name("cases.yaml")
ZONE = "SH-01"  # the first demo zone
SEED = 20240607
FIRMS = 100  # one bad row is 1% of the delivery, under the 5% threshold
PLATFORM = "platform_export.csv"
PAPER = "paper_entries.xlsx"
REGISTER = "zone_register.csv"


@dataclass(frozen=True)
class Case:
    id: str
    description: str
    wave: int
    steps: tuple[dict[str, Any], ...]
    expect: dict[str, Any]
    ingest_wave: int | None = None  # the wave the delivery is filed under (default: wave)
    slow: bool = False

    @property
    def filed_wave(self) -> int:
        return self.ingest_wave if self.ingest_wave is not None else self.wave


def load_cases(path: Path = CASES_PATH) -> list[Case]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    cases = [
        Case(
            id=entry["id"],
            description=" ".join(entry["description"].split()),
            wave=int(entry.get("wave", 2021)),
            steps=tuple(entry.get("steps") or ()),
            expect=dict(entry["expect"]),
            ingest_wave=entry.get("ingest_wave"),
            slow=bool(entry.get("slow", False)),
        )
        for entry in raw["cases"]
    ]
    ids = [c.id for c in cases]
    assert len(set(ids)) == len(ids), "case ids must be unique"
    return cases


@dataclass(frozen=True)
class Edit:
    file: str
    column: str
    row: int  # 1-based data row within the file (= raw source_row)
    value: Any


@dataclass
class Delivery:
    """The files of one delivery in memory, plus the edits made to them."""

    wave: int
    files: dict[str, bytes]
    clean: Callable[[int], dict[str, bytes]]  # clean files of another wave, same zone
    edits: list[Edit] = field(default_factory=list)
    zone: str = ZONE

    @property
    def cb(self) -> Codebook:
        return load_codebook()

    @property
    def version(self) -> str:
        return self.cb.version_for_wave(self.wave)

    def write(self, folder: Path) -> list[Path]:
        folder.mkdir(parents=True, exist_ok=True)
        paths = []
        for name, data in self.files.items():
            (folder / name).write_bytes(data)
            paths.append(folder / name)
        return paths


# ---------------------------------------------------------------- clean deliveries


@cache
def _generated(root: Path, wave: int, zones: int = 1) -> Path:
    """The generator's deliveries of the first `zones` demo zones in `wave` (once per root)."""
    folder = root / f"clean-{wave}-{zones}"
    if not folder.is_dir():
        config = GeneratorConfig(zones=zones, waves=(wave,), seed=SEED, firms_per_zone=FIRMS)
        write_deliveries(config, folder)
    return folder


def clean_zones(root: Path, wave: int, zones: int) -> list[str]:
    """Zones with a clean delivery in `wave` among the first `zones` (distinct enterprises)."""
    return sorted(p.parent.name for p in _generated(root, wave, zones).glob(f"*/{wave}"))


def clean_files(root: Path, wave: int, zone: str = ZONE, zones: int = 1) -> dict[str, bytes]:
    """The generator's delivery of `zone` in `wave`."""
    folder = _generated(root, wave, zones) / zone / str(wave)
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def make_delivery(case: Case, root: Path, zone: str = ZONE, zones: int = 1) -> Delivery:
    """The case's defective delivery, made from `zone`'s clean one (of `zones` generated)."""
    delivery = Delivery(
        case.wave,
        clean_files(root, case.wave, zone, zones),
        lambda w: clean_files(root, w, zone, zones),
        zone=zone,
    )
    for step in case.steps:
        args = dict(step)
        OPERATIONS[args.pop("op")](delivery, **args)
    return delivery


def copy_clean(root: Path, wave: int, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    source = _generated(root, wave) / ZONE / str(wave)
    return [Path(shutil.copy2(p, folder)) for p in sorted(source.iterdir())]


# ---------------------------------------------------------------- CSV records


@dataclass
class CsvFile:
    bom: bytes
    encoding: str
    records: list[list[str]]

    @classmethod
    def read(cls, data: bytes) -> CsvFile:
        if data.startswith(codecs.BOM_UTF8):
            bom, encoding = codecs.BOM_UTF8, "utf-8"
        else:
            bom, encoding = b"", "utf-8" if _is_utf8(data) else "gb18030"
        text = data[len(bom) :].decode(encoding)
        return cls(bom, encoding, list(csv.reader(io.StringIO(text, newline=""))))

    def dump(self, newline: str = "\r\n") -> bytes:
        out = io.StringIO()
        csv.writer(out, lineterminator=newline).writerows(self.records)
        return self.bom + out.getvalue().encode(self.encoding)


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _column_index(d: Delivery, header: list[str], column: str) -> int:
    """Position of a canonical column (or of a literal header) in a header row."""
    wanted = [d.cb.platform_headers(d.version).get(column), column]
    for i, cell in enumerate(header):
        if cell.lstrip("\ufeff") in wanted:
            return i
    raise KeyError(f"no column {column} in {header[:5]}...")


def _label(d: Delivery, column: str, code: str, file: str) -> str:
    """How a canonical code reads in `file` (platform label or paper code)."""
    if file != PLATFORM:
        return code
    item = d.cb.item(column.split("__", 1)[0])
    return item.option(code).zh if item.is_choice else code


def _matching_rows(
    d: Delivery, file: str, values: list[list[str]], header: list[str], where: dict[str, Any]
) -> list[int]:
    """0-based data rows whose `where.column` is (or is not) one of the codes."""
    i = _column_index(d, header, where["column"])
    if "in" in where:
        labels = {_label(d, where["column"], c, file) for c in where["in"]}
        return [r for r, row in enumerate(values) if row[i] in labels]
    labels = {_label(d, where["column"], c, file) for c in where["not_in"]}
    return [r for r, row in enumerate(values) if row[i] not in labels]


def _target_rows(d: Delivery, file: str, values, header, row, where, count) -> list[int]:
    rows = [row - 1] if row is not None else _matching_rows(d, file, values, header, where)
    assert len(rows) >= count, f"{file}: only {len(rows)} rows match {where}"
    return rows[:count]


def _context(d: Delivery) -> dict[str, Any]:
    return {"wave": d.wave, "next_wave": d.wave + 1, "zone": d.zone}


def _set_csv(d, file, column, value, row, where, count) -> None:
    doc = CsvFile.read(d.files[file])
    header, values = doc.records[0], doc.records[1:]
    i = _column_index(d, header, column)
    text = str(value).format(**_context(d))
    for r in _target_rows(d, file, values, header, row, where, count):
        values[r][i] = text
        d.edits.append(Edit(file, column, r + 1, text))
    d.files[file] = doc.dump()


def _set_xlsx(d, file, column, value, row, where, count, date_format) -> None:
    book = openpyxl.load_workbook(io.BytesIO(d.files[file]))
    sheet = book.worksheets[0]
    header = [str(c.value) for c in sheet[1]]
    rows = sheet.iter_rows(min_row=2, values_only=True)
    values = [["" if v is None else str(v) for v in r] for r in rows]
    i = _column_index(d, header, column)
    if isinstance(value, str):
        value = value.format(**_context(d))
    for r in _target_rows(d, file, values, header, row, where, count):
        cell = sheet.cell(r + 2, i + 1)
        cell.value = value
        if date_format:
            cell.number_format = date_format
        d.edits.append(Edit(file, column, r + 1, value))
    d.files[file] = _save(book)


def _save(book: openpyxl.Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# ---------------------------------------------------------------- operations


def set_cell(
    d: Delivery,
    file: str,
    column: str,
    value: Any,
    row: int | None = None,
    where: dict[str, Any] | None = None,
    count: int = 1,
    date_format: str | None = None,
) -> None:
    """Put `value` into `column` of data row `row` (1-based) or of the first rows matching."""
    if file.endswith(".xlsx"):
        _set_xlsx(d, file, column, value, row, where, count, date_format)
    else:
        _set_csv(d, file, column, value, row, where, count)


def set_date(d: Delivery, file: str, column: str, row: int, value: str, fmt: str) -> None:
    """An XLSX date cell (Excel stores a serial number with a date format)."""
    set_cell(d, file, column, date.fromisoformat(value), row=row, date_format=fmt)


def copy_cell(d: Delivery, file: str, column: str, from_row: int, to_row: int) -> None:
    doc = CsvFile.read(d.files[file])
    i = _column_index(d, doc.records[0], column)
    set_cell(d, file, column, doc.records[from_row][i], row=to_row)


def flip_uscc_check(d: Delivery, file: str, column: str, row: int) -> None:
    """Replace the check character by another character of the GB 32100 alphabet."""
    doc = CsvFile.read(d.files[file])
    i = _column_index(d, doc.records[0], column)
    code = doc.records[row][i]
    set_cell(d, file, column, code[:17] + ("0" if code[17] != "0" else "1"), row=row)


def rename_header(d: Delivery, file: str, column: str, header: str) -> None:
    doc = CsvFile.read(d.files[file])
    doc.records[0][_column_index(d, doc.records[0], column)] = header
    d.files[file] = doc.dump()


def add_column(
    d: Delivery, file: str, value: str, header: str | None = None, same_as: str | None = None
) -> None:
    """Append a column; `same_as` repeats an existing column's header (and its values)."""
    doc = CsvFile.read(d.files[file])
    if same_as is not None:
        i = _column_index(d, doc.records[0], same_as)
        doc.records[0].append(doc.records[0][i])
        for rec in doc.records[1:]:
            rec.append(rec[i])
    else:
        doc.records[0].append(str(header))
        for rec in doc.records[1:]:
            rec.append(value)
    d.files[file] = doc.dump()


def repeat_header(d: Delivery, file: str, after_row: int) -> None:
    """The header record again after data row `after_row` (two exports pasted together)."""
    doc = CsvFile.read(d.files[file])
    doc.records.insert(after_row + 1, list(doc.records[0]))
    d.files[file] = doc.dump()


def keep_lines(d: Delivery, file: str, lines: int) -> None:
    d.files[file] = b"".join(d.files[file].splitlines(keepends=True)[:lines])


def cut_last_line(d: Delivery, file: str, keep: float) -> None:
    """Cut the file inside its last record (`keep`: share of that record left)."""
    data = d.files[file].rstrip(b"\r\n")
    start = data.rfind(b"\n") + 1
    d.files[file] = data[: start + int((len(data) - start) * keep)]


def delimiter(d: Delivery, file: str, sep: str) -> None:
    doc = CsvFile.read(d.files[file])
    out = io.StringIO()
    csv.writer(out, delimiter=sep, lineterminator="\r\n").writerows(doc.records)
    d.files[file] = doc.bom + out.getvalue().encode(doc.encoding)


def reencode(d: Delivery, file: str, encoding: str, prefix: str = "") -> None:
    """Decode the file and encode it again (optionally after some bytes, given as hex)."""
    doc = CsvFile.read(d.files[file])
    text = d.files[file][len(doc.bom) :].decode(doc.encoding)
    d.files[file] = bytes.fromhex(prefix) + text.encode(encoding)


def prefix_bytes(d: Delivery, file: str, hex: str) -> None:
    d.files[file] = bytes.fromhex(hex) + d.files[file]


def mixed_line_ends(d: Delivery, file: str) -> None:
    """Records alternate between CRLF and LF endings."""
    lines = d.files[file].splitlines()
    ends = [b"\r\n" if i % 2 else b"\n" for i in range(len(lines))]
    d.files[file] = b"".join(line + end for line, end in zip(lines, ends, strict=True))


def append_long_line(d: Delivery, file: str, megabytes: int) -> None:
    """One quoted cell of `megabytes` MB as an extra record (no line break inside)."""
    d.files[file] = d.files[file] + b'"' + b"x" * (megabytes << 20) + b'"\r\n'


def write_file(d: Delivery, file: str, text: str = "", hex: str = "") -> None:
    d.files[file] = text.encode("utf-8") + bytes.fromhex(hex)


def drop_file(d: Delivery, file: str) -> None:
    del d.files[file]


def file_from(d: Delivery, file: str, source: str, wave: int | None = None) -> None:
    """`file` gets the bytes of the clean delivery's `source` (of another wave if given)."""
    d.files[file] = d.clean(wave or d.wave)[source]


def xlsx_merge_header(d: Delivery, file: str, first: str, last: str) -> None:
    book = openpyxl.load_workbook(io.BytesIO(d.files[file]))
    sheet = book.worksheets[0]
    header = [str(c.value) for c in sheet[1]]
    start, end = header.index(first) + 1, header.index(last) + 1
    sheet.merge_cells(start_row=1, start_column=start, end_row=1, end_column=end)
    d.files[file] = _save(book)


def xlsx_add_sheet(d: Delivery, file: str, title: str, copy: bool = False) -> None:
    book = openpyxl.load_workbook(io.BytesIO(d.files[file]))
    if copy:
        book.copy_worksheet(book.worksheets[0]).title = title
    else:
        book.create_sheet(title).append(["note"])
    d.files[file] = _save(book)


OPERATIONS: dict[str, Callable[..., None]] = {
    f.__name__: f
    for f in (
        set_cell,
        set_date,
        copy_cell,
        flip_uscc_check,
        rename_header,
        add_column,
        repeat_header,
        keep_lines,
        cut_last_line,
        delimiter,
        reencode,
        prefix_bytes,
        mixed_line_ends,
        append_long_line,
        write_file,
        drop_file,
        file_from,
        xlsx_merge_header,
        xlsx_add_sheet,
    )
}
