"""The engine-neutral raw layer: the build DB's `raw` tables mirrored as Parquet.

Layout (beside the build DB, `Home.raw_parquet`):
    <root>/<table>/wave_id=<w>/zone_id=<z>/part-0.parquet
Every file carries all columns of its table (wave_id and zone_id included, so
readers need no partition discovery). A zone-wave's folder is rewritten whole after
every change of that zone-wave in the build DB, so superseded or blocked deliveries
leave no stale rows. The Spark target of dbt reads these files
(dbt_project/macros/spark_sources.sql).
"""

from __future__ import annotations

import re
import shutil
import uuid
from pathlib import Path

import duckdb

# The build DB tables dbt reads as sources (models/staging/_survey__sources.yml).
RAW_TABLES: tuple[str, ...] = ("responses", "zone_register", "deliveries", "rejected_rows")
PART_FILE = "part-0.parquet"
# Zone ids become folder names: letters, digits, dash, underscore only.
_SAFE_ZONE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


def raw_parquet_root(build_db: Path) -> Path:
    """Where the Parquet mirror of a build DB lives (same rule as `Home.raw_parquet`)."""
    return build_db.parent / "raw_parquet"


def zone_wave_dir(root: Path, table: str, zone_id: str, wave_id: int) -> Path:
    if not _SAFE_ZONE.match(zone_id):
        raise ValueError(f"{root}: zone id {zone_id!r} cannot name a Parquet partition folder")
    return root / table / f"wave_id={int(wave_id)}" / f"zone_id={zone_id}"


def _swap_in(staged: Path, final: Path, trash: Path) -> None:
    """Replace `final` by `staged` with two renames (readers see old or new, briefly none)."""
    final.parent.mkdir(parents=True, exist_ok=True)
    if final.exists():
        final.rename(trash / f"{uuid.uuid4().hex}")
    staged.rename(final)


def export_zone_wave(
    con: duckdb.DuckDBPyConnection, root: Path, zone_id: str, wave_id: int
) -> None:
    """Rewrite one zone-wave's Parquet from the build DB, for every raw table.

    A table without rows for the zone-wave still gets a (zero-row) file: it carries
    the schema, and replaces whatever an earlier delivery left there.
    """
    scratch = root / "_scratch" / uuid.uuid4().hex
    trash = root / "_trash" / uuid.uuid4().hex  # per call: exports may run side by side
    scratch.mkdir(parents=True)
    trash.mkdir(parents=True)
    try:
        for table in RAW_TABLES:
            staged = scratch / table
            staged.mkdir()
            target = (staged / PART_FILE).as_posix().replace("'", "''")
            con.execute(
                f"COPY (SELECT * FROM raw.{table} WHERE zone_id = $zone AND wave_id = $wave) "
                f"TO '{target}' (FORMAT parquet, COMPRESSION zstd)",
                {"zone": zone_id, "wave": int(wave_id)},
            )
        for table in RAW_TABLES:
            _swap_in(scratch / table, zone_wave_dir(root, table, zone_id, wave_id), trash)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        shutil.rmtree(trash, ignore_errors=True)


def zone_waves(con: duckdb.DuckDBPyConnection) -> list[tuple[str, int]]:
    """Every zone-wave the build DB knows (a delivery row exists for each)."""
    rows = con.execute(
        "SELECT DISTINCT zone_id, wave_id FROM ("
        + " UNION ALL ".join(f"SELECT zone_id, wave_id FROM raw.{t}" for t in RAW_TABLES)
        + ") ORDER BY wave_id, zone_id"
    ).fetchall()
    return [(zone, int(wave)) for zone, wave in rows]


def export_all(build_db: Path, root: Path | None = None) -> int:
    """Rebuild the whole mirror from a build DB; returns the number of zone-waves.

    Zone-wave folders the build DB no longer knows are removed.
    """
    if not build_db.exists():
        raise FileNotFoundError(f"{build_db}: build DB not found")
    root = root or raw_parquet_root(build_db)
    con = duckdb.connect(str(build_db), read_only=True)
    try:
        known = zone_waves(con)
        for zone_id, wave_id in known:
            export_zone_wave(con, root, zone_id, wave_id)
    finally:
        con.close()
    keep = {zone_wave_dir(root, t, z, w) for t in RAW_TABLES for z, w in known}
    for stale in root.glob("*/wave_id=*/zone_id=*"):
        if stale not in keep:
            shutil.rmtree(stale)
    return len(known)
