"""The production `dbt build` leaves out dbt's unit tests; a plain build (CI) keeps them.

Dagster's warehouse_dbt and the bench run `DBT_PRODUCTION_BUILD`. `dbt ls` with the
same flags lists what that build would run, without building anything; CI's own
`dbt build` (conftest, `test_dbt_build_passes_every_test_and_unit_test`) runs the
unit tests.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration.settings import DBT_PRODUCTION_BUILD
from tests.support.dbt_harness import dbt_env, run_dbt

pytestmark = pytest.mark.slow


def listed(flags: list[str], tmp_path: Path) -> list[str]:
    # `ls` takes the selection flags of `build`; both share one target (one parse).
    done = run_dbt(
        ["ls", "--output", "json", "--output-keys", "unique_id", "--quiet", *flags],
        dbt_env(tmp_path / "build.duckdb"),
        tmp_path / "target",
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-2000:]
    return [line for line in done.stdout.splitlines() if line.startswith("{")]


def test_the_production_build_runs_no_unit_test(tmp_path: Path) -> None:
    verb, *flags = DBT_PRODUCTION_BUILD
    assert verb == "build"
    everything = listed([], tmp_path)
    production = listed(flags, tmp_path)
    unit_tests = [n for n in everything if '"unit_test.' in n]
    assert len(unit_tests) >= 2  # the project has unit tests, which CI runs
    assert sorted(production) == sorted(n for n in everything if n not in unit_tests)
    assert any('"test.' in n for n in production)  # data tests still run in production
