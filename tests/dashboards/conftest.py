"""Fixtures: a real analytics DB (synthetic raw -> dbt build -> publish) and the site built on it.

Reuses the dbt tests' raw fixture and dbt runner (imported, not copied). Slow
(one dbt build, about a minute): only the `slow` tests ask for it.
"""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from dashboards.site import SiteReport, build_site
from orchestration.publish import publish_marts

DBT_TESTS = Path(__file__).resolve().parent.parent / "dbt"


def _dbt_helpers():
    """tests/dbt/conftest.py loaded under its own name (its `fixture_raw` import needs the path)."""
    if str(DBT_TESTS) not in sys.path:
        sys.path.insert(0, str(DBT_TESTS))
    spec = importlib.util.spec_from_file_location(
        "smesurvey_dbt_conftest", DBT_TESTS / "conftest.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def add_quality_stand_ins(build_db: Path) -> None:
    """Until the lead's quality marts exist: derive them from raw.deliveries (test data only).

    fct_rejected_rules gets two hand-made rows because the raw fixture rejects nothing.
    """
    with duckdb.connect(str(build_db)) as con:
        tables = {
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts'"
            ).fetchall()
        }
        if "fct_delivery_quality" not in tables:
            con.execute("""
                create table marts.fct_delivery_quality as
                select d.delivery_id, d.zone_id, d.wave_id, d.status, d.received_at,
                       d.instrument_version, d.rows_read, d.rows_accepted, d.rows_rejected,
                       count(*) filter (where r.mode = 'electronic') as n_electronic,
                       count(*) filter (where r.mode = 'paper') as n_paper
                from raw.deliveries d
                left join raw.responses r on r.delivery_id = d.delivery_id
                group by all
            """)
        if "fct_rejected_rules" not in tables:
            con.execute("""
                create table marts.fct_rejected_rules as
                select * from (values
                    ('SH-01', 2021, 'SH-01-2021-a', 'codes_in_codebook', 'B3_cloud', 2),
                    ('Z08-01', 2022, 'Z08-01-2022-a', 'skip_rule_C5', 'C5_new_marketing_models', 3)
                ) t(zone_id, wave_id, delivery_id, rule_id, column_name, n_rows)
            """)


@dataclass(frozen=True)
class BuiltSite:
    analytics_db: Path
    report: SiteReport


@pytest.fixture(scope="session")
def analytics_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    helpers = _dbt_helpers()
    root = tmp_path_factory.mktemp("dash_warehouse")
    build_db = helpers.build(root / "build.duckdb")
    done = helpers.run_dbt(["build"], helpers.dbt_env(build_db), root / "target")
    if done.returncode != 0:
        pytest.fail(f"dbt build failed:\n{(done.stdout + done.stderr)[-3000:]}")
    add_quality_stand_ins(build_db)
    return publish_marts(build_db, root / "warehouse").analytics_db


@pytest.fixture(scope="session")
def built_site(analytics_db: Path, tmp_path_factory: pytest.TempPathFactory) -> BuiltSite:
    out = tmp_path_factory.mktemp("site") / "dashboards"
    return BuiltSite(analytics_db, build_site(analytics_db, out))
