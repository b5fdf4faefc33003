"""The raw Parquet mirror: one folder per table x wave x zone, replaced whole (no Spark)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from orchestration.ingest.raw_parquet import (
    RAW_TABLES,
    export_all,
    export_zone_wave,
    raw_parquet_root,
    zone_wave_dir,
)
from tests.support.fixture_raw import build


@pytest.fixture(scope="module")
def mirrored(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    db = build(tmp_path_factory.mktemp("raw") / "build" / "build.duckdb")
    export_all(db)
    return db, raw_parquet_root(db)


def _glob(root: Path, table: str) -> str:
    files = f"{root.as_posix()}/{table}/wave_id=*/zone_id=*/*.parquet"
    # the files carry wave_id and zone_id typed; the folder names would say BIGINT
    return f"read_parquet('{files}', hive_partitioning = false)"


def _scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None):
    return con.execute(sql, params or []).fetchone()[0]


def test_mirror_equals_the_build_db(mirrored: tuple[Path, Path]) -> None:
    db, root = mirrored
    con = duckdb.connect(str(db), read_only=True)
    try:
        for table in RAW_TABLES:
            in_db = con.sql(f"select * from raw.{table}")
            in_parquet = con.sql(f"select * from {_glob(root, table)}")
            assert in_db.columns == in_parquet.columns, table
            assert in_db.types == in_parquet.types, table
            diff = _scalar(
                con,
                f"select count(*) from ((select * from raw.{table} except all "
                f"select * from {_glob(root, table)}) union all (select * from "
                f"{_glob(root, table)} except all select * from raw.{table}))",
            )
            assert diff == 0, f"{table}: {diff} rows differ"
        assert _scalar(con, f"select count(*) from {_glob(root, 'responses')}") > 0
    finally:
        con.close()


def test_a_zone_wave_is_replaced_whole(tmp_path: Path, mirrored: tuple[Path, Path]) -> None:
    source, _ = mirrored
    db = tmp_path / "build.duckdb"
    db.write_bytes(source.read_bytes())
    root = tmp_path / "raw_parquet"
    export_all(db, root)
    con = duckdb.connect(str(db))
    try:
        zone, wave = con.execute("select zone_id, wave_id from raw.responses limit 1").fetchone()
        con.execute("delete from raw.responses where zone_id = ? and wave_id = ?", [zone, wave])
        export_zone_wave(con, root, zone, wave)
        left = _scalar(
            con,
            f"select count(*) from {_glob(root, 'responses')} where zone_id = ? and wave_id = ?",
            [zone, wave],
        )
        others = _scalar(con, f"select count(*) from {_glob(root, 'responses')}")
        expected = _scalar(con, "select count(*) from raw.responses")
    finally:
        con.close()
    assert left == 0  # a zero-row file keeps the schema, no stale rows
    assert (zone_wave_dir(root, "responses", zone, wave) / "part-0.parquet").is_file()
    assert others == expected > 0
    assert not list(root.glob("_scratch/*")) and not list(root.glob("_trash/*"))


def test_zone_wave_gone_from_the_build_db_leaves_the_mirror(
    tmp_path: Path, mirrored: tuple[Path, Path]
) -> None:
    source, _ = mirrored
    db = tmp_path / "build.duckdb"
    db.write_bytes(source.read_bytes())
    root = tmp_path / "raw_parquet"
    stale = zone_wave_dir(root, "responses", "XX-99", 2019)
    stale.mkdir(parents=True)
    (stale / "part-0.parquet").write_bytes(b"not parquet")
    export_all(db, root)
    assert not stale.exists()


def test_unsafe_zone_id_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot name a Parquet partition folder"):
        zone_wave_dir(tmp_path, "responses", "../etc", 2020)
