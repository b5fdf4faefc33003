"""Session fixture: a synthetic raw build DB in tmp, then one real `dbt build` on it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from fixture_raw import build

from orchestration.settings import DBT_PROJECT_DIR

# The documented dev/test pseudonym key. Never use it for real data.
TEST_PSEUDONYM_KEY = "smesurvey-dev-key-for-tests-only"
DBT = Path(sys.executable).with_name("dbt")


@dataclass(frozen=True)
class DbtBuild:
    db: Path
    returncode: int
    output: str
    run_results: dict
    env: dict[str, str]
    target: Path


def dbt_env(db: Path) -> dict[str, str]:
    return {
        **os.environ,
        "SMESURVEY_BUILD_DB": str(db),
        "SMESURVEY_PSEUDONYM_KEY": TEST_PSEUDONYM_KEY,
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


def run_dbt(args: list[str], env: dict[str, str], target: Path) -> subprocess.CompletedProcess:
    command = [
        str(DBT),
        *args,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(target),
        "--log-path",
        str(target / "logs"),
    ]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)


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
