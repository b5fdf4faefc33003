"""Parse a landed delivery into canonical string tables, driven by the codebook.

Responses come out with one row per questionnaire: provenance columns, then every
column of `Codebook.all_columns()` as a string holding canonical codes (choice
labels mapped to codes, multi options as 'true'/'false', skipped answers NULL).
A label the codebook does not know stays as its original text so that the
quality gate can reject it with the offending value; typing happens at load.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from orchestration.codebook import Codebook, Item, load_codebook
from orchestration.duckdb_memory import connect
from orchestration.ingest.detect import (
    MODE_OF_KIND,
    ColumnMatch,
    FileHead,
    Kind,
    detect_version,
    file_head,
    header_keys,
    match_columns,
    undecodable,
    unknown_kind_problem,
    vocabulary,
)
from orchestration.ingest.errors import DeliveryError
from orchestration.ingest.landing import Landing
from orchestration.ingest.read import SOURCE_ROW, read_csv_file, read_xlsx
from orchestration.ingest.scan import utf8_copy
from orchestration.ingest.schema import REGISTER_COLUMNS, literal, quote
from orchestration.ingest.structure_checks import (
    check_header_not_repeated,
    check_named_columns,
    check_register,
)

__all__ = ["DeliveryError", "Normalization", "ParsedDelivery", "parse_delivery"]

# How multi option columns read in the string table (they cast to BOOLEAN at load).
SELECTED, NOT_SELECTED = "true", "false"


@dataclass(frozen=True)
class Normalization:
    """A value rewrite applied while parsing (kept for the quality report)."""

    file: str
    column: str
    rule: str
    rows: int


@dataclass
class ParsedDelivery:
    landing: Landing
    instrument_version: str
    responses: pa.Table
    register: pa.Table | None
    rows_read: dict[str, int]
    normalizations: list[Normalization] = field(default_factory=list)
    unknown_columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    missing_columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    codebook: Codebook | None = field(default=None, repr=False)


def _item_of(codebook: Codebook) -> dict[str, Item]:
    """Canonical column -> its item."""
    return {
        column: item
        for item in codebook.items
        for column in (
            [item.option_column(o.code) for o in item.options] if item.is_multi else [item.id]
        )
    }


def _answer_sql(item: Item, column: str, kind: Kind, version: str, codebook: Codebook) -> str:
    """CASE expression turning one cleaned source column into canonical codes."""
    skipped = literal(codebook.platform["skipped"])
    whens = [f"WHEN {skipped} THEN NULL"]
    if item.is_multi:
        whens += [
            f"WHEN {literal(codebook.platform['multi_selected'])} THEN {literal(SELECTED)}",
            f"WHEN {literal(codebook.platform['multi_not_selected'])} THEN {literal(NOT_SELECTED)}",
        ]
    elif item.is_choice and kind is Kind.PLATFORM:
        whens += [f"WHEN {literal(o.zh)} THEN {literal(o.code)}" for o in item.options_for(version)]
    ref = quote(column)
    return f"CASE {ref} {' '.join(whens)} ELSE {ref} END AS {ref}"


def _responses_sql(
    match: ColumnMatch, kind: Kind, landing: Landing, source_file: str, codebook: Codebook
) -> str:
    """SELECT over the registered positional table `src`, giving the parsed layout."""
    present = {col: f"c{i}" for i, col in enumerate(match.columns) if col is not None}
    cleaned = ", ".join(f"nullif({quote(pos)}, '') AS {quote(col)}" for col, pos in present.items())
    provenance = [
        f"{literal(landing.delivery_id)} AS delivery_id",
        f"{literal(landing.zone_id)} AS zone_id",
        f"CAST({int(landing.wave_id)} AS INTEGER) AS wave_id",
        f"{literal(match.version)} AS instrument_version",
        f"{literal(MODE_OF_KIND[kind])} AS mode",
        f"{literal(source_file)} AS source_file",
        f"{quote(SOURCE_ROW)} AS source_row",
    ]
    items = _item_of(codebook)
    answers = []
    for column in codebook.all_columns():
        item = items[column]
        if item.source == "delivery":
            answers.append(f"{literal(MODE_OF_KIND[kind])} AS {quote(column)}")
        elif column in present:
            answers.append(_answer_sql(item, column, kind, match.version, codebook))
        else:
            answers.append(f"CAST(NULL AS VARCHAR) AS {quote(column)}")
    not_blank = f"coalesce({', '.join(quote(c) for c in present)}) IS NOT NULL"
    return (
        f"WITH cleaned AS (SELECT {quote(SOURCE_ROW)}, {cleaned} FROM src)\n"
        # No ORDER BY: DuckDB preserves insertion order (file order) by default.
        f"SELECT {', '.join(provenance + answers)}\nFROM cleaned WHERE {not_blank}"
    )


def _required_missing(match: ColumnMatch, kind: Kind, codebook: Codebook) -> list[str]:
    required = {
        column
        for item in codebook.delivered_items(match.version, MODE_OF_KIND[kind])
        if item.required
        for column in item.columns(match.version)
    }
    return [column for column in match.missing if column in required]


def _match(head: FileHead, landing: Landing, name: str, codebook: Codebook) -> ColumnMatch:
    """Check the file's columns against the wave's instrument version."""
    expected = codebook.version_for_wave(landing.wave_id)
    keys = header_keys(head.cells, head.kind, codebook)
    version = detect_version(keys, vocabulary(codebook, head.kind))
    if version is None:
        raise DeliveryError(name, "cannot tell the instrument version from the columns")
    if version != expected:
        raise DeliveryError(
            name,
            f"columns are instrument {version} but wave {landing.wave_id} fielded {expected}",
        )
    match = match_columns(head.cells, head.kind, version, codebook, name)
    missing = _required_missing(match, head.kind, codebook)
    if missing:
        shown = missing
        if head.kind is Kind.PLATFORM:
            headers = codebook.platform_headers(version)
            shown = [f"{headers[c]} ({c})" for c in missing]
        noun = "column" if len(missing) == 1 else "columns"
        raise DeliveryError(name, f"missing required {noun} {', '.join(shown)}")
    return match


@contextmanager
def utf8_source(path: Path, head: FileHead) -> Iterator[Path]:
    """The file itself when it is UTF-8, else a temporary UTF-8 copy (GB18030)."""
    if head.encoding in ("utf-8", "utf-8-sig"):
        yield path
        return
    with utf8_copy(path, head.encoding or "gb18030") as copy:
        if copy is None:
            raise undecodable(head.head, path.name)
        yield copy


def read_csv(path: Path, head: FileHead) -> pa.Table:
    with utf8_source(path, head) as source:
        return read_csv_file(source, len(head.cells), path.name)


def _parse_responses(
    con: duckdb.DuckDBPyConnection,
    head: FileHead,
    path: Path,
    landing: Landing,
    codebook: Codebook,
) -> tuple[pa.Table, ColumnMatch]:
    name = path.name
    match = _match(head, landing, name, codebook)
    if head.kind is Kind.PAPER:
        _, source = read_xlsx(path.read_bytes(), name)
    else:
        source = read_csv(path, head)
    check_named_columns(source, head.cells, name)
    check_header_not_repeated(source, head.cells, name)
    con.register("src", source)
    del source  # DuckDB holds the only reference; it goes with unregister
    try:
        table = con.sql(_responses_sql(match, head.kind, landing, name, codebook)).to_arrow_table()
    finally:
        con.unregister("src")
    if table.num_rows == 0:
        raise DeliveryError(name, "no data rows")
    return table, match


def _parse_register(
    con: duckdb.DuckDBPyConnection, head: FileHead, path: Path, landing: Landing, cb: Codebook
) -> pa.Table:
    name = path.name
    source = read_csv(path, head)
    position = {cell.strip(): f"c{i}" for i, cell in enumerate(head.cells)}
    check_register(source, {c: position[c] for c in REGISTER_COLUMNS}, name, cb)
    fields = ", ".join(f"nullif({quote(position[c])}, '') AS {quote(c)}" for c in REGISTER_COLUMNS)
    rest = ", ".join(quote(c) for c in REGISTER_COLUMNS if c != "zone_id")
    con.register("src", source)
    try:
        table = con.sql(
            f"SELECT {literal(landing.delivery_id)} AS delivery_id, zone_id, "
            f"CAST({int(landing.wave_id)} AS INTEGER) AS wave_id, {rest} "
            f"FROM (SELECT {fields} FROM src) "
            f"WHERE coalesce({', '.join(quote(c) for c in REGISTER_COLUMNS)}) IS NOT NULL"
        ).to_arrow_table()
    finally:
        con.unregister("src")
    if table.num_rows == 0:
        raise DeliveryError(name, "no data rows")
    others = set(pc.unique(table["zone_id"]).to_pylist()) - {landing.zone_id}
    if others:
        shown = ", ".join(sorted(str(z) for z in others))
        raise DeliveryError(name, f"register rows for zone {shown}, delivery is {landing.zone_id}")
    return table


def check_wave(landing: Landing, codebook: Codebook) -> None:
    """The wave must have an instrument and must not lie after the delivery's arrival."""
    where = f"{landing.zone_id}/{landing.wave_id}"
    try:
        codebook.version_for_wave(landing.wave_id)
    except ValueError as exc:
        raise DeliveryError(where, str(exc)) from exc
    received: date = landing.received_at.date()
    if landing.wave_id > received.year:
        raise DeliveryError(
            where,
            f"wave {landing.wave_id} is in the future (delivery received {received.isoformat()})",
        )


