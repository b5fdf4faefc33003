"""Revisions: every public figure that changed since the previous release, and why.

A release's public tables are `public/<table>.parquet`, described by
`public/codebook.json` = {"tables": {"<table>": {"keys": [...], "values": [...], ...}}};
a figure table has a boolean `suppressed` column (suppressed rows carry null figures).
For each table with "values", the old and new Parquet are joined on the keys in
DuckDB and unpivoted to one row per (table, key, figure column) that differs:

    table_name   the public table
    key          the row's key columns as a JSON object, e.g. {"wave_id":2024,"zone_id":"SH-01"}
    column_name  the figure column
    old_value    as text (null: absent or suppressed)
    new_value    as text
    change       added | removed | changed | suppressed | unsuppressed
    deliveries   the deliveries new in this release of that row's zone-wave (of the
                 whole wave for zone ALL; of both waves for a transition's wave_from
                 and wave_to; of every zone or wave the key does not name),
                 space-separated; null when none: the change came from the code or
                 the build parameters (both in the manifest)

written as `revisions.parquet` and `revisions.csv` (UTF-8 with BOM, so that Excel
reads it as UTF-8) into the release folder before it is named.
"""

from __future__ import annotations

import codecs
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from orchestration.dbt_vars import pooled_zone_id

PUBLIC_DIR_NAME = "public"
PUBLIC_CODEBOOK = "codebook.json"
REVISIONS_PARQUET = "revisions.parquet"
REVISIONS_CSV = "revisions.csv"
SUPPRESSED = "suppressed"
ZONE_KEY = "zone_id"
# A row's waves: its wave, or the pair of waves of a transition (wave_from -> wave_to).
WAVE_KEYS = ("wave_id", "wave_from", "wave_to")
# The marts round to 6 decimals, but DuckDB's parallel sums are not bit-reproducible:
# an unchanged figure may differ in its last bits, and that is no revision.
RELATIVE_TOLERANCE = 1e-9
FLOAT_TYPES = ("DOUBLE", "FLOAT", "REAL")
INTEGER_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT")
COLUMNS = (
    ("table_name", "VARCHAR"),
    ("key", "VARCHAR"),
    ("column_name", "VARCHAR"),
    ("old_value", "VARCHAR"),
    ("new_value", "VARCHAR"),
    ("change", "VARCHAR"),
    ("deliveries", "VARCHAR"),
)


@dataclass(frozen=True)
class PublicTable:
    name: str
    keys: tuple[str, ...]
    values: tuple[str, ...]
    parquet: Path


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def public_tables(release: Path) -> dict[str, PublicTable] | None:
    """The figure tables of a release's codebook (those with "values"); None without `public/`."""
    codebook = release / PUBLIC_DIR_NAME / PUBLIC_CODEBOOK
    if not codebook.is_file():
        return None
    tables = json.loads(codebook.read_text(encoding="utf-8")).get("tables") or {}
    return {
        name: PublicTable(
            name,
            tuple(spec.get("keys") or ()),
            tuple(v for v in spec["values"] if v != SUPPRESSED),
            release / PUBLIC_DIR_NAME / f"{name}.parquet",
        )
        for name, spec in sorted(tables.items())
        if spec.get("values")
    }


def new_deliveries(
    deliveries: list[dict[str, Any]] | None, previous_ids: set[str]
) -> list[dict[str, Any]]:
    """This release's deliveries that the previous release did not have."""
    return [d for d in deliveries or [] if d["delivery_id"] not in previous_ids]


def _columns(con: duckdb.DuckDBPyConnection, parquet: Path) -> dict[str, str]:
    described = con.execute("describe select * from read_parquet(?)", [str(parquet)]).fetchall()
    return {name: kind for name, kind, *_ in described}


def _side(parquet: Path | None, columns: dict[str, str], keys: tuple[str, ...]) -> str:
    """One side of the join: the table with a presence marker, or no rows when absent."""
    if parquet is None:
        # No table on this side: no rows, untyped keys; every figure is null there.
        nulls = ", ".join(f"NULL AS {ident(k)}" for k in keys)
        return f"SELECT {nulls}, false AS _present, false AS {SUPPRESSED} WHERE false"
    suppressed = "" if SUPPRESSED in columns else f", false AS {SUPPRESSED}"
    return f"SELECT *, true AS _present{suppressed} FROM read_parquet({literal(str(parquet))})"


def _is_number(kind: str) -> bool:
    return kind in FLOAT_TYPES or kind.lstrip("U") in INTEGER_TYPES or kind.startswith("DECIMAL")


