"""The vars of dbt_project/dbt_project.yml, for Python that must agree with dbt.

Thresholds, cut-offs and constants the models use (`var(...)`) are set once, in
dbt_project.yml; Python reads them here instead of typing them again.
"""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path
from typing import Any

from orchestration.settings import DBT_PROJECT_DIR

DBT_PROJECT_FILE = DBT_PROJECT_DIR / "dbt_project.yml"


def dbt_vars(project_file: Path = DBT_PROJECT_FILE) -> dict[str, Any]:
    """Every var dbt_project.yml sets, as it sets them (builds pass no --vars)."""
    import yaml  # lazy: read-only commands import this module without needing yaml

    project = yaml.safe_load(project_file.read_text(encoding="utf-8"))
    return dict(project.get("vars") or {})


def wilson_z(project_file: Path = DBT_PROJECT_FILE) -> float:
    """z of the Wilson intervals (dbt macro wilson_bound): var `wilson_z`."""
    return float(dbt_vars(project_file)["wilson_z"])


def confidence_level(project_file: Path = DBT_PROJECT_FILE) -> float:
    """The two-sided level of the Wilson intervals, from their z (1.96 -> 0.95)."""
    return round(math.erf(wilson_z(project_file) / math.sqrt(2.0)), 3)


@cache
def pooled_zone_id(project_file: Path = DBT_PROJECT_FILE) -> str:
    """zone_id of the marts' rows pooled over all zones: var `pooled_zone_id`."""
    return str(dbt_vars(project_file)["pooled_zone_id"])
