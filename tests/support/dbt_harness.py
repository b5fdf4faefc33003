"""Running the real dbt project against a fixture build DB (shared by several test folders)."""

from __future__ import annotations

import hashlib
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from orchestration.dbt_command import dbt_command
from orchestration.settings import DBT_PROJECT_DIR
from tests.support.timeouts import HANG_GUARD

# A published (hence worthless) key for fixture data only: 64 hex characters like a real one.
TEST_PSEUDONYM_KEY = hashlib.sha256(b"smesurvey test fixtures only").hexdigest()


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


def run_dbt(
    args: list[str],
    env: dict[str, str],
    target: Path,
    project: Path = DBT_PROJECT_DIR,
    timeout: float = HANG_GUARD,
) -> subprocess.CompletedProcess:
    command = dbt_command(args, target, project=project)
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)
