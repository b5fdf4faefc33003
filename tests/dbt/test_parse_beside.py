"""A new home's first dbt parse, run beside its ingestion (orchestration/dbt_state.py), leaves
a state the home's build parses from instead of parsing the whole project again."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration.dbt_state import (
    PARSE_PREFIX,
    PARTIAL_PARSE,
    parse_into_state,
    prepare_run_target,
)
from tests.support.dbt_harness import dbt_env, run_dbt

pytestmark = pytest.mark.slow


def test_the_build_starts_from_the_state_the_parse_beside_left(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = dbt_env(tmp_path / "build.duckdb")
    for name in ("SMESURVEY_BUILD_DB", "SMESURVEY_PSEUDONYM_KEY"):
        monkeypatch.setenv(name, env[name])
    runs = tmp_path / "dbt"
    runs.mkdir()
    parse_into_state(runs, "duckdb")  # what the child of parse_beside runs
    assert (runs / PARTIAL_PARSE).is_file()
    assert not list(runs.glob(f"{PARSE_PREFIX}*"))
    target = prepare_run_target(runs, "r1")
    # the build's command line names the target as dagster-dbt does (--target duckdb)
    done = run_dbt(["ls", "--target", "duckdb", "--resource-type", "model"], env, target)
    assert done.returncode == 0, done.stdout[-2000:]
    assert "Unable to do partial parsing" not in done.stdout
    assert "int_indicator_sums" in done.stdout
