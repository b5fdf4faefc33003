"""`kill -9` at every stage boundary of `smesurvey ingest --inbox`, then the same command.

One home goes through the whole chain: the command is killed at the landing,
after parsing, after the gate, after the raw load, while dbt writes the build
DB, at the start of publishing and at its switch; each next command (the same
command, with the next crash point) first has to get past what the previous crash left: a dead
run holding the pool, a landed but unjudged delivery, a loaded but unpublished
one, pending release folders. The last command, without a crash, must finish by
itself and publish exactly what an uncrashed run publishes. Throughout, the
published release stays whole, and an analyst connection held open across the
crashes keeps reading one consistent release.
"""

from __future__ import annotations

import signal
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.recovery import CRASHED_TAG
from orchestration.settings import Home

from .conftest import (
    SECOND,
    assert_release_whole,
    copy_home,
    drop,
    published_content,
    smesurvey,
)

pytestmark = pytest.mark.slow

# In pipeline order. Of the publish steps (orchestration/release.py) the chain keeps the
# first, which leaves a loaded but unpublished delivery, and the switch, which leaves a
# published one in a crashed run; a kill at every publish step in between is
# tests/unit/test_release.py's (a real process, SIGKILL, without a whole pipeline per step).
CRASH_POINTS = (
    "landing",
    "parse",
    "gate",
    "load",
    "dbt",
    "publish.marts",
    "publish.switched",
)


def reader_snapshot(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """Respondents as two marts count them: equal within one release."""
    waves = con.execute("select sum(n_enterprises) from marts.dim_wave").fetchone()[0]
    enterprises = con.execute("select count(*) from marts.fct_enterprise_wave").fetchone()[0]
    return int(waves), int(enterprises)


def leftovers(home: Home) -> list[Path]:
    return [
        *home.releases.glob(".*"),
        *home.warehouse.glob(".current-*"),
        *home.landing.glob("*/*/.incoming-*"),
    ]


def test_every_crash_point_then_the_same_command_finishes(
    tmp_path: Path, base_home: Home, deliveries: Path, reference: dict
) -> None:
    home = copy_home(base_home, tmp_path / "home")
    drop(deliveries, home, SECOND)
    reader = duckdb.connect(str(home.analytics_db), read_only=True)
    before = reader_snapshot(reader)
    assert before[0] == before[1]
    for point in CRASH_POINTS:
        result = smesurvey(home, "ingest", "--inbox", crash=point)
        assert result.returncode == -signal.SIGKILL, (point, result.returncode, result.stderr)
        release = assert_release_whole(home)
        # the switch is the commit point: before it the old release, after it the new
        assert release == ("000002" if point == "publish.switched" else "000001"), point
        assert reader_snapshot(reader) == before, point
    reader.close()

    result = smesurvey(home, "ingest", "--inbox")
    assert result.returncode == 0, result.stderr
    assert assert_release_whole(home) == "000002"
    assert published_content(home) == reference
    assert leftovers(home) == []
    # every crashed run was ended as crashed, none is left running or holding the pool
    with dg.DagsterInstance.from_config(str(home.dagster_home)) as instance:
        runs = instance.get_runs()
        unfinished = [r for r in runs if not r.is_finished]
        assert unfinished == []
        crashed = [r for r in runs if CRASHED_TAG in r.tags]
        assert len(crashed) == len(CRASH_POINTS)
        assert not instance.event_log_storage.get_concurrency_run_ids()
    status = smesurvey(home, "status")
    assert status.returncode == 0, status.stderr
    assert "CRASHED" in status.stdout and "not published" not in status.stdout
