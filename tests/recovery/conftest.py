"""A small published home, built once, and the tools to crash copies of it.

The base home has published SH-01/2020 (release 000001); tests copy it, drop
JS-01/2020 into the copy's inbox and run the real `smesurvey` command in a
process group of its own, so a crash point (SMESURVEY_CRASH_AT) kills the
command and everything it started, like `kill -9` of the group would.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration.demo.generator import GeneratorConfig, write_deliveries
from orchestration.faults import CRASH_ENV
from orchestration.release import read_manifest
from orchestration.settings import Home
from tests.support.shared import built_once
from tests.support.timeouts import HANG_GUARD

SMESURVEY = str(Path(sys.executable).with_name("smesurvey"))
FIRST, SECOND = ("SH-01", 2020), ("JS-01", 2020)
RUN_TIMEOUT = HANG_GUARD  # a hung command fails the test instead of hanging CI


def smesurvey(
    home: Home, *args: str, crash: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The real CLI on `home`, as its own process group (what a crash point kills)."""
    environment = {**os.environ, "SMESURVEY_HOME": str(home.root), **(env or {})}
    environment.pop(CRASH_ENV, None)
    if crash:
        environment[CRASH_ENV] = crash
    return subprocess.run(
        [SMESURVEY, *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        start_new_session=True,
    )


def drop(deliveries: Path, home: Home, zone_wave: tuple[str, int]) -> None:
    zone, wave = zone_wave
    shutil.copytree(deliveries / zone / str(wave), home.inbox / zone / str(wave))


def copy_home(base: Home, target: Path) -> Home:
    shutil.copytree(base.root, target, symlinks=True)
    return Home(target)


def published_content(home: Home) -> dict[str, list[tuple]]:
    """Every published table's rows, sorted, without timestamp columns (they differ by run)."""
    content = {}
    with duckdb.connect(str(home.analytics_db), read_only=True) as con:
        tables = con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'"
        ).fetchall()
        for (table,) in sorted(tables):
            columns = [
                f'"{name}"'
                for name, kind, *_ in con.execute(f"describe marts.{table}").fetchall()
                if not kind.startswith(("TIMESTAMP", "DATE"))
            ]
            rows = con.execute(f"select {', '.join(columns)} from marts.{table}").fetchall()
            content[table] = sorted(rows, key=repr)
    return content


def assert_release_whole(home: Home) -> str:
    """`current` is one complete release: every file its manifest lists, bytes and sha256
    as listed, nothing else. Returns the release id."""
    release = home.current.resolve()
    manifest = read_manifest(release)
    listed = {entry["path"]: entry for entry in manifest["files"]}
    present = {
        str(p.relative_to(release))
        for p in release.rglob("*")
        if p.is_file() and p.name != "manifest.json"
    }
    assert present == set(listed), f"{release}: files differ from its manifest"
    for path, entry in listed.items():
        data = (release / path).read_bytes()
        assert len(data) == entry["bytes"], path
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], path
    return release.name


@pytest.fixture(scope="session")
def deliveries(tmp_path_factory: pytest.TempPathFactory) -> Path:
    def generate(out: Path) -> None:
        write_deliveries(GeneratorConfig(zones=2, waves=(2020,), firms_per_zone=40, seed=7), out)

    return built_once(tmp_path_factory, "recovery-deliveries", generate)


# Built once per session, whichever xdist worker asks first (tests/support/shared.py);
# tests change copies only.
@pytest.fixture(scope="session")
def base_home(tmp_path_factory: pytest.TempPathFactory, deliveries: Path) -> Home:
    """SH-01/2020 ingested and published: release 000001."""

    def publish_first(folder: Path) -> None:
        home = Home(folder / "home")
        drop(deliveries, home, FIRST)
        result = smesurvey(home, "ingest", "--inbox")
        assert result.returncode == 0, result.stderr
        assert assert_release_whole(home) == "000001"

    return Home(built_once(tmp_path_factory, "recovery-base", publish_first) / "home")


@pytest.fixture(scope="session")
def second_home(
    tmp_path_factory: pytest.TempPathFactory, base_home: Home, deliveries: Path
) -> Home:
    """The base home after an uncrashed `ingest --inbox` of JS-01/2020: release 000002."""

    def publish_second(folder: Path) -> None:
        home = copy_home(base_home, folder / "home")
        drop(deliveries, home, SECOND)
        result = smesurvey(home, "ingest", "--inbox")
        assert result.returncode == 0, result.stderr
        assert assert_release_whole(home) == "000002"

    return Home(built_once(tmp_path_factory, "recovery-second", publish_second) / "home")


@pytest.fixture(scope="session")
def reference(second_home: Home) -> dict[str, list[tuple]]:
    """What an uncrashed `ingest --inbox` of JS-01/2020 publishes on the base home."""
    return published_content(second_home)