def _differs(old: str, new: str, old_type: str | None, new_type: str | None) -> str:
    """SQL: true when a figure present on both sides differs (nulls compare as values)."""
    if old_type is None or new_type is None:
        return f"({old} IS NOT NULL OR {new} IS NOT NULL)"
    if old_type == new_type and (old_type in INTEGER_TYPES or not _is_number(old_type)):
        return f"({old} IS DISTINCT FROM {new})"
    if _is_number(old_type) and _is_number(new_type):
        # Within a relative tolerance: no revision for noise, nor for a change of
        # numeric type alone (DECIMAL(4,2) 0.30 and DOUBLE 0.3 are the same figure).
        o, n = f"CAST({old} AS DOUBLE)", f"CAST({new} AS DOUBLE)"
        return (
            f"(CASE WHEN {o} IS NULL AND {n} IS NULL THEN false "
            f"WHEN {o} IS NULL OR {n} IS NULL THEN true "
            f"ELSE abs({o} - {n}) > {RELATIVE_TOLERANCE} * greatest(abs({o}), abs({n})) END)"
        )
    # A column whose type changed to or from text: compare what analysts see.
    return f"(CAST({old} AS VARCHAR) IS DISTINCT FROM CAST({new} AS VARCHAR))"


def _attribution(keys: tuple[str, ...]) -> str:
    """SQL: the new deliveries a row's key points at: of its zone (every zone for `ALL`)
    and wave(s); failing that, of its wave(s) in any zone, since a figure of a zone that
    got no new delivery changes only through another zone (secondary suppression); an
    empty answer means the code or the parameters changed it."""
    waves = [f"CAST(k.{ident(w)} AS VARCHAR)" for w in WAVE_KEYS if w in keys]
    of_wave = f"d.wave_id IN ({', '.join(waves)})" if waves else "true"

    def deliveries(where: str) -> str:
        return (
            "(SELECT string_agg(d.delivery_id, ' ' ORDER BY d.delivery_id) "
            f"FROM new_deliveries d WHERE {where})"
        )

    if ZONE_KEY not in keys:
        return deliveries(of_wave)
    zone = f"CAST(k.{ident(ZONE_KEY)} AS VARCHAR)"
    own = f"{of_wave} AND ({zone} = {literal(pooled_zone_id())} OR d.zone_id = {zone})"
    return f"coalesce({deliveries(own)}, {deliveries(of_wave)})"


def _table_sql(
    table: PublicTable,
    new_parquet: Path | None,
    old_parquet: Path | None,
    new_cols: dict[str, str],
    old_cols: dict[str, str],
) -> str:
    """One INSERT of every revision of one table: full join on the keys, then unpivot.

    A side without the table (`*_parquet` None) has no rows: all added, or all removed.
    """
    keys = table.keys
    joined_keys = ", ".join(f"coalesce(n.{ident(k)}, o.{ident(k)}) AS {ident(k)}" for k in keys)
    key_json = ", ".join(f"{ident(k)} := k.{ident(k)}" for k in keys)
    on = " AND ".join(f"n.{ident(k)} IS NOT DISTINCT FROM o.{ident(k)}" for k in keys) or "true"
    figures = []
    for i, value in enumerate(table.values):
        old_v = f"o.{ident(value)}" if value in old_cols else "NULL"
        new_v = f"n.{ident(value)}" if value in new_cols else "NULL"
        figures.append(f"{old_v} AS old_{i}, {new_v} AS new_{i}")
    caused_by = _attribution(keys)
    kind = (
        "CASE WHEN NOT k.in_old THEN 'added' WHEN NOT k.in_new THEN 'removed' "
        "WHEN k.new_suppressed AND NOT k.old_suppressed THEN 'suppressed' "
        "WHEN k.old_suppressed AND NOT k.new_suppressed THEN 'unsuppressed' "
        "ELSE 'changed' END"
    )
    unpivoted = []
    for i, value in enumerate(table.values):
        differs = _differs(f"k.old_{i}", f"k.new_{i}", old_cols.get(value), new_cols.get(value))
        unpivoted.append(
            f"SELECT {literal(table.name)}, to_json(struct_pack({key_json}))::VARCHAR, "
            f"{literal(value)}, CAST(k.old_{i} AS VARCHAR), CAST(k.new_{i} AS VARCHAR), "
            f"{kind}, {caused_by} FROM keyed k "
            "WHERE NOT k.in_old OR NOT k.in_new OR k.old_suppressed <> k.new_suppressed "
            f"OR {differs}"
        )
    return (
        f"INSERT INTO revisions WITH n AS ({_side(new_parquet, new_cols, keys)}), "
        f"o AS ({_side(old_parquet, old_cols, keys)}), "
        # Materialized: the join runs once, not once per figure column of the unpivot.
        f"keyed AS MATERIALIZED (SELECT {joined_keys}, coalesce(n._present, false) AS in_new, "
        "coalesce(o._present, false) AS in_old, "
        f"coalesce(n.{SUPPRESSED}, false) AS new_suppressed, "
        f"coalesce(o.{SUPPRESSED}, false) AS old_suppressed, {', '.join(figures)} "
        f"FROM n FULL OUTER JOIN o ON {on}) " + " UNION ALL ".join(unpivoted)
    )


