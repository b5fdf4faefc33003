"""Fixtures: a real analytics DB (the session's fixture warehouse, tests/support/warehouse.py,
published), its public release (public_release.write_public) and the site built on that
public release alone. Slow (the warehouse is one dbt build, about a minute, shared with
tests/dbt and tests/spark): only the `slow` tests ask for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from dashboards.site import SiteReport, build_site
from orchestration.public_release import PUBLIC_DIR_NAME, write_public
from orchestration.publish import write_marts
from tests.support.dbt_harness import DbtBuild


@dataclass(frozen=True)
class BuiltSite:
    analytics_db: Path
    public: Path
    report: SiteReport


@pytest.fixture(scope="session")
def analytics_db(fixture_warehouse: DbtBuild, tmp_path_factory: pytest.TempPathFactory) -> Path:
    if fixture_warehouse.returncode != 0:
        pytest.fail(f"dbt build failed:\n{fixture_warehouse.output[-3000:]}")
    root = tmp_path_factory.mktemp("dash_warehouse")
    return write_marts(fixture_warehouse.db, root / "release").analytics_db


@pytest.fixture(scope="session")
def public_dir(analytics_db: Path) -> Path:
    """The public release of the fixture's analytics DB, beside it as a publish writes it."""
    return write_public(analytics_db, analytics_db.parent / PUBLIC_DIR_NAME).folder


@pytest.fixture(scope="session")
def built_site(
    analytics_db: Path, public_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> BuiltSite:
    out = tmp_path_factory.mktemp("site") / "dashboards"
    return BuiltSite(analytics_db, public_dir, build_site(public_dir, out))
