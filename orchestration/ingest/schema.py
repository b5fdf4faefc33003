"""The `raw` schema of the build DB, derived from the codebook (see docs/contracts.md)."""

from __future__ import annotations

from orchestration.codebook import Codebook, Item

# Zone register files carry these columns (fixed by the delivery contract, not the codebook).
REGISTER_COLUMNS: tuple[str, ...] = ("zone_id", "industry_section", "size_class", "n_enterprises")
# The register's industry_section holds the codes of this codebook item (docs/contracts.md).
REGISTER_SECTION_ITEM = "A5_industry_section"

PROVENANCE: tuple[tuple[str, str], ...] = (
    ("delivery_id", "VARCHAR"),
    ("zone_id", "VARCHAR"),
    ("wave_id", "INTEGER"),
    ("instrument_version", "VARCHAR"),
    ("mode", "VARCHAR"),
    ("source_file", "VARCHAR"),
    ("source_row", "INTEGER"),
    ("loaded_at", "TIMESTAMP"),
)

ZONE_REGISTER: tuple[tuple[str, str], ...] = (
    ("delivery_id", "VARCHAR"),
    ("zone_id", "VARCHAR"),
    ("wave_id", "INTEGER"),
    ("industry_section", "VARCHAR"),
    ("size_class", "VARCHAR"),
    ("n_enterprises", "BIGINT"),
)

DELIVERIES: tuple[tuple[str, str], ...] = (
    ("delivery_id", "VARCHAR"),
    ("zone_id", "VARCHAR"),
    ("wave_id", "INTEGER"),
    ("landing_path", "VARCHAR"),
    ("received_at", "TIMESTAMP"),
    ("instrument_version", "VARCHAR"),
    ("files", "VARCHAR"),
    ("status", "VARCHAR"),
    ("rows_read", "BIGINT"),
    ("rows_accepted", "BIGINT"),
    ("rows_rejected", "BIGINT"),
    ("message", "VARCHAR"),
)

REJECTED_ROWS: tuple[tuple[str, str], ...] = (
    ("delivery_id", "VARCHAR"),
    ("zone_id", "VARCHAR"),
    ("wave_id", "INTEGER"),
    ("source_file", "VARCHAR"),
    ("source_row", "INTEGER"),
    ("rule_id", "VARCHAR"),
    ("column_name", "VARCHAR"),
    ("value", "VARCHAR"),
    ("reason", "VARCHAR"),
)

# Values the quality gate normalized before judging them (full-width digits,
# thousands separators, spaces, Excel numbers stored as text): kept, not silent.
NORMALIZATIONS: tuple[tuple[str, str], ...] = (
    ("delivery_id", "VARCHAR"),
    ("zone_id", "VARCHAR"),
    ("wave_id", "INTEGER"),
    ("source_file", "VARCHAR"),
    ("source_row", "INTEGER"),
    ("column_name", "VARCHAR"),
    ("before", "VARCHAR"),
    ("after", "VARCHAR"),
    ("rule", "VARCHAR"),
)


def item_sql_type(item: Item) -> str:
    """The raw.responses type of one item's column(s)."""
    if item.is_multi:
        return "BOOLEAN"
    return {"int": "BIGINT", "num": "DOUBLE"}.get(item.type, "VARCHAR")


def answer_columns(codebook: Codebook) -> tuple[tuple[str, str], ...]:
    """(column, SQL type) for every canonical column of every version, in item order."""
    types: dict[str, str] = {}
    for item in codebook.items:
        for option in item.options if item.is_multi else ():
            types.setdefault(item.option_column(option.code), item_sql_type(item))
        if not item.is_multi:
            types.setdefault(item.id, item_sql_type(item))
    return tuple((column, types[column]) for column in codebook.all_columns())


def response_columns(codebook: Codebook) -> tuple[tuple[str, str], ...]:
    """All raw.responses columns: provenance first, then the answers."""
    return PROVENANCE + answer_columns(codebook)


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def create_table_sql(table: str, columns: tuple[tuple[str, str], ...]) -> str:
    body = ",\n  ".join(f"{quote(name)} {sql_type}" for name, sql_type in columns)
    return f"CREATE TABLE IF NOT EXISTS {table} (\n  {body}\n)"
