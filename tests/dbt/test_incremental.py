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

from orchestration.settings import DBT_PRODUCTION_BUILD, DBT_PROJECT_DIR
from tests.support.dbt_harness import dbt_env, run_dbt
from tests.support.fixture_raw import build

pytestmark = pytest.mark.slow

NEW_WAVE = 2022
CORRECTED = ("SH-01", 2021)
EMPTIED = ("Z08-01", 2020)
REFUSED_ON_RERUN = ("Z08-01", 2022)
# the production build (no unit tests) without the data tests: seeds and models only
MODELS_ONLY = (*DBT_PRODUCTION_BUILD, "--exclude-resource-type", "test")
STAMP_COLUMNS = ("zone_wave_stamp", "wave_stamp", "link_stamp", "built_by")
# the zone-wave and wave incremental tables (compared too, without their bookkeeping columns)
INCREMENTAL = (
    "int_weighting_cells",
    "int_response_weights",
    "int_enterprise_scores",
    "int_indicator_sums",
    "int_enterprise_waves",
    "int_enterprise_panel_linked",
)


@dataclass
class Warehouse:
    db: Path
    target: Path
    project: Path = DBT_PROJECT_DIR

    def dbt(self, *args: str) -> str:
        done = run_dbt(list(args), dbt_env(self.db), self.target, self.project)
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
    """The tables and views of a schema (fct_enterprise_wave is a view on DuckDB)."""
    return [
        r[0]
        for r in con.execute(
            "select table_name from information_schema.tables where table_schema = ? order by 1",
            [schema],
        ).fetchall()
    ]


def _rebuilt_waves(warehouse: Warehouse, marker: tuple[int, str]) -> dict[str, set[int]]:
    """The waves of the wave incremental tables written by the run that wrote the
    int_enterprise_waves rows of `marker` (wave, zone)."""
    con = warehouse.connect(read_only=True)
    try:
        run = """(select any_value(built_by) from intermediate.int_enterprise_waves
                  where wave_id = ? and zone_id = ?)"""
        return {
            table: {
                r[0]
                for r in con.execute(
                    f"select distinct {column} from intermediate.{table} where built_by = {run}",
                    list(marker),
                ).fetchall()
            }
            for table, column in (
                ("int_enterprise_waves", "wave_id"),
                ("int_enterprise_panel_linked", "wave_from"),
            )
        }
    finally:
        con.close()


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
    # The first build: seeds and every model. The data and unit tests of this raw data are
    # the fixture warehouse's (tests/dbt/test_dbt_marts.py); the incremental build's run
    # below has its own.
    warehouse.dbt(*MODELS_ONLY)
    _change(warehouse, _deliver_held_wave)  # new zone-waves
    warehouse.dbt("run")
    new_wave_run = _rebuilt_waves(warehouse, (NEW_WAVE, "SH-01"))
    before_correction = _snapshot(warehouse)
    _change(warehouse, lambda con: _replace_zone_wave(con, *CORRECTED, "corrected", True))
    warehouse.dbt("run")
    correction_run = _rebuilt_waves(warehouse, (CORRECTED[1], CORRECTED[0]))
    after_correction = _snapshot(warehouse)
    _change(warehouse, lambda con: _replace_zone_wave(con, *EMPTIED, "all-rejected", False))
    _change(warehouse, lambda con: _refuse_new_delivery(con, "SH-01", 2020))
    _change(warehouse, lambda con: _refuse_loaded_delivery(con, *REFUSED_ON_RERUN))
    build_log = warehouse.dbt("build")  # models and their (run-scoped) tests
    incremental = _snapshot(warehouse)
    kept = Warehouse(root / "incremental.duckdb", warehouse.target)
    shutil.copyfile(warehouse.db, kept.db)

    # the same raw schema, every model rebuilt from scratch (compared table by table
    # below); in the same file, so dbt's parse state of the sequence serves
    warehouse.dbt(*MODELS_ONLY, "--full-refresh")
    full = _snapshot(warehouse)
    yield {
        "warehouse": kept,
        "before_correction": before_correction,
        "after_correction": after_correction,
        "incremental": incremental,
        "full": full,
        "build_log": build_log,
        "new_wave_run": new_wave_run,
        "correction_run": correction_run,
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


def test_panel_links_are_rebuilt_for_the_changed_wave_and_its_neighbours(sequence: dict):
    waves = sorted(sequence["full"]["marts.fct_enterprise_wave"].wave_id.unique())
    assert waves[-1] == NEW_WAVE and len(waves) >= 3
    # a new wave: its enterprise rows, and the links into it (from the wave before)
    assert sequence["new_wave_run"] == {
        "int_enterprise_waves": {NEW_WAVE},
        "int_enterprise_panel_linked": {waves[-2]},
    }
    # a corrected zone-wave: its wave's rows, the links into and out of that wave
    wave = CORRECTED[1]
    before, after = waves[waves.index(wave) - 1], waves[waves.index(wave) + 1]
    assert sequence["correction_run"]["int_enterprise_waves"] == {wave}
    assert sequence["correction_run"]["int_enterprise_panel_linked"] <= {before, wave}
    assert wave in sequence["correction_run"]["int_enterprise_panel_linked"]
    assert after in set(sequence["full"]["intermediate.int_enterprise_panel_linked"].wave_to)


def test_a_changed_shared_macro_rebuilds_the_incremental_tables(sequence: dict, tmp_path: Path):
    """Stamps cover every project macro: no --full-refresh needed after changing one."""
    db = tmp_path / "build.duckdb"
    shutil.copyfile(sequence["warehouse"].db, db)
    project = tmp_path / "project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    models = ["int_indicator_sums", "int_enterprise_waves", "int_enterprise_panel_linked"]
    warehouse = Warehouse(db, tmp_path / "target", project)

    def runs() -> list[set[str]]:
        con = warehouse.connect(read_only=True)
        try:
            query = "select distinct built_by from intermediate.{}"
            return [{r[0] for r in con.execute(query.format(t)).fetchall()} for t in models]
        finally:
            con.close()

    before = runs()
    warehouse.dbt("run", "--select", *models)  # nothing changed: nothing rebuilt
    assert runs() == before
    shared = project / "macros" / "estimates.sql"
    text = shared.read_text(encoding="utf-8")
    end = text.index("{%- endmacro %}")  # a change inside the file's first macro
    shared.write_text(text[:end] + "{#- changed -#}" + text[end:], "utf-8")
    warehouse.dbt("run", "--select", *models)
    after = runs()
    assert all(len(runs_now) == 1 and not runs_now & runs_then
               for runs_now, runs_then in zip(after, before, strict=True))  # fmt: skip


def test_a_table_of_an_older_model_version_is_rebuilt_whole(sequence: dict, tmp_path: Path):
    """Tables written before their model was incremental (no stamp column) are emptied,
    given the model's columns and rebuilt, and then equal a full refresh."""
    db = tmp_path / "build.duckdb"
    shutil.copyfile(sequence["warehouse"].db, db)
    warehouse = Warehouse(db, tmp_path / "target")
    con = warehouse.connect()
    try:
        con.execute("alter table intermediate.int_enterprise_waves drop column wave_stamp")
        con.execute("alter table intermediate.int_enterprise_panel_linked drop column link_stamp")
        con.execute("alter table intermediate.int_enterprise_panel_linked drop column built_by")
        con.execute("delete from intermediate.int_enterprise_panel_linked where wave_from = 2020")
    finally:
        con.close()
    warehouse.dbt("build")
    _assert_same(_snapshot(warehouse), sequence["full"])
