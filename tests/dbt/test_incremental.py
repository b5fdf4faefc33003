"""Incremental dbt builds by zone-wave equal full-refresh builds.

Real dbt runs on real DuckDB files. One build DB is built incrementally through
a sequence of raw changes made the way orchestration/ingest/load.py makes them
(new zone-waves loaded, a correction replacing a zone-wave, a delivery whose
rows were all rejected, a refused new delivery, a loaded delivery refused on a
re-run); a copy of the final raw schema is then built from scratch, and every
mart table must be the same, row for row.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from dbt_harness import dbt_env, run_dbt
from fixture_raw import build

NEW_WAVE = 2022
CORRECTED = ("SH-01", 2021)
EMPTIED = ("Z08-01", 2020)
REFUSED_ON_RERUN = ("Z08-01", 2022)
STAMP_COLUMNS = ("zone_wave_stamp", "built_by")
# the zone-wave incremental tables (compared too, without their bookkeeping columns)
INCREMENTAL = (
    "int_weighting_cells",
    "int_response_weights",
    "int_enterprise_scores",
    "int_indicator_sums",
)


@dataclass
class Warehouse:
    db: Path
    target: Path

    def dbt(self, *args: str) -> str:
        done = run_dbt(list(args), dbt_env(self.db), self.target)
        assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
        return done.stdout

    def connect(self, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        return duckdb.connect(str(self.db), read_only=read_only)


# --------------------------------------------------------------------------- raw changes


def _set_aside_wave(con: duckdb.DuckDBPyConnection, wave: int) -> None:
    """Move a wave out of raw.* into holding tables (delivered later)."""
    for table in ("responses", "zone_register", "deliveries"):
        con.execute(
            f"create table main.held_{table} as select * from raw.{table} where wave_id = ?", [wave]
        ).fetchall()
        con.execute(f"delete from raw.{table} where wave_id = ?", [wave])


def _deliver_held_wave(con: duckdb.DuckDBPyConnection) -> None:
    for table in ("responses", "zone_register", "deliveries"):
        con.execute(f"insert into raw.{table} by name select * from main.held_{table}")


def _replace_zone_wave(
    con: duckdb.DuckDBPyConnection, zone: str, wave: int, delivery: str, keep_rows: bool
) -> None:
    """A new delivery replaces the zone-wave (load.py `_replace`): changed answers,
    fewer rows, a changed register; or, keep_rows=False, no accepted row at all."""
    key = {"zone": zone, "wave": wave, "id": delivery}
    loaded_at = datetime(2030, 1, 1, 12, 0)
    con.execute(
        """create or replace temp table new_rows as
        select * replace (
            $id as delivery_id,
            case when source_row % 3 = 0
                then case B1_large_data_online when 'yes' then 'no' else 'yes' end
                else B1_large_data_online end as B1_large_data_online,
            case when source_row % 4 = 0 then 'paper' else A12_mode end as A12_mode
        )
        from raw.responses where zone_id = $zone and wave_id = $wave and source_row % 7 != 0""",
        key,
    )
    con.execute(
        """create or replace temp table new_register as
        select * replace ($id as delivery_id, n_enterprises + 5 as n_enterprises)
        from raw.zone_register where zone_id = $zone and wave_id = $wave""",
        key,
    )
    old = con.execute(
        """select * from raw.deliveries
        where zone_id = $zone and wave_id = $wave and status = 'loaded'""",
        {"zone": zone, "wave": wave},
    ).df()
    con.execute("delete from raw.responses where zone_id = ? and wave_id = ?", [zone, wave])
    con.execute("delete from raw.zone_register where zone_id = ? and wave_id = ?", [zone, wave])
    con.execute(
        """update raw.deliveries set status = 'superseded'
        where zone_id = ? and wave_id = ? and status = 'loaded'""",
        [zone, wave],
    )
    if keep_rows:
        con.execute("update new_rows set loaded_at = ?", [loaded_at])
        con.execute("insert into raw.responses by name select * from new_rows")
        con.execute("insert into raw.zone_register by name select * from new_register")
    accepted = con.execute("select count(*) from new_rows").fetchall()[0][0] if keep_rows else 0
    read = len(old) and int(old.rows_read.iloc[0]) if not keep_rows else accepted
    row = old.iloc[[0]].assign(
        delivery_id=delivery,
        status="loaded",
        received_at=loaded_at,
        rows_read=read,
        rows_accepted=accepted,
        rows_rejected=read - accepted,
    )
    con.register("new_delivery", row)
    con.execute("insert into raw.deliveries by name select * from new_delivery")


def _refuse_new_delivery(con: duckdb.DuckDBPyConnection, zone: str, wave: int) -> None:
    """A refused delivery (load.py `record_blocked`): a `blocked` row, nothing loaded."""
    con.execute(
        """insert into raw.deliveries by name
        select * replace (
            'refused-' || delivery_id as delivery_id, 'blocked' as status,
            0 as rows_accepted, rows_read as rows_rejected
        )
        from raw.deliveries where zone_id = ? and wave_id = ? and status = 'loaded'""",
        [zone, wave],
    )


def _refuse_loaded_delivery(con: duckdb.DuckDBPyConnection, zone: str, wave: int) -> None:
    """The loaded delivery refused on a re-run: its rows leave raw, the zone-wave is gone."""
    (delivery,) = con.execute(
        "select delivery_id from raw.deliveries where zone_id = ? and wave_id = ? "
        "and status = 'loaded'",
        [zone, wave],
    ).fetchall()[0]
    for table in ("responses", "zone_register"):
        con.execute(f"delete from raw.{table} where delivery_id = ?", [delivery])
    con.execute("update raw.deliveries set status = 'blocked' where delivery_id = ?", [delivery])


def _change(warehouse: Warehouse, step) -> None:
    con = warehouse.connect()
    try:
        step(con)
    finally:
        con.close()


# --------------------------------------------------------------------------- comparing


def _tables(con: duckdb.DuckDBPyConnection, schema: str) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            "select table_name from duckdb_tables() where schema_name = ? order by 1", [schema]
        ).fetchall()
    ]


def _frame(con: duckdb.DuckDBPyConnection, relation: str) -> pd.DataFrame:
    frame = con.execute(f"select * from {relation}").df()
    frame = frame.drop(columns=[c for c in STAMP_COLUMNS if c in frame.columns])
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


def _snapshot(warehouse: Warehouse) -> dict[str, pd.DataFrame]:
    con = warehouse.connect(read_only=True)
    try:
        out = {f"marts.{t}": _frame(con, f"marts.{t}") for t in _tables(con, "marts")}
        out |= {f"intermediate.{t}": _frame(con, f"intermediate.{t}") for t in INCREMENTAL}
        return out
    finally:
        con.close()


def _assert_same(got: dict[str, pd.DataFrame], want: dict[str, pd.DataFrame]) -> None:
    assert got.keys() == want.keys()
    for name in want:
        pd.testing.assert_frame_equal(got[name], want[name], check_dtype=True, obj=name)


# --------------------------------------------------------------------------- the sequence


@pytest.fixture(scope="module")
def sequence(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    root = tmp_path_factory.mktemp("incremental")
    warehouse = Warehouse(build(root / "build.duckdb"), root / "target")
    _change(warehouse, lambda con: _set_aside_wave(con, NEW_WAVE))
    warehouse.dbt("build")  # the first build: everything
    _change(warehouse, _deliver_held_wave)  # new zone-waves
    warehouse.dbt("run")
    before_correction = _snapshot(warehouse)
    _change(warehouse, lambda con: _replace_zone_wave(con, *CORRECTED, "corrected", True))
    warehouse.dbt("run")
    after_correction = _snapshot(warehouse)
    _change(warehouse, lambda con: _replace_zone_wave(con, *EMPTIED, "all-rejected", False))
    _change(warehouse, lambda con: _refuse_new_delivery(con, "SH-01", 2020))
    _change(warehouse, lambda con: _refuse_loaded_delivery(con, *REFUSED_ON_RERUN))
    build_log = warehouse.dbt("build")  # models and their (run-scoped) tests
    incremental = _snapshot(warehouse)

    # the same raw schema, every model rebuilt from scratch
    fresh = Warehouse(root / "fresh.duckdb", root / "fresh-target")
    shutil.copyfile(warehouse.db, fresh.db)
    fresh.dbt("build", "--full-refresh")
    yield {
        "warehouse": warehouse,
        "before_correction": before_correction,
        "after_correction": after_correction,
        "incremental": incremental,
        "full": _snapshot(fresh),
        "build_log": build_log,
    }
    shutil.rmtree(root, ignore_errors=True)


def test_incremental_builds_equal_a_full_refresh(sequence: dict):
    _assert_same(sequence["incremental"], sequence["full"])
    marts = sequence["full"]
    estimates = marts["marts.fct_indicator_estimates"]
    zone_waves = set(zip(estimates.zone_id, estimates.wave_id, strict=True))
    assert EMPTIED not in zone_waves and REFUSED_ON_RERUN not in zone_waves
    assert CORRECTED in zone_waves and ("SH-01", NEW_WAVE) in zone_waves


def test_a_correction_changes_its_zone_wave_and_the_pooled_rows_only(sequence: dict):
    before = sequence["before_correction"]["marts.fct_indicator_estimates"]
    after = sequence["after_correction"]["marts.fct_indicator_estimates"]
    key = ["wave_id", "zone_id", "domain", "indicator_id"]
    merged = before.merge(after, on=key, how="outer", suffixes=("_b", "_a"), indicator=True)
    values = [c for c in before.columns if c not in key]
    changed = merged[
        (merged["_merge"] != "both")
        | pd.concat(
            [
                ~(
                    (merged[f"{c}_b"] == merged[f"{c}_a"])
                    | (merged[f"{c}_b"].isna() & merged[f"{c}_a"].isna())
                )
                for c in values
            ],
            axis=1,
        ).any(axis=1)
    ]
    touched = set(zip(changed.zone_id, changed.wave_id, strict=True))
    zone, wave = CORRECTED
    assert touched == {(zone, wave), ("ALL", wave)}

    # its rows are the corrected delivery's (every seventh questionnaire of each file dropped)
    def n_mode(frame: pd.DataFrame) -> int:
        row = frame[(frame.zone_id == zone) & (frame.wave_id == wave) & (frame.domain == "all")
                    & (frame.indicator_id == "mode_electronic")]  # fmt: skip
        return int(row.n_base.iloc[0])

    con = sequence["warehouse"].connect(read_only=True)
    try:
        (loaded,) = con.execute(
            "select count(*) from raw.responses where delivery_id = 'corrected'"
        ).fetchall()[0]
    finally:
        con.close()
    assert n_mode(after) == loaded < n_mode(before)


def test_the_incremental_run_rebuilt_only_changed_zone_waves(sequence: dict):
    con = sequence["warehouse"].connect(read_only=True)
    try:
        last = con.execute(
            """select distinct zone_id, wave_id from intermediate.int_indicator_sums
            where built_by = (select any_value(built_by) from intermediate.int_indicator_sums
                              where zone_id = ? and wave_id = ?)""",
            list(CORRECTED),
        ).fetchall()
        written = con.execute(
            "select count(distinct built_by) from intermediate.int_indicator_sums"
        ).fetchall()[0][0]
    finally:
        con.close()
    assert set(last) == {CORRECTED}
    assert written >= 3  # first build, the new wave, the correction: rows of three runs