def parse_delivery(landing: Landing, codebook: Codebook | None = None) -> ParsedDelivery:
    """Read every file of a landed delivery; DeliveryError on the first bad file."""
    codebook = codebook or load_codebook()
    check_wave(landing, codebook)
    responses: list[pa.Table] = []
    registers: list[pa.Table] = []
    rows_read: dict[str, int] = {}
    unknown: dict[str, tuple[str, ...]] = {}
    missing: dict[str, tuple[str, ...]] = {}
    con = connect()
    try:
        for path in landing.files:
            head = file_head(path, codebook)
            if head.kind is Kind.REGISTER:
                registers.append(_parse_register(con, head, path, landing, codebook))
                rows_read[path.name] = registers[-1].num_rows
            elif head.kind in MODE_OF_KIND:
                table, match = _parse_responses(con, head, path, landing, codebook)
                responses.append(table)
                rows_read[path.name] = table.num_rows
                unknown[path.name], missing[path.name] = match.unknown, match.missing
            else:
                raise DeliveryError(path.name, unknown_kind_problem(head, codebook))
    finally:
        con.close()
    if not responses:
        raise DeliveryError(
            f"{landing.zone_id}/{landing.wave_id}",
            "no questionnaire file (platform export CSV or paper XLSX) in the delivery",
        )
    return ParsedDelivery(
        landing=landing,
        instrument_version=codebook.version_for_wave(landing.wave_id),
        responses=pa.concat_tables(responses),
        register=pa.concat_tables(registers) if registers else None,
        rows_read=rows_read,
        unknown_columns=unknown,
        missing_columns=missing,
        codebook=codebook,
    )
