"""The same dbt project on DuckDB and on a local Spark session gives the same marts.

Spark's tables are Parquet files in its warehouse folder; DuckDB reads them beside
its own marts, and the two are compared key by key.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from orchestration.publish import write_marts
from orchestration.quality import validate_marts, validate_staged
from tests.spark.conftest import EngineBuilds

pytestmark = pytest.mark.slow

TOLERANCE = 1e-9
ESTIMATE_KEYS = ["wave_id", "zone_id", "domain", "domain_type", "indicator_id"]
ESTIMATE_COUNTS = ["n_base", "n_yes", "weighted_n_base"]
ESTIMATE_FLOATS = [
    "estimate",
    "ci_low",
    "ci_high",
    "weighted_estimate",
    "std_error",
    "cv",
    "design_effect",
    "n_effective",
    "weighted_ci_low",
    "weighted_ci_high",
]
ENTERPRISE_KEYS = ["enterprise_key", "wave_id"]
TRANSITION_KEYS = ["zone_id", "wave_from", "wave_to", "measure", "level_from", "level_to"]
TRANSITION_COUNTS = ["n_enterprises", "weighted_n_level_from"]
TRANSITION_FLOATS = [
    "share_of_level_from",
    "weighted_share_of_level_from",
    "std_error",
    "weighted_ci_low",
    "weighted_ci_high",
]


def _marts(builds: EngineBuilds, table: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(DuckDB's, Spark's) rows of one mart."""
    files = builds.spark_warehouse / "marts.db" / table
    assert list(files.glob("*.parquet")), f"{files}: Spark wrote no Parquet for {table}"
    con = duckdb.connect(str(builds.build_db), read_only=True)
    try:
        duck = con.sql(f"SELECT * FROM marts.{table}").df()
        spark = con.sql(f"SELECT * FROM read_parquet('{files.as_posix()}/*.parquet')").df()
    finally:
        con.close()
    return duck, spark


