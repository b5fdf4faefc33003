"""Columns the gate adds to the judged frame so GX can express cross-field rules.

Each is computed in bulk (pyarrow.compute, numpy, DuckDB): typed copies of
numeric items, the `section/division` pair, and USCC violations (wrong check
character, repeated within the delivery, already answered in another zone of
the same wave). A violation column holds NULL when the row is fine and a short,
non-identifying description otherwise, so Data Docs never show the USCC itself.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from orchestration import uscc
from orchestration.codebook import Codebook
from orchestration.quality.rules import (
    DIVISION_ITEM,
    INT_PATTERN,
    NUM_PATTERN,
    SECTION_DIVISION,
    SECTION_ITEM,
    USCC_CHECK,
    USCC_DUPLICATE,
    USCC_ITEM,
    USCC_OTHER_ZONE,
    ZONE_ITEM,
    ZONE_MISMATCH,
    numeric_column,
)

_ALPHABET = np.frombuffer(uscc.ALPHABET.encode(), dtype=np.uint8)
_WEIGHTS = np.array(uscc.WEIGHTS, dtype=np.int64)


def uscc_check_ok(codes: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Vectorized `uscc.is_valid`: True where a code has 18 valid characters and the right check.

    Nulls give False. Codes are laid out as an (n, 18) byte matrix; characters
    outside the GB 32100 alphabet map to -1 and fail the row.
    """
    arr = pc.cast(codes, pa.string())
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    n = len(arr)
    ok = pc.fill_null(pc.equal(pc.binary_length(arr), 18), False).to_numpy(zero_copy_only=False)
    chars = np.zeros((n, 18), dtype=np.uint8)
    if ok.any():
        # 18-byte strings as a fixed-width binary column: its data buffer is the byte matrix
        fixed = pc.filter(arr, pa.array(ok)).cast(pa.binary()).cast(pa.binary(18))
        data = np.frombuffer(fixed.buffers()[1], dtype=np.uint8)
        chars[ok] = data[fixed.offset * 18 : (fixed.offset + len(fixed)) * 18].reshape(-1, 18)
    lookup = np.full(256, -1, dtype=np.int64)
    lookup[_ALPHABET] = np.arange(len(_ALPHABET))
    values = lookup[chars]
    ok &= (values >= 0).all(axis=1)
    expected = (31 - (values[:, :17] * _WEIGHTS).sum(axis=1) % 31) % 31
    return ok & (values[:, 17] == expected)


def numeric_copy(values: pa.ChunkedArray | pa.Array, whole: bool) -> pa.Array:
    """Float copy of a text column; NULL where the text is not a number (another rule says so)."""
    text = pc.cast(values, pa.string())
    matches = pc.fill_null(
        pc.match_substring_regex(text, INT_PATTERN if whole else NUM_PATTERN), False
    )
    cleaned = pc.if_else(matches, text, pa.scalar(None, pa.string()))
    return pc.cast(cleaned, pa.float64())


def section_division(section: pa.ChunkedArray, division_num: pa.Array) -> pa.Array:
    """`C/27` where both parts are known, NULL otherwise (their own rules judge them)."""
    whole = pc.and_(pc.is_valid(division_num), pc.equal(pc.round(division_num), division_num))
    div_text = pc.cast(pc.cast(pc.if_else(whole, division_num, None), pa.int64()), pa.string())
    return pc.binary_join_element_wise(pc.cast(section, pa.string()), div_text, "/")


def _positioned(codes: pa.ChunkedArray | pa.Array) -> pa.Table:
    # SQL results come back in `pos` order, aligned with the judged table's rows
    return pa.table({"c": codes, "pos": np.arange(len(codes), dtype=np.int64)})


def duplicate_counts(codes: pa.ChunkedArray | pa.Array) -> pa.Array:
    """How many rows share each row's USCC, as text where more than one, else NULL."""
    con = duckdb.connect()
    try:
        con.register("codes", _positioned(codes))
        counts = con.sql(
            "select case when c is not null and count(*) over (partition by c) > 1 "
            "then cast(count(*) over (partition by c) as varchar) end as n "
            "from codes order by pos"
        ).to_arrow_table()
    finally:
        con.close()
    return counts.column("n").combine_chunks()


def other_zones(
    codes: pa.ChunkedArray | pa.Array, *, build_db: Path, wave_id: int, zone_id: str
) -> pa.Array:
    """Zones (comma-joined) of the same wave in `raw.responses` that already hold each USCC.

    Enterprises belong to one zone: a USCC answered in another zone of the wave
    means a misfiled questionnaire. The build DB is opened read-only.
    """
    con = duckdb.connect(str(build_db), read_only=True)
    try:
        has_table = con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'raw' and table_name = 'responses'"
        ).fetchall()[0][0]
        if not has_table:
            return pa.nulls(len(codes), pa.string())
        con.register("codes", _positioned(codes))
        zones = con.sql(
            f"""
            with others as (
                select "{USCC_ITEM}" as c, string_agg(distinct zone_id, ',' order by zone_id) z
                from raw.responses
                where wave_id = ? and zone_id <> ? and "{USCC_ITEM}" is not null
                group by 1
            )
            select others.z from codes left join others using (c) order by codes.pos
            """,
            params=[wave_id, zone_id],
        ).to_arrow_table()
    finally:
        con.close()
    return zones.column(0).combine_chunks()


def add_derived(
    table: pa.Table,
    cb: Codebook,
    version: str,
    *,
    build_db: Path | None,
    wave_id: int,
    zone_id: str,
) -> pa.Table:
    """The judged table: canonical columns present (missing ones NULL) plus derived ones.

    A missing required column stays missing, so the suite's schema rule fails
    and blocks the delivery; derived columns then see it as NULL.
    """
    n = table.num_rows
    required = {it.id for it in cb.items if it.required}
    for col in cb.all_columns():
        if col not in table.column_names and col not in required:
            table = table.append_column(col, pa.nulls(n, pa.string()))

    def column(name: str) -> pa.ChunkedArray:
        if name in table.column_names:
            return pc.cast(table[name], pa.string())
        return pa.chunked_array([pa.nulls(n, pa.string())])

    for item in cb.items_for(version):
        if item.is_numeric:
            copy = numeric_copy(column(item.id), whole=item.type == "int")
            table = table.append_column(numeric_column(item.id), copy)
    pair = section_division(column(SECTION_ITEM), table[numeric_column(DIVISION_ITEM)])
    codes = column(USCC_ITEM)
    bad_check = pc.and_(pc.is_valid(codes), pa.array(~uscc_check_ok(codes)))
    check = pc.if_else(bad_check, "wrong check character", pa.scalar(None, pa.string()))
    zones = (
        other_zones(codes, build_db=build_db, wave_id=wave_id, zone_id=zone_id)
        if build_db is not None and build_db.exists()
        else pa.nulls(n, pa.string())
    )
    zone_text = column(ZONE_ITEM)
    other_zone = pc.fill_null(pc.not_equal(zone_text, zone_id), False)
    zone = pc.if_else(other_zone, zone_text, pa.scalar(None, pa.string()))
    return (
        table.append_column(SECTION_DIVISION, pair)
        .append_column(ZONE_MISMATCH, zone)
        .append_column(USCC_CHECK, check)
        .append_column(USCC_DUPLICATE, duplicate_counts(codes))
        .append_column(USCC_OTHER_ZONE, zones)
    )
