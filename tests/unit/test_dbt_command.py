"""One dbt command line for the benchmark and the tests (orchestration/dbt_command.py)."""

from __future__ import annotations

import os
from pathlib import Path

from orchestration.bench import children
from orchestration.dbt_command import DBT, dbt_command
from orchestration.settings import DBT_PRODUCTION_BUILD, DBT_PROJECT_DIR
from tests.support import dbt_harness


def _option(command: list[str], flag: str) -> str:
    assert command.count(flag) == 1, command
    return command[command.index(flag) + 1]


def test_the_command_runs_the_environments_dbt_on_the_project(tmp_path: Path) -> None:
    command = dbt_command(DBT_PRODUCTION_BUILD, tmp_path / "target", dbt_target="spark")
    assert command[0] == str(DBT) and os.access(DBT, os.X_OK)
    assert command[1 : 1 + len(DBT_PRODUCTION_BUILD)] == list(DBT_PRODUCTION_BUILD)
    assert _option(command, "--target") == "spark"
    assert _option(command, "--project-dir") == _option(command, "--profiles-dir")
    assert Path(_option(command, "--project-dir")) == DBT_PROJECT_DIR
    assert Path(_option(command, "--target-path")) == tmp_path / "target"
    assert Path(_option(command, "--log-path")) == tmp_path / "target" / "logs"


def test_a_verb_alone_and_the_profiles_default_target(tmp_path: Path) -> None:
    command = dbt_command("parse", tmp_path)
    assert command[1] == "parse"
    assert "--target" not in command  # the profile's own default output (duckdb)


def test_benchmark_and_tests_share_it() -> None:
    assert children.dbt_command is dbt_command
    assert dbt_harness.dbt_command is dbt_command