def _paired(duck: pd.DataFrame, spark: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    assert len(duck) > 0
    assert len(duck) == len(spark), f"DuckDB {len(duck)} rows, Spark {len(spark)}"
    assert not duck.duplicated(keys).any() and not spark.duplicated(keys).any()
    for frame in (duck, spark):
        for column in {"wave_id", "wave_from", "wave_to"} & set(frame.columns):
            frame[column] = frame[column].astype("int64")
    both = duck.merge(spark, on=keys, how="outer", suffixes=("_duckdb", "_spark"), indicator=True)
    unmatched = both[both["_merge"] != "both"]
    assert unmatched.empty, f"keys in one engine only:\n{unmatched[keys].head()}"
    return both


def _max_gap(both: pd.DataFrame, column: str) -> float:
    left = both[f"{column}_duckdb"].astype("float64").to_numpy()
    right = both[f"{column}_spark"].astype("float64").to_numpy()
    assert np.array_equal(np.isnan(left), np.isnan(right)), f"{column}: nulls differ"
    gaps = np.abs(left - right)[~np.isnan(left)]
    return float(gaps.max()) if gaps.size else 0.0


# Columns that differ by build, not by engine: the dbt invocation that wrote the row.
BUILD_COLUMNS = {"built_by"}
COMPARED_SCHEMAS = ("intermediate", "marts")


def _normalized(frame: pd.DataFrame) -> pd.DataFrame:
    """Numbers as float64 (engines differ in integer widths), everything else as its repr."""
    columns = {}
    for name in frame.columns:
        values = frame[name]
        if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
            columns[name] = values.astype(object).where(values.notna(), None).map(repr)
        else:
            columns[name] = values.astype("float64")
    return pd.DataFrame(columns)


def _in_order(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows sorted by every column (numbers rounded for the order only): no key needed."""
    numbers = [c for c in frame.columns if frame[c].dtype == "float64"]
    rounded = frame.assign(**{f"__{c}": frame[c].round(6) for c in numbers})
    order = [c for c in frame.columns if c not in numbers] + [f"__{c}" for c in numbers]
    ordered = rounded.sort_values(order, kind="stable", na_position="last")
    return ordered.reset_index(drop=True)[list(frame.columns)]


def _differences(duck: pd.DataFrame, spark: pd.DataFrame) -> str:
    """'' when both engines hold the same rows (numbers within TOLERANCE), else what differs."""
    if sorted(duck.columns) != sorted(spark.columns):
        return f"columns differ: {sorted(set(duck.columns) ^ set(spark.columns))}"
    if len(duck) != len(spark):
        return f"DuckDB {len(duck)} rows, Spark {len(spark)}"
    columns = [c for c in duck.columns if c not in BUILD_COLUMNS]
    left, right = _in_order(_normalized(duck[columns])), _in_order(_normalized(spark[columns]))
    problems = []
    for column in columns:
        a, b = left[column], right[column]
        if a.dtype == "float64" and b.dtype == "float64":
            x, y = a.to_numpy(), b.to_numpy()
            same = (np.isnan(x) & np.isnan(y)) | (np.abs(x - y) <= TOLERANCE)
        else:
            same = (a == b).to_numpy()
        if not same.all():
            problems.append(f"{column} in {(~same).sum()} rows")
    return ", ".join(problems)


def test_every_table_is_identical(engine_builds: EngineBuilds) -> None:
    """Every intermediate and mart table holds the same rows on both engines; with DuckDB's
    data tests passing, this is why Spark's build skips them (tests/spark/conftest.py)."""
    con = duckdb.connect(str(engine_builds.build_db), read_only=True)
    try:
        differ, compared = {}, 0
        for schema in COMPARED_SCHEMAS:
            duck_tables = {
                name
                for (name,) in con.execute(
                    "select table_name from information_schema.tables where table_schema = ?",
                    [schema],
                ).fetchall()
            }
            folders = engine_builds.spark_warehouse / f"{schema}.db"
            spark_tables = {p.name for p in folders.iterdir() if p.is_dir()}
            assert spark_tables == duck_tables, schema
            for table in sorted(duck_tables):
                duck = con.sql(f"select * from {schema}.{table}").df()
                parquet = (folders / table).as_posix()
                spark = con.sql(f"select * from read_parquet('{parquet}/*.parquet')").df()
                compared += len(duck)
                if problem := _differences(duck, spark):
                    differ[f"{schema}.{table}"] = problem
    finally:
        con.close()
    assert differ == {}
    assert compared > 10_000  # the comparison has substance


def test_a_changed_value_is_a_difference() -> None:
    """The comparison above can fail: a changed number, string or row count is reported."""
    duck = pd.DataFrame({"k": ["a", "b"], "x": [0.5, 1.0], "built_by": ["d", "d"]})
    assert _differences(duck, duck.iloc[::-1].assign(built_by="s")) == ""
    assert _differences(duck, duck.assign(x=[0.5, 1.0 + 1e-6])) == "x in 1 rows"
    assert _differences(duck, duck.assign(k=["a", "c"])) != ""
    assert _differences(duck, duck.iloc[:1]) == "DuckDB 2 rows, Spark 1"


def test_both_builds_pass(engine_builds: EngineBuilds) -> None:
    assert engine_builds.duckdb_returncode == 0, engine_builds.duckdb_output[-3000:]
    assert engine_builds.spark_returncode == 0, engine_builds.spark_output[-3000:]


def test_indicator_estimates_identical(engine_builds: EngineBuilds) -> None:
    duck, spark = _marts(engine_builds, "fct_indicator_estimates")
    both = _paired(duck, spark, ESTIMATE_KEYS)
    for column in ESTIMATE_COUNTS:
        left = both[f"{column}_duckdb"].astype("int64")
        right = both[f"{column}_spark"].astype("int64")
        assert (left == right).all(), f"{column} differs in {(left != right).sum()} rows"
    gaps = {column: _max_gap(both, column) for column in ESTIMATE_FLOATS}
    assert max(gaps.values()) <= TOLERANCE, gaps
    assert (both["suppressed_duckdb"] == both["suppressed_spark"]).all()
    grades = [both[f"quality_grade_{e}"].fillna("<null>") for e in ("duckdb", "spark")]
    assert (grades[0] == grades[1]).all(), (
        f"quality_grade differs in {(grades[0] != grades[1]).sum()}"
    )
    # the comparison has substance: pooled and zone rows, weighted estimates present
    assert set(both["zone_id"]) >= {"ALL", "SH-01"}
    assert both["weighted_estimate_duckdb"].notna().sum() > 100
    assert (both["std_error_duckdb"] > 0).sum() > 100


def test_maturity_transitions_identical(engine_builds: EngineBuilds) -> None:
    duck, spark = _marts(engine_builds, "fct_maturity_transitions")
    both = _paired(duck, spark, TRANSITION_KEYS)
    for column in TRANSITION_COUNTS:
        left = both[f"{column}_duckdb"].astype("int64")
        right = both[f"{column}_spark"].astype("int64")
        assert (left == right).all(), f"{column} differs in {(left != right).sum()} rows"
    gaps = {column: _max_gap(both, column) for column in TRANSITION_FLOATS}
    assert max(gaps.values()) <= TOLERANCE, gaps
    for column in ("quality_grade", "comparability", "is_comparable", "movement"):
        left = both[f"{column}_duckdb"].astype(str)
        right = both[f"{column}_spark"].astype(str)
        assert (left == right).all(), f"{column} differs in {(left != right).sum()} rows"
    # the comparison has substance: weighted rows with variance, both comparabilities
    assert (both["std_error_duckdb"] > 0).sum() > 20
    assert set(both["comparability_duckdb"]) == {"exact", "approximate"}


@pytest.mark.parametrize("column_kind", ["scores", "levels", "weights"])
def test_enterprise_wave_scores_identical(engine_builds: EngineBuilds, column_kind: str) -> None:
    duck, spark = _marts(engine_builds, "fct_enterprise_wave")
    both = _paired(duck, spark, ENTERPRISE_KEYS)
    score_columns = [c for c in duck.columns if c.startswith(("dma_", "dii_"))]
    if column_kind == "scores":
        numeric = [c for c in score_columns if not c.endswith("_level")]
        assert len(numeric) >= 8
        gaps = {c: _max_gap(both, c) for c in numeric}
        assert max(gaps.values()) == 0.0, gaps
    elif column_kind == "levels":
        for column in [c for c in score_columns if c.endswith("_level")] + ["weighting_cell"]:
            left = both[f"{column}_duckdb"].fillna("<null>")
            right = both[f"{column}_spark"].fillna("<null>")
            assert (left == right).all(), f"{column} differs in {(left != right).sum()} rows"
    else:
        assert _max_gap(both, "weight") <= TOLERANCE


def test_publish_reads_the_spark_marts(engine_builds: EngineBuilds, tmp_path: Path) -> None:
    """write_marts(spark_marts=...) publishes what Spark built, filtered as from DuckDB."""
    from_duckdb = write_marts(engine_builds.build_db, tmp_path / "duckdb")
    from_spark = write_marts(
        engine_builds.build_db,
        tmp_path / "spark",
        spark_marts=engine_builds.spark_warehouse / "marts.db",
    )
    assert from_spark.row_counts() == from_duckdb.row_counts()
    duck_tables = {t.name: t for t in from_duckdb.tables}
    for table in from_spark.tables:
        assert table.columns == duck_tables[table.name].columns, table.name
        assert table.suppressed_rows == duck_tables[table.name].suppressed_rows, table.name


def test_suites_judge_what_spark_built(engine_builds: EngineBuilds, tmp_path: Path) -> None:
    """The staged and mart GX suites read the Spark warehouse's Parquet tables and agree
    with their verdicts on the DuckDB build."""
    on_spark = [
        validate_staged(engine_builds.build_db, spark_warehouse=engine_builds.spark_warehouse),
        *validate_marts(engine_builds.build_db, spark_warehouse=engine_builds.spark_warehouse),
    ]
    on_duckdb = [validate_staged(engine_builds.build_db), *validate_marts(engine_builds.build_db)]
    for spark, duck in zip(on_spark, on_duckdb, strict=True):
        assert spark.evaluated > 0 and spark.failed == 0, spark.suite_name
        assert (spark.suite_name, spark.evaluated) == (duck.suite_name, duck.evaluated)
