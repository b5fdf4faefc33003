"""Read-only commands do not import what they do not use (a test of imports, not of time).

`import dagster` alone takes about 4 s here, Great Expectations and dbt seconds more:
`smesurvey status` must answer in under 2 s, so it reads the Dagster storage with
sqlite3 (orchestration/defs/dagster_storage.py). Each command runs in a fresh
interpreter and reports the top-level packages in sys.modules when it exits.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.dagster_runs import write_dagster_yaml
from orchestration.settings import Home
from tests.support.timeouts import HANG_GUARD

HEAVY = ("dagster", "dagster_dbt", "great_expectations", "dbt", "pandas")
# Runs the CLI as `smesurvey ARGS...` would, then prints the heavy packages it loaded
# (atexit is too late for click's sys.exit; catching SystemExit is not).
PROBE = """
import json, runpy, sys
sys.argv = ["smesurvey", *sys.argv[1:]]
try:
    runpy.run_module("orchestration.cli", run_name="__main__")
except SystemExit:
    pass
loaded = sorted({m.split(".")[0] for m in sys.modules} & set(json.loads(HEAVY)))
print("LOADED " + json.dumps(loaded), file=sys.stderr)
"""


@dg.op
def noop() -> None:
    pass


@dg.job
def noop_job() -> None:
    noop()


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Home:
    """A home with a Dagster instance holding one run and a (tiny) analytics DB."""
    home = Home(tmp_path_factory.mktemp("imports") / "home").ensure()
    write_dagster_yaml(home)
    with dg.DagsterInstance.from_config(str(home.dagster_home)) as instance:
        assert noop_job.execute_in_process(instance=instance).success
    home.analytics_db.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(home.analytics_db)) as con:
        con.execute("create schema marts; create table marts.dim_wave as select 2024 as wave_id")
    return home


def loaded_by(home: Home, *args: str) -> tuple[list[str], str]:
    env = {**os.environ, "SMESURVEY_HOME": str(home.root), "PATH": "/usr/bin:/bin"}
    code = PROBE.replace("json.loads(HEAVY)", repr(list(HEAVY)))
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        env=env,
        input="",  # `sql` without the duckdb CLI opens a Python prompt: EOF ends it
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
    )
    line = next(x for x in done.stderr.splitlines() if x.startswith("LOADED "))
    return json.loads(line.removeprefix("LOADED ")), done.stdout + done.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("status",),
        ("zones", "list"),
        ("key", "show"),
        ("sql",),
        ("rejected", "SH-01", "2021"),
        ("releases",),
        ("releases", "show", "1"),
    ],
    ids=["status", "zones-list", "key-show", "sql", "rejected", "releases", "releases-show"],
)
def test_read_only_commands_import_no_dagster_gx_dbt_or_pandas(
    home: Home, args: tuple[str, ...]
) -> None:
    loaded, output = loaded_by(home, *args)
    assert loaded == [], f"smesurvey {' '.join(args)} imported {loaded}:\n{output}"


def test_status_output_comes_from_the_storage(home: Home) -> None:
    _, output = loaded_by(home, "status")
    assert "noop_job" in output and "SUCCESS" in output


def test_dashboards_imports_no_dagster_gx_or_dbt(home: Home, tmp_path: Path) -> None:
    # The site builder needs pandas; its module imports happen before any work.
    loaded, output = loaded_by(home, "dashboards", "--out", str(tmp_path / "site"))
    assert set(loaded) <= {"pandas"}, f"dashboards imported {loaded}:\n{output}"