def _load_new_deliveries(con: duckdb.DuckDBPyConnection, deliveries: list[dict[str, Any]]) -> None:
    con.execute(
        "CREATE TEMP TABLE new_deliveries (zone_id VARCHAR, wave_id VARCHAR, delivery_id VARCHAR)"
    )
    con.execute(
        "INSERT INTO new_deliveries SELECT unnest($zone::VARCHAR[]), unnest($wave::VARCHAR[]), "
        "unnest($id::VARCHAR[])",
        {
            "zone": [str(d["zone_id"]) for d in deliveries],
            "wave": [str(d["wave_id"]) for d in deliveries],
            "id": [d["delivery_id"] for d in deliveries],
        },
    )


def _write(con: duckdb.DuckDBPyConnection, out_dir: Path) -> None:
    ordered = "SELECT * FROM revisions ORDER BY table_name, key, column_name"
    con.execute(f"COPY ({ordered}) TO {literal(str(out_dir / REVISIONS_PARQUET))} (FORMAT parquet)")
    plain = out_dir / ".revisions.csv.tmp"
    con.execute(f"COPY ({ordered}) TO {literal(str(plain))} (FORMAT csv, HEADER true)")
    # DuckDB writes no BOM; Excel needs one to read the CSV as UTF-8.
    with (out_dir / REVISIONS_CSV).open("wb") as out, plain.open("rb") as body:
        out.write(codecs.BOM_UTF8)
        shutil.copyfileobj(body, out)
    plain.unlink()


def write_revisions(
    new_release: Path,
    previous: Path | None,
    deliveries: list[dict[str, Any]],
) -> dict[str, Any]:
    """Write `revisions.parquet` and `revisions.csv` into `new_release`; return the manifest's
    summary: {"compared_to": id or None, "rows": n, "tables": [...], "note": ...}.

    `previous`: the release it replaces (None for the first); `deliveries`: the new
    release's deliveries that `previous` did not have (`new_deliveries`). Without
    `public/` on either side there is nothing to compare: the file is empty and the
    note says why.
    """
    new_tables = public_tables(new_release)
    old_tables = public_tables(previous) if previous is not None else None
    note = None
    if previous is None:
        note = "first release: nothing to compare"
    elif new_tables is None:
        note = f"no {PUBLIC_DIR_NAME}/ tables in this release"
    elif old_tables is None:
        note = f"no {PUBLIC_DIR_NAME}/ tables in release {previous.name}"
    compared: list[str] = []
    skipped: list[str] = []
    with duckdb.connect() as con:
        con.execute(f"CREATE TEMP TABLE revisions ({', '.join(f'{n} {t}' for n, t in COLUMNS)})")
        if note is None:
            assert new_tables is not None and old_tables is not None
            _load_new_deliveries(con, deliveries)
            # A table only the previous release had: its every figure was removed.
            for name in sorted(new_tables.keys() | old_tables.keys()):
                new, old = new_tables.get(name), old_tables.get(name)
                new_cols = _columns(con, new.parquet) if new is not None else {}
                old_cols = _columns(con, old.parquet) if old is not None else {}
                table = new or old
                assert table is not None
                if not table.keys:  # rows without a key cannot be matched across releases
                    skipped.append(name)
                    continue
                if new is not None and old is not None and not set(table.keys) <= set(old_cols):
                    old, old_cols = None, {}  # keyed differently: no row can be matched
                con.execute(
                    _table_sql(
                        table,
                        new.parquet if new is not None else None,
                        old.parquet if old is not None else None,
                        new_cols,
                        old_cols,
                    )
                )
                compared.append(name)
        rows = con.execute("SELECT count(*) FROM revisions").fetchone()[0]
        _write(con, new_release)
    if skipped:
        note = f"not compared, no keys in the codebook: {', '.join(skipped)}"
    return {
        "compared_to": previous.name if previous is not None else None,
        "rows": rows,
        "tables": compared,
        "note": note,
    }
