"""`smesurvey releases`, `releases show ID` and `sql --release ID` on published homes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from orchestration.cli import cli
from orchestration.release import MANIFEST
from orchestration.release_list import UnknownRelease, release_path
from orchestration.settings import Home
from tests.support.timeouts import HANG_GUARD
from tests.unit.test_release import DELIVERIES, publish, site_with_public


@pytest.fixture
def home(tmp_path: Path) -> Home:
    """Two releases; the second re-delivers JS-01/2020 and revises two figures."""
    home = Home(tmp_path / "home").ensure()
    publish(home, n_enterprises=5, site=site_with_public(0.4))
    redelivered = ((DELIVERIES[0], "SH-01", 2020, "loaded"), ("d-again", "JS-01", 2020, "loaded"))
    publish(home, n_enterprises=7, deliveries=redelivered, site=site_with_public(0.6))
    return home


def run(home: Home, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--home", str(home.root), *args])
    return result.exit_code, result.output


def test_releases_lists_each_kept_release_on_one_line(home: Home) -> None:
    code, output = run(home, "releases")
    assert code == 0, output
    first, second = output.splitlines()
    assert first.startswith("000001  ") and "2 deliveries" in first
    assert "0 revisions" in first and "current" not in first
    assert second.startswith("000002  ") and second.endswith("2 revisions   current")
    assert " kB" in second and "code " in second


def test_releases_on_an_empty_home(tmp_path: Path) -> None:
    code, output = run(Home(tmp_path / "empty"), "releases")
    assert code == 0 and output.startswith("no release yet")


def test_releases_show_prints_the_manifest_and_where_the_release_is(home: Home) -> None:
    code, output = run(home, "releases", "show", "2")
    assert code == 0, output
    assert output.startswith("release       000002  (current)")
    assert f"path          {home.releases / '000002'}" in output
    assert "JS-01    2020  d-again" in output and "platform_export.csv" in output
    assert "dbt_vars.min_base = " in output
    assert "2 changed figures against release 000001" in output


def test_releases_show_reads_a_version_1_manifest(home: Home) -> None:
    path = home.releases / "000001" / MANIFEST
    manifest = json.loads(path.read_text(encoding="utf-8"))
    for field in ("parameters", "revisions"):
        del manifest[field]
    manifest |= {"manifest_version": 1, "deliveries": list(DELIVERIES)}
    path.write_text(json.dumps(manifest), encoding="utf-8")

    code, output = run(home, "releases", "show", "000001")
    assert code == 0, output
    assert "d-loaded-1" in output and "not recorded (manifest version 1)" in output
    code, output = run(home, "releases")
    assert output.splitlines()[0].startswith("000001") and "2 deliveries" in output


def test_an_unknown_release_is_one_line(home: Home) -> None:
    code, output = run(home, "releases", "show", "7")
    assert code == 1
    assert output.strip() == "smesurvey: release 000007: not kept (kept: 000001 to 000002)"
    code, output = run(home, "sql", "--release", "abc")
    assert code == 1 and "a release id is a number" in output


def test_sql_release_opens_that_release(home: Home) -> None:
    assert release_path(home, "1") == home.releases / "000001"
    with pytest.raises(UnknownRelease):
        release_path(home, "3")
    query = "select count(*) as n from marts.fct_enterprise_wave"
    counts = {}
    for release in ("1", None):
        chosen = ["--release", release] if release else []
        cli_args = ["--home", str(home.root), "sql", *chosen, "--format", "csv", "-c", query]
        done = subprocess.run(
            [sys.executable, "-m", "orchestration.cli", *cli_args],
            capture_output=True,
            text=True,
            timeout=HANG_GUARD,
        )
        assert done.returncode == 0, done.stderr
        counts[release] = done.stdout.split()
    # release 1 had 5 enterprises, the current one 7
    assert counts == {"1": ["n", "5"], None: ["n", "7"]}
