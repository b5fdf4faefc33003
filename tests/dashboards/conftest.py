"""Fixtures: a real analytics DB (synthetic raw -> dbt build -> publish), its public
release (public_release.write_public) and the site built on that public release alone.

Reuses the dbt tests' raw fixture and dbt runner (tests/support). Slow
(one dbt build, about a minute): only the `slow` tests ask for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from dashboards.site import SiteReport, build_site
from orchestration.public_release import PUBLIC_DIR_NAME, write_public
from orchestration.publish import write_marts
from tests.support.dbt_harness import dbt_env, run_dbt
from tests.support.fixture_raw import build


def add_rejected_rows(build_db: Path) -> None:
    """Quarantine a few rows in raw.rejected_rows (as the quality gate would) before dbt runs,
    so marts.fct_rejected_rules has something to show: the raw fixture rejects nothing."""
    with duckdb.connect(str(build_db)) as con:
        con.execute("""
            insert into raw.rejected_rows by name
            select delivery_id, zone_id, wave_id, source_file, source_row,
                   case when source_row % 2 = 0 then 'codes_in_codebook' else 'skip_rule_C5' end
                       as rule_id,
                   'B3_cloud' as column_name, 'x' as value, 'test fixture' as reason
            from raw.responses
            where delivery_id in ('SH-01-2021-a', 'Z08-01-2022-a') and source_row <= 5
        """)


@dataclass(frozen=True)
class BuiltSite:
    analytics_db: Path
    public: Path
    report: SiteReport


@pytest.fixture(scope="session")
def analytics_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("dash_warehouse")
    build_db = build(root / "build.duckdb")
    add_rejected_rows(build_db)
    done = run_dbt(["build"], dbt_env(build_db), root / "target")
    if done.returncode != 0:
        pytest.fail(f"dbt build failed:\n{(done.stdout + done.stderr)[-3000:]}")
    return write_marts(build_db, root / "release").analytics_db


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
