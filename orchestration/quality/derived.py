"""Columns the gate adds to the judged frame so GX can express cross-field rules.

Each is computed in bulk (pyarrow.compute, numpy, DuckDB): typed copies of
numeric items, the `section/division` pair, and USCC violations (wrong check
character, repeated within the delivery, already answered in another zone of
the same wave). A violation column holds NULL when the row is fine and a short,
non-identifying description otherwise, so Data Docs never show the USCC itself.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from orchestration import uscc
from orchestration.codebook import Codebook
from orchestration.duckdb_memory import connect
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


def _positioned(codes: pa.ChunkedArray | pa.Array, parts: pa.Array) -> pa.Table:
    # SQL results come back in `pos` order, aligned with the judged table's rows
    return pa.table({"c": codes, "part": parts, "pos": np.arange(len(codes), dtype=np.int64)})


def duplicate_counts(codes: pa.ChunkedArray | pa.Array, parts: pa.Array | None = None) -> pa.Array:
    """How many rows of the same delivery (`parts`) share each row's USCC, as text where
    more than one, else NULL."""
    parts = pa.repeat(pa.scalar(0, pa.int32()), len(codes)) if parts is None else parts
    con = connect()
    try:
        con.register("codes", _positioned(codes, parts))
        counts = con.sql(
            "select case when c is not null and count(*) over (partition by part, c) > 1 "
            "then cast(count(*) over (partition by part, c) as varchar) end as n "
            "from codes order by pos"
        ).to_arrow_table()
    finally:
        con.close()
    return counts.column("n").combine_chunks()


def other_zones(batch: pa.Table, *, build_db: Path | None) -> pa.Array:
    """Zones (comma-joined) of the same wave that also hold each row's USCC.

    `batch` has one row per judged row: `c` (the USCC), `zone_id`, `wave_id`, `pos`.
    Enterprises belong to one zone: a USCC answered in another zone of the wave
    means a misfiled questionnaire. Other zones are those of `raw.responses` in
    the build DB (opened read-only) and those of the other deliveries of the
    batch, which see each other whatever their order (a USCC in two zones of one
    batch is rejected in both: nothing tells which is right). The build DB's
    rows of a zone-wave the batch re-delivers are left out: they are being replaced.
    """
    sources = ["select zone_id, wave_id, c from batch where c is not null"]
    con = connect()
    try:
        con.register("batch", batch)
        if build_db is not None and build_db.exists():
            path = str(build_db).replace("'", "''")
            con.execute(f"attach '{path}' as build (read_only)")
            has_table = con.execute(
                "select count(*) from duckdb_tables() where database_name = 'build' "
                "and schema_name = 'raw' and table_name = 'responses'"
            ).fetchall()[0][0]
            if has_table:
                sources.append(
                    f"""select r.zone_id, r.wave_id, r."{USCC_ITEM}" as c
                    from build.raw.responses r
                    where r.wave_id in (select distinct wave_id from batch)
                      and r."{USCC_ITEM}" is not null
                      and not exists (
                          select 1 from batch b
                          where b.zone_id = r.zone_id and b.wave_id = r.wave_id
                      )"""
                )
        seen = " union ".join(sources)
        zones = con.sql(
            f"""
            with seen as ({seen}),
            others as (
                select b.pos, string_agg(distinct s.zone_id, ',' order by s.zone_id) as z
                from batch b join seen s
                  on s.wave_id = b.wave_id and s.c = b.c and s.zone_id <> b.zone_id
                group by b.pos
            )
            select others.z from batch left join others using (pos) order by batch.pos
            """
        ).to_arrow_table()
    finally:
        con.close()
    return zones.column(0).combine_chunks()


def add_derived(
    table: pa.Table,
    cb: Codebook,
    versions: list[str],
    *,
    build_db: Path | None,
    zones: pa.Array,
    waves: pa.Array,
    parts: pa.Array,
) -> pa.Table:
    """The judged table: canonical columns present (missing ones NULL) plus derived ones.

    `table` may hold several deliveries (`parts`: which one each row is, with its
    `zones` and `waves`); per-delivery rules (duplicates, zone of the delivery)
    are computed per part, in one pass. A required column missing from every
    delivery stays missing; derived columns then see it as NULL.
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

    numeric = {it.id: it for v in versions for it in cb.items_for(v) if it.is_numeric}
    for item in numeric.values():
        copy = numeric_copy(column(item.id), whole=item.type == "int")
        table = table.append_column(numeric_column(item.id), copy)
    pair = section_division(column(SECTION_ITEM), table[numeric_column(DIVISION_ITEM)])
    codes = column(USCC_ITEM)
    bad_check = pc.and_(pc.is_valid(codes), pa.array(~uscc_check_ok(codes)))
    check = pc.if_else(bad_check, "wrong check character", pa.scalar(None, pa.string()))
    zones_text = pc.cast(zones, pa.string())
    batch = pa.table(
        {
            "c": codes,
            "zone_id": zones_text,
            "wave_id": pc.cast(waves, pa.int32()),
            "pos": np.arange(n, dtype=np.int64),
        }
    )
    zone_text = column(ZONE_ITEM)
    other_zone = pc.fill_null(pc.not_equal(zone_text, zones_text), False)
    zone = pc.if_else(other_zone, zone_text, pa.scalar(None, pa.string()))
    return (
        table.append_column(SECTION_DIVISION, pair)
        .append_column(ZONE_MISMATCH, zone)
        .append_column(USCC_CHECK, check)
        .append_column(USCC_DUPLICATE, duplicate_counts(codes, parts))
        .append_column(USCC_OTHER_ZONE, other_zones(batch, build_db=build_db))
    )
