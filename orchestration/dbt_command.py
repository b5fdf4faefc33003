"""The command line of one standalone `dbt` process on the project (not through Dagster).

Used by the benchmark (orchestration/bench/children.py) and the tests' dbt harness
(tests/support/dbt_harness.py), so both run dbt exactly the same way: the virtual
environment's `dbt`, the project's own profiles, and target and log folders of the
caller's choosing (never dbt_project/target: runs may go on side by side).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from orchestration.settings import DBT_PROJECT_DIR

# dbt Core's command line with the project's garbage-collector settings
# (orchestration/dbt_main.py), installed beside this Python with the project
DBT = Path(sys.executable).with_name("smesurvey-dbt")


def dbt_command(
    args: str | Sequence[str],
    target_path: Path,
    *,
    dbt_target: str | None = None,
    project: Path = DBT_PROJECT_DIR,
) -> list[str]:
    """`dbt <args>`: a dbt command alone ("parse") or with its own flags
    (DBT_PRODUCTION_BUILD); `dbt_target` names the profile's output (default: the
    profile's own, duckdb); artifacts go to `target_path`, logs to `target_path/logs`."""
    return [
        str(DBT),
        *([args] if isinstance(args, str) else args),
        *(["--target", dbt_target] if dbt_target else []),
        "--project-dir",
        str(project),
        "--profiles-dir",
        str(project),
        "--target-path",
        str(target_path),
        "--log-path",
        str(target_path / "logs"),
    ]
