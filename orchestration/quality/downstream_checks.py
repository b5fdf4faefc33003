"""Validate staged responses and marts read out of DuckDB (blocking checks before publish).

Frames are read as Arrow from a read-only connection; cross-row rules become
derived violation columns computed in the same SQL (NULL = fine).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb
import pyarrow as pa

from orchestration.quality.context import run_suite
from orchestration.quality.downstream import BASE_CONSISTENCY, LEVEL_MISSING, SCORE_RANGE
from orchestration.quality.results import SuiteResult, summarize

STAGED_RELATION = "staging.stg_survey__responses"  # dbt model, schema from generate_schema_name
QUESTIONNAIRE_RANK = "questionnaire_rank"  # 1 = the questionnaire every model reads
INDICATORS_RELATION = "marts.fct_indicator_estimates"
INDICATOR_DIM_RELATION = "marts.dim_indicator"
ENTERPRISE_RELATION = "marts.fct_enterprise_wave"
BASE_COLUMN = "base_population"


def connect_built(db: Path, spark_warehouse: Path | None = None) -> duckdb.DuckDBPyConnection:
    """The built relations under their dbt names (`staging.x`, `marts.y`).

    DuckDB target: the build DB, read-only. Spark targets: an in-memory DuckDB whose
    `<schema>.<table>` views read the engine's `<warehouse>/<schema>.db/<table>/*.parquet`.
    """
    if spark_warehouse is None:
        return duckdb.connect(str(db), read_only=True)
    if not spark_warehouse.is_dir():
        raise ValueError(f"{spark_warehouse}: no Spark warehouse (has dbt run on Spark?)")
    from orchestration.publish import parquet_tables

    con = duckdb.connect()
    for schema_dir in sorted(spark_warehouse.glob("*.db")):
        con.execute(f'create schema if not exists "{schema_dir.stem}"')
        for table, source in parquet_tables(schema_dir).items():
            con.execute(f'create view "{schema_dir.stem}"."{table}" as select * from {source}')
    return con


def _columns(con: duckdb.DuckDBPyConnection, relation: str) -> list[str]:
    schema, table = relation.split(".", 1)
    rows = con.execute(
        "select column_name from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position",
        [schema, table],
    ).fetchall()
    if not rows:
        raise ValueError(f"{relation} does not exist in the database")
    return [r[0] for r in rows]


def wave_filter(waves: Sequence[int] | None) -> str:
    """A where clause on wave_id: the given waves, or every row (None)."""
    if waves is None:
        return "true"
    return f"wave_id in ({', '.join(str(int(w)) for w in waves)})" if waves else "false"


def read_indicators(con: duckdb.DuckDBPyConnection, waves: Sequence[int] | None = None) -> pa.Table:
    """fct_indicator_estimates (of `waves`, None = all) plus `chk_base_consistency`.

    Indicators of one base population (dim_indicator.base_population, or the
    indicator itself when the dimension lacks it) must share n_base within a
    wave, zone and domain; the check names the differing n_base values. Bases are
    available-case: an indicator's n_base leaves out its own item non-response, so
    what indicators of one population share is n_base + n_item_missing (when the
    mart has that column).
    """
    reached = (
        "n_base + coalesce(n_item_missing, 0)"
        if "n_item_missing" in _columns(con, INDICATORS_RELATION)
        else "n_base"
    )
    dim_columns = (
        _columns(con, INDICATOR_DIM_RELATION)
        if con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'marts' and table_name = 'dim_indicator'"
        ).fetchall()[0][0]
        else []
    )
    base = f"d.{BASE_COLUMN}" if BASE_COLUMN in dim_columns else "f.indicator_id"
    join = (
        f"left join {INDICATOR_DIM_RELATION} d using (indicator_id)"
        if BASE_COLUMN in dim_columns
        else ""
    )
    return con.sql(
        f"""
        with f as (
            select *, {base} as _base from {INDICATORS_RELATION} f {join}
            where {wave_filter(waves)}
        ),
        bases as (
            select wave_id, zone_id, domain, _base,
                   string_agg(distinct cast({reached} as varchar), '/') as bases
            from f group by all having count(distinct {reached}) > 1
        )
        select f.* exclude (_base), bases.bases as {BASE_CONSISTENCY}
        from f left join bases using (wave_id, zone_id, domain, _base)
        """
    ).to_arrow_table()


def read_enterprises(
    con: duckdb.DuckDBPyConnection, waves: Sequence[int] | None = None
) -> pa.Table:
    """fct_enterprise_wave (of `waves`, None = all) plus score-range and level-presence
    violation columns.

    Scores are the columns named `*score*` (0..100); each `X_score` with an
    `X_level` column must have a level when it has a score.
    """
    columns = _columns(con, ENTERPRISE_RELATION)
    scores = [c for c in columns if "score" in c]
    levels = {
        s: s.replace("score", "level") for s in scores if s.replace("score", "level") in columns
    }
    out_of_range = [f"case when \"{s}\" not between 0 and 100 then '{s}' end" for s in scores] or [
        "null"
    ]
    missing = [
        f'case when "{s}" is not null and "{lv}" is null then \'{lv}\' end'
        for s, lv in levels.items()
    ] or ["null"]
    return con.sql(
        f"""
        select *,
               nullif(concat_ws(',', {", ".join(out_of_range)}), '') as {SCORE_RANGE},
               nullif(concat_ws(',', {", ".join(missing)}), '') as {LEVEL_MISSING}
        from {ENTERPRISE_RELATION}
        where {wave_filter(waves)}
        """
    ).to_arrow_table()


def _validate(
    suite: str, data: pa.Table, run_name: str, docs: Path | None, *, build_index: bool = True
) -> SuiteResult:
    runs = run_suite(suite, data, run_name=run_name, data_docs_dir=docs, build_index=build_index)
    return summarize(suite, runs, frozenset())


def validate_staged(
    db: Path,
    *,
    relation: str = STAGED_RELATION,
    data_docs_dir: Path | None = None,
    spark_warehouse: Path | None = None,
    waves: Sequence[int] | None = None,
) -> SuiteResult:
    """The staged-responses suite on the staged model (default staging.stg_survey__responses),
    on the rows of `waves` (None = every wave): a run checks the waves it loaded, so
    the cost follows the change, not the history.

    It judges the questionnaires the warehouse keeps (`questionnaire_rank = 1`: one per
    enterprise and delivery by the one duplicate rule, dbt macro
    latest_questionnaire_first; the others are listed in marts.fct_duplicate_questionnaires).
    A second answer of an enterprise in the wave that survives that rule can only come
    from another zone, which the gate forbids (uscc.other_zone) and the per-zone-wave
    models cannot resolve: it fails the suite, blocking publication.

    `spark_warehouse`: on the Spark targets the models are Parquet tables of the engine's
    warehouse, not relations of the build DB.
    """
    with connect_built(db, spark_warehouse) as con:
        rows = f"select * from {relation} where {QUESTIONNAIRE_RANK} = 1 and {wave_filter(waves)}"
        data = con.sql(rows).to_arrow_table()
    return _validate("staged_responses", data, "staged", data_docs_dir)


def validate_marts(
    db: Path,
    *,
    data_docs_dir: Path | None = None,
    spark_warehouse: Path | None = None,
    waves: Sequence[int] | None = None,
) -> tuple[SuiteResult, ...]:
    """The two mart suites (indicator estimates, enterprise-wave facts) on a built DB
    (or on the Parquet tables of a Spark warehouse, see `connect_built`), on the rows of
    `waves` (None = every wave; a wave's rows change together: pooled `ALL` rows,
    one questionnaire per enterprise and wave across zones)."""
    with connect_built(db, spark_warehouse) as con:
        indicators = read_indicators(con, waves)
        enterprises = read_enterprises(con, waves)
    return (
        # The index page reads every stored result: built once, after the second suite.
        _validate(
            "marts_indicator_estimates", indicators, "marts", data_docs_dir, build_index=False
        ),
        _validate("marts_enterprise_wave", enterprises, "marts", data_docs_dir),
    )
