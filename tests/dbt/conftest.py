"""Session fixture: a synthetic raw build DB in tmp, then one real `dbt build` on it."""

from __future__ import annotations

import json

import pytest

from tests.support.dbt_harness import DbtBuild, dbt_env, run_dbt
from tests.support.fixture_raw import build


@pytest.fixture(scope="session")
def dbt_build(tmp_path_factory: pytest.TempPathFactory) -> DbtBuild:
    root = tmp_path_factory.mktemp("dbt")
    db = build(root / "build.duckdb")
    env = dbt_env(db)
    target = root / "target"
    done = run_dbt(["build"], env, target)
    results_path = target / "run_results.json"
    results = json.loads(results_path.read_text()) if results_path.exists() else {}
    return DbtBuild(db, done.returncode, done.stdout + done.stderr, results, env, target)
