"""DuckDB's memory bound: one value for the run's connections and for dbt, spills in the home."""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import pytest

from orchestration.defs.resources import SurveyHome
from orchestration.duckdb_memory import (
    MEMORY_ENV,
    connect,
    memory_limit,
    release_free_memory,
    spill_under,
)
from orchestration.pseudonym import KEY_ENV
from orchestration.settings import Home


def _setting(con: duckdb.DuckDBPyConnection, name: str) -> str:
    return con.execute("select current_setting(?)", [name]).fetchone()[0]


def test_default_is_a_share_of_the_machine_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(MEMORY_ENV, raising=False)
    limit = memory_limit()
    assert limit.endswith("MB")
    assert 256 <= int(limit.removesuffix("MB")) <= 3000


def test_environment_overrides_and_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MEMORY_ENV, "1500MB")
    assert memory_limit() == "1500MB"
    with connect() as con:
        assert _setting(con, "memory_limit") == "1.3 GiB"  # 1.5e9 bytes, as DuckDB shows it
    monkeypatch.setenv(MEMORY_ENV, "lots")
    with pytest.raises(ValueError, match=MEMORY_ENV):
        memory_limit()


def test_file_database_bounded_and_still_shareable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(MEMORY_ENV, "1GB")
    db = tmp_path / "build.duckdb"
    with connect(db) as con:
        assert _setting(con, "memory_limit") == "953.6 MiB"
        # Set with SET, not as config: a plain second connection to the file still opens.
        with duckdb.connect(str(db)) as other:
            assert other.execute("select 1").fetchone() == (1,)


def test_in_memory_spills_under_the_home_only_when_asked(tmp_path: Path) -> None:
    home = Home(tmp_path / "home").ensure()
    with spill_under(home.duckdb_spill), connect() as con:
        spill = Path(_setting(con, "temp_directory"))
    assert spill.parent == home.duckdb_spill
    assert home.duckdb_spill.stat().st_mode & 0o777 == 0o700
    with connect() as con:  # outside: DuckDB's own default
        assert Path(_setting(con, "temp_directory")).parent != home.duckdb_spill


def test_spilling_in_memory_query_gives_the_same_answer(tmp_path: Path) -> None:
    home = Home(tmp_path / "home").ensure()
    query = (  # a sort of 2,000,000 rows: more than 20 MB
        "select sum(i * rn) from "
        "(select i, row_number() over (order by i desc) as rn from range(2000000) t(i))"
    )
    with duckdb.connect() as free:
        expected = free.execute(query).fetchall()
    with spill_under(home.duckdb_spill), connect() as con:
        con.execute("set memory_limit = '20MB'; set threads = 1")
        assert con.execute(query).fetchall() == expected
        assert Path(_setting(con, "temp_directory")).is_dir()  # it spilled there
    assert not any(home.duckdb_spill.iterdir())  # DuckDB removed its folder on close


def test_dbt_gets_the_same_bound(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    monkeypatch.delenv(MEMORY_ENV, raising=False)
    env = SurveyHome(home=str(tmp_path / "home")).dbt_env()
    assert env[MEMORY_ENV] == memory_limit()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_release_free_memory() -> None:
    assert release_free_memory() is True
