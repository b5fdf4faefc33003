"""Restricted data at rest: a home built by the real CLI is owner-only but for its releases."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from orchestration.settings import Home

pytestmark = pytest.mark.slow


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_restricted_folders_and_files_are_owner_only(base_home: Home) -> None:
    home = base_home
    for folder in (*home.restricted_folders, home.raw_parquet):
        assert folder.is_dir(), folder
        assert mode(folder) == 0o700, folder
    assert mode(home.build_db) == 0o600
    assert mode(home.pseudonym_key_file) == 0o600
    # every file under them was created private too (umask 077), not just closed off
    for folder in (home.landing, home.build, home.data_docs, home.dagster_home):
        loose = [p for p in folder.rglob("*") if mode(p) & 0o077]
        assert loose == [], loose[:3]


def test_releases_are_readable_and_hold_nothing_raw(base_home: Home) -> None:
    home = base_home
    release = home.current.resolve()
    for path in [release, *release.rglob("*")]:
        assert mode(path) == (0o755 if path.is_dir() else 0o644), path
    assert not list(home.warehouse.rglob("raw_parquet")), "the raw mirror is not for analysts"
    assert not list(home.warehouse.glob("build.duckdb*"))


def test_a_legacy_home_is_closed_and_moved_by_the_next_command(tmp_path: Path) -> None:
    home = Home(tmp_path / "home")
    (home.warehouse / "raw_parquet" / "responses").mkdir(parents=True)
    (home.warehouse / "build.duckdb").write_bytes(b"db")
    home.landing.mkdir(mode=0o755)
    home.ensure()
    assert home.build_db.read_bytes() == b"db"
    assert (home.raw_parquet / "responses").is_dir()
    assert not (home.warehouse / "build.duckdb").exists()
    assert mode(home.landing) == 0o700 and mode(home.build_db) == 0o600
