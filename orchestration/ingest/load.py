"""Load a parsed delivery into the build DB's `raw` schema.

A zone-wave is replaced as a whole in one transaction: its responses, register and
rejected rows are deleted and the new delivery's inserted, and older deliveries of
the zone-wave are marked `superseded`. Invariant: raw.responses only holds rows of
deliveries whose raw.deliveries status is `loaded`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from orchestration.codebook import Codebook, load_codebook
from orchestration.duckdb_memory import connect
from orchestration.ingest.landing import Landing
from orchestration.ingest.parse import ParsedDelivery
from orchestration.ingest.raw_parquet import export_zone_wave, raw_parquet_root
from orchestration.ingest.schema import (
    DELIVERIES,
    NORMALIZATIONS,
    REJECTED_ROWS,
    ZONE_REGISTER,
    answer_columns,
    create_table_sql,
    quote,
    response_columns,
)

# What analysts see of a zone-wave: replaced as a whole by its newest delivery.
ZONE_WAVE_TABLES = ("raw.responses", "raw.zone_register")
# The gate's findings about one delivery: kept for every delivery ever judged,
# replaced only when that same delivery is judged again.
DELIVERY_TABLES = ("raw.rejected_rows", "raw.normalizations")
# Columns a rejected-rows table from the quality gate must carry (the rest come
# from the delivery).
REJECTED_FIELDS = ("source_file", "source_row", "rule_id", "column_name", "value", "reason")


@dataclass
class LoadResult:
    delivery_id: str
    zone_id: str
    wave_id: int
    rows_read: int
    rows_accepted: int
    rows_rejected: int
    replaced_previous: bool


def ensure_raw_schema(con: duckdb.DuckDBPyConnection, codebook: Codebook | None = None) -> None:
    """Create the raw tables if missing; add answer columns a newer codebook introduced."""
    codebook = codebook or load_codebook()
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    con.execute(create_table_sql("raw.responses", response_columns(codebook)))
    con.execute(create_table_sql("raw.zone_register", ZONE_REGISTER))
    con.execute(create_table_sql("raw.deliveries", DELIVERIES))
    con.execute(create_table_sql("raw.rejected_rows", REJECTED_ROWS))
    con.execute(create_table_sql("raw.normalizations", NORMALIZATIONS))
    existing = {
        row[0]
        for row in con.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = 'raw' AND table_name = 'responses'"
        ).fetchall()
    }
    for name, sql_type in response_columns(codebook):
        if name not in existing:
            con.execute(f"ALTER TABLE raw.responses ADD COLUMN {quote(name)} {sql_type}")


def _typed_select(codebook: Codebook) -> str:
    """The parsed string table cast to raw.responses types (TRY_CAST: the gate judges)."""
    answers = [
        quote(c) if t == "VARCHAR" else f"TRY_CAST({quote(c)} AS {t}) AS {quote(c)}"
        for c, t in answer_columns(codebook)
    ]
    provenance = [
        "delivery_id",
        "zone_id",
        "CAST(wave_id AS INTEGER) AS wave_id",
        "instrument_version",
        "mode",
        "source_file",
        "CAST(source_row AS INTEGER) AS source_row",
        "CAST($loaded_at AS TIMESTAMP) AS loaded_at",
    ]
    return (
        f"SELECT {', '.join(provenance + answers)} FROM incoming_responses r "
        "WHERE NOT EXISTS (SELECT 1 FROM incoming_rejected j "
        "WHERE j.source_file = r.source_file AND j.source_row = r.source_row)"
    )


def _rejected_table(rejected: pa.Table | None) -> pa.Table:
    schema = pa.schema(
        [(c, pa.int32() if c == "source_row" else pa.string()) for c in REJECTED_FIELDS]
    )
    if rejected is None:
        return schema.empty_table()
    missing = [c for c in REJECTED_FIELDS if c not in rejected.column_names]
    if missing:
        raise ValueError(f"rejected rows lack column(s) {', '.join(missing)}")
    return rejected.select(list(REJECTED_FIELDS)).cast(schema)


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def published_message(message: str | None) -> str | None:
    """The message as stored: it names delivered files (anyone's text) and is published in
    fct_delivery_quality, so it goes through the sanitizer answers go through."""
    if message is None:
        return None
    # Lazy: the quality package imports Great Expectations, which loading does not need.
    from orchestration.quality.sanitize import sanitize_text, without_offending_value

    stored = without_offending_value(message)
    return sanitize_text(pa.array([stored], pa.string())).to_pylist()[0]


def _delivery_row(landing: Landing, status: str, message: str | None) -> dict[str, object]:
    return {
        "delivery_id": landing.delivery_id,
        "zone_id": landing.zone_id,
        "wave_id": landing.wave_id,
        "landing_path": str(landing.path),
        "received_at": _naive_utc(landing.received_at),
        "instrument_version": landing.instrument_version,
        "files": json.dumps(landing.manifest["files"], ensure_ascii=False),
        "status": status,
        "message": published_message(message),
    }


def _insert_delivery(
    con: duckdb.DuckDBPyConnection, row: dict[str, object], counts: tuple[int, int, int] | None
) -> None:
    rows_read, accepted, rejected = counts or (None, None, None)
    con.execute("DELETE FROM raw.deliveries WHERE delivery_id = ?", [row["delivery_id"]])
    con.execute(
        "INSERT INTO raw.deliveries VALUES ($delivery_id, $zone_id, $wave_id, $landing_path, "
        "$received_at, $instrument_version, $files, $status, $rows_read, $accepted, "
        "$rejected, $message)",
        {**row, "rows_read": rows_read, "accepted": accepted, "rejected": rejected},
    )


def _clear_zone_wave(con: duckdb.DuckDBPyConnection, zone_id: str, wave_id: int) -> None:
    for table in ZONE_WAVE_TABLES:
        con.execute(f"DELETE FROM {table} WHERE zone_id = ? AND wave_id = ?", [zone_id, wave_id])


def _clear_delivery(con: duckdb.DuckDBPyConnection, delivery_id: str) -> None:
    for table in ZONE_WAVE_TABLES + DELIVERY_TABLES:
        con.execute(f"DELETE FROM {table} WHERE delivery_id = ?", [delivery_id])


def _replace(
    con: duckdb.DuckDBPyConnection, parsed: ParsedDelivery, codebook: Codebook
) -> LoadResult:
    landing = parsed.landing
    key = {"zone": landing.zone_id, "wave": landing.wave_id, "id": landing.delivery_id}
    previous = con.execute(
        "SELECT count(*) FROM raw.deliveries WHERE zone_id = $zone AND wave_id = $wave "
        "AND status = 'loaded' AND delivery_id <> $id",
        key,
    ).fetchone()[0]
    _clear_zone_wave(con, landing.zone_id, landing.wave_id)
    _clear_delivery(con, landing.delivery_id)
    con.execute(
        "UPDATE raw.deliveries SET status = 'superseded' WHERE zone_id = $zone "
        "AND wave_id = $wave AND status = 'loaded' AND delivery_id <> $id",
        key,
    )
    con.execute(
        f"INSERT INTO raw.responses BY NAME {_typed_select(codebook)}",
        {"loaded_at": datetime.now(UTC).replace(tzinfo=None)},
    )
    if parsed.register is not None:
        con.execute(
            "INSERT INTO raw.zone_register BY NAME SELECT delivery_id, zone_id, wave_id, "
            "industry_section, size_class, TRY_CAST(n_enterprises AS BIGINT) AS n_enterprises "
            "FROM incoming_register"
        )
    con.execute(
        "INSERT INTO raw.rejected_rows BY NAME SELECT $id AS delivery_id, $zone AS zone_id, "
        "$wave AS wave_id, source_file, source_row, rule_id, column_name, value, reason "
        "FROM incoming_rejected",
        key,
    )
    rows_read = parsed.responses.num_rows
    rejected_rows = con.execute(
        "SELECT count(*) FROM (SELECT DISTINCT source_file, source_row FROM incoming_rejected)"
    ).fetchone()[0]
    counts = (rows_read, rows_read - rejected_rows, rejected_rows)
    _insert_delivery(con, _delivery_row(landing, "loaded", None), counts)
    return LoadResult(landing.delivery_id, landing.zone_id, landing.wave_id, *counts, previous > 0)


def load_delivery(
    parsed: ParsedDelivery,
    build_db: Path,
    rejected: pa.Table | None = None,
    normalizations: pa.Table | None = None,
    raw_parquet: Path | None = None,
) -> LoadResult:
    """Replace the delivery's zone-wave in raw.* with its rows, atomically.

    `rejected` (from the quality gate): rows that failed row-level rules, with
    source_file, source_row, rule_id, column_name, value, reason; those rows go to
    raw.rejected_rows instead of raw.responses. rows_rejected counts distinct rows.
    `normalizations` (from the gate): the value changes made before judging, kept
    in raw.normalizations.
    After the commit the zone-wave's Parquet mirror is rewritten (`raw_parquet`,
    default beside the build DB): the raw layer every dbt target can read.
    """
    codebook = parsed.codebook or load_codebook()
    build_db.parent.mkdir(parents=True, exist_ok=True)
    con = connect(build_db)
    try:
        ensure_raw_schema(con, codebook)
        con.register("incoming_responses", parsed.responses)
        con.register("incoming_rejected", _rejected_table(rejected))
        if parsed.register is not None:
            con.register("incoming_register", parsed.register)
        con.execute("BEGIN TRANSACTION")
        try:
            result = _replace(con, parsed, codebook)
            if normalizations is not None and normalizations.num_rows:
                _insert_normalizations(con, parsed.landing, normalizations)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        export_zone_wave(
            con, raw_parquet or raw_parquet_root(build_db), result.zone_id, result.wave_id
        )
        return result
    finally:
        con.close()


def _insert_normalizations(
    con: duckdb.DuckDBPyConnection, landing: Landing, normalizations: pa.Table
) -> None:
    con.register("incoming_normalizations", normalizations)
    con.execute(
        "INSERT INTO raw.normalizations BY NAME SELECT $id AS delivery_id, $zone AS zone_id, "
        "$wave AS wave_id, source_file, CAST(source_row AS INTEGER) AS source_row, "
        "column_name, before, after, rule FROM incoming_normalizations",
        {"id": landing.delivery_id, "zone": landing.zone_id, "wave": landing.wave_id},
    )


def record_blocked(
    landing: Landing,
    build_db: Path,
    message: str,
    rows_read: int = 0,
    rejected: pa.Table | None = None,
    raw_parquet: Path | None = None,
) -> None:
    """Record a delivery the parser or the gate refused (status `blocked`).

    Accounting: a blocked delivery loads nothing, so all `rows_read` rows count as
    rejected; `rejected` (the gate's per-rule findings) is kept for the team.
    Should that delivery have been loaded before (a re-run under stricter rules),
    its rows leave raw.* so that raw only ever holds rows of `loaded` deliveries.
    """
    build_db.parent.mkdir(parents=True, exist_ok=True)
    con = connect(build_db)
    try:
        ensure_raw_schema(con)
        con.execute("BEGIN TRANSACTION")
        try:
            _clear_delivery(con, landing.delivery_id)
            if rejected is not None and rejected.num_rows:
                con.register("incoming_rejected", _rejected_table(rejected))
                con.execute(
                    "INSERT INTO raw.rejected_rows BY NAME SELECT $id AS delivery_id, "
                    "$zone AS zone_id, $wave AS wave_id, source_file, source_row, rule_id, "
                    "column_name, value, reason FROM incoming_rejected",
                    {"id": landing.delivery_id, "zone": landing.zone_id, "wave": landing.wave_id},
                )
            counts = (rows_read, 0, rows_read)
            _insert_delivery(con, _delivery_row(landing, "blocked", message), counts)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        export_zone_wave(
            con, raw_parquet or raw_parquet_root(build_db), landing.zone_id, landing.wave_id
        )
    finally:
        con.close()
