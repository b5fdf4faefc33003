"""Writing the marts for analysts: restricted columns stay behind and suppressed cells lose
their figures. (Releases, the atomic switch and live readers: tests/unit/test_release.py.)"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from orchestration.codebook import load_codebook
from orchestration.publish import (
    PublishError,
    RestrictedNames,
    read_published_tables,
    write_marts,
)

ESTIMATE_COLUMNS = ("estimate", "ci_low", "ci_high", "weighted_estimate", "weighted_ci_low")


def restricted_ids() -> list[str]:
    return [it.id for it in load_codebook().items if it.restricted]


def make_build_db(path: Path, n_enterprises: int = 5) -> None:
    """A build DB with raw and marts schemas, marts holding restricted columns on purpose."""
    ids = restricted_ids()
    leaked = ", ".join(f"'secret' as {i}" for i in ids)
    with duckdb.connect(str(path)) as con:
        con.execute("create schema raw; create schema marts")
        con.execute("create table raw.responses as select 1 as a")
        con.execute(
            f"""
            create or replace table marts.fct_enterprise_wave as
            select 'k' || i as enterprise_key, 2020 as wave_id, {leaked},
                   'x' || i as {ids[0].split("_", 1)[1]}, 0.5 as maturity_score
            from range({n_enterprises}) t(i)
            """
        )
        estimates = ", ".join(f"0.1 * (i + 1) as {c}" for c in ESTIMATE_COLUMNS)
        con.execute(
            f"""
            create or replace table marts.fct_indicator_estimates as
            select 2020 as wave_id, 'Z' || i as zone_id, 'B1' as indicator_id,
                   10 * i as n_base, i as n_yes, {estimates}, (i % 2 = 0) as suppressed
            from range(6) t(i)
            """
        )
        con.execute(
            "create table marts.dim_zone as select 'Z1' as zone_id, 'Zone one' as zone_name_en"
        )


@pytest.fixture
def published(tmp_path: Path):
    build = tmp_path / "build.duckdb"
    make_build_db(build)
    return build, write_marts(build, tmp_path / "warehouse")


def test_restricted_columns_are_absent(published) -> None:
    _, result = published
    ids = {i.lower() for i in restricted_ids()}
    with duckdb.connect(str(result.analytics_db), read_only=True) as con:
        columns = {
            r[0].lower()
            for r in con.execute(
                "select column_name from information_schema.columns where table_name = ?",
                ["fct_enterprise_wave"],
            ).fetchall()
        }
    assert columns, "table missing"
    assert not columns & ids
    assert "enterprise_key" in columns and "maturity_score" in columns
    stem = sorted(ids)[0].split("_", 1)[1]
    assert stem not in columns
    dropped = {t.name: set(t.dropped) for t in result.tables}["fct_enterprise_wave"]
    assert {d.lower() for d in dropped} >= ids
    schema = pq.read_schema(result.parquet_dir / "fct_enterprise_wave.parquet")
    assert not {n.lower() for n in schema.names} & ids


def test_only_marts_are_published(published) -> None:
    _, result = published
    with duckdb.connect(str(result.analytics_db), read_only=True) as con:
        schemas = {
            r[0]
            for r in con.execute(
                "select distinct table_schema from information_schema.tables"
            ).fetchall()
        }
    assert schemas == {"marts"}
    assert read_published_tables(result.analytics_db) == {
        "dim_zone": 1,
        "fct_enterprise_wave": 5,
        "fct_indicator_estimates": 6,
    }
    assert sorted(p.name for p in result.parquet_dir.glob("*.parquet")) == [
        "dim_zone.parquet",
        "fct_enterprise_wave.parquet",
        "fct_indicator_estimates.parquet",
    ]


def test_suppressed_estimates_are_null(published) -> None:
    build, result = published
    cols = ", ".join(ESTIMATE_COLUMNS)
    query = f"select suppressed, n_base, n_yes, {cols} from marts.fct_indicator_estimates"
    with duckdb.connect(str(result.analytics_db), read_only=True) as con:
        rows = con.execute(query).fetchall()
    with duckdb.connect(str(build), read_only=True) as con:
        original = con.execute(query).fetchall()
    assert len(rows) == len(original) == 6
    for row, before in zip(rows, original, strict=True):
        if row[0]:
            assert row[3:] == (None,) * len(ESTIMATE_COLUMNS)
            assert row[1:3] == before[1:3]  # the counts stay: analysts see why
        else:
            assert row == before
    table = pq.read_table(result.parquet_dir / "fct_indicator_estimates.parquet")
    suppressed = table.column("suppressed").to_pylist()
    estimates = table.column("estimate").to_pylist()
    assert [e is None for e in estimates] == suppressed
    assert {t.name: t.suppressed_rows for t in result.tables}["fct_indicator_estimates"] == 3


def test_stem_only_matches_exactly() -> None:
    names = RestrictedNames.from_codebook(load_codebook())
    assert all(names.matches(i) and names.matches(i.upper() + "_raw") for i in names.ids)
    assert all(names.matches(s) for s in names.stems)
    assert not names.matches("zone_name_en")
    assert not names.matches("enterprise_key")


def test_missing_build_db_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(PublishError) as err:
        write_marts(tmp_path / "nope.duckdb", tmp_path / "warehouse")
    assert "nope.duckdb" in str(err.value) and "\n" not in str(err.value)


def test_build_db_without_marts_is_refused(tmp_path: Path) -> None:
    build = tmp_path / "build.duckdb"
    duckdb.connect(str(build)).close()
    with pytest.raises(PublishError, match="no tables"):
        write_marts(build, tmp_path / "release")
