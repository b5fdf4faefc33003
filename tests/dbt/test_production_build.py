"""The production `dbt build` leaves out dbt's unit tests; a plain build (CI) keeps them.

Dagster's warehouse_dbt and the bench run `DBT_PRODUCTION_BUILD`. `dbt ls` with the
same flags lists what that build would run, without building anything; CI's own
`dbt build` (conftest, `test_dbt_build_passes_every_test_and_unit_test`) runs the
unit tests.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from orchestration.dbt_state import PARTIAL_PARSE
from orchestration.settings import DBT_PRODUCTION_BUILD
from tests.support.dbt_harness import DbtBuild, run_dbt

pytestmark = pytest.mark.slow


def listed(flags: list[str], warehouse: DbtBuild, target: Path) -> list[str]:
    # `ls` takes the selection flags of `build`; it opens no DuckDB file.
    done = run_dbt(
        ["ls", "--output", "json", "--output-keys", "unique_id", "--quiet", *flags],
        warehouse.env,
        target,
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-2000:]
    return [line for line in done.stdout.splitlines() if line.startswith("{")]


def test_the_production_build_runs_no_unit_test(
    fixture_warehouse: DbtBuild, tmp_path: Path
) -> None:
    verb, *flags = DBT_PRODUCTION_BUILD
    assert verb == "build"
    # From the fixture warehouse's parse state, under its profile: partial parses only
    # (a target of its own, so the shared one stays as it is).
    target = tmp_path / "target"
    target.mkdir()
    shutil.copy2(fixture_warehouse.target / PARTIAL_PARSE, target / PARTIAL_PARSE)
    everything = listed([], fixture_warehouse, target)
    production = listed(flags, fixture_warehouse, target)
    unit_tests = [n for n in everything if '"unit_test.' in n]
    assert len(unit_tests) >= 2  # the project has unit tests, which CI runs
    assert sorted(production) == sorted(n for n in everything if n not in unit_tests)
    assert any('"test.' in n for n in production)  # data tests still run in production
