"""Validate staged responses and marts in DuckDB (blocking checks before publish).

The rules of `downstream.py` run as SQL on a read-only connection and Great
Expectations validates their per-zone-wave outcome table (`downstream_outcomes.py`):
no row of the relation reaches pandas. Cross-row rules of the marts are derived
violation columns computed in the relation's SQL (NULL = fine).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb
import pyarrow as pa

from orchestration.codebook import load_codebook
from orchestration.duckdb_memory import connect
from orchestration.quality.context import ChunkRun, run_suite
from orchestration.quality.downstream import (
    BASE_CONSISTENCY,
    ENTERPRISE_COLUMN,
    LEVEL_MISSING,
    SCORE_RANGE,
    STAGED_KEY,
    enterprise_rules,
    indicator_rules,
    staged_rules,
)
from orchestration.quality.downstream_outcomes import Judged, judge, outcome_suite_name
from orchestration.quality.outcomes import ZONE_WAVE
from orchestration.quality.results import SuiteResult, rule_key

STAGED_SUITE = "staged_responses"
INDICATORS_SUITE = "marts_indicator_estimates"
ENTERPRISES_SUITE = "marts_enterprise_wave"
# dbt model (schema from generate_schema_name): the staged responses with the
# questionnaire rank the suite selects the kept ones by
STAGED_RELATION = "intermediate.int_responses_classified"
QUESTIONNAIRE_RANK = "questionnaire_rank"  # 1 = the questionnaire every model reads
INDICATORS_RELATION = "marts.fct_indicator_estimates"
INDICATOR_DIM_RELATION = "marts.dim_indicator"
ENTERPRISE_RELATION = "marts.fct_enterprise_wave"
BASE_COLUMN = "base_population"
# An indicator row named in the outcome table's examples (within its zone-wave).
INDICATOR_EXAMPLE = "concat_ws('/', domain, indicator_id)"


def connect_built(db: Path, spark_warehouse: Path | None = None) -> duckdb.DuckDBPyConnection:
    """The built relations under their dbt names (`staging.x`, `marts.y`).

    DuckDB target: the build DB, read-only. Spark targets: an in-memory DuckDB whose
    `<schema>.<table>` views read the engine's `<warehouse>/<schema>.db/<table>/*.parquet`.
    """
    if spark_warehouse is None:
        return connect(db, read_only=True)
    if not spark_warehouse.is_dir():
        raise ValueError(f"{spark_warehouse}: no Spark warehouse (has dbt run on Spark?)")
    from orchestration.publish import parquet_tables

    con = connect()
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


def staged_sql(relation: str, waves: Sequence[int] | None) -> str:
    """The staged rows the suite judges: the kept questionnaires of `waves`."""
    return f"select * from {relation} where {QUESTIONNAIRE_RANK} = 1 and {wave_filter(waves)}"


def read_indicators(con: duckdb.DuckDBPyConnection, waves: Sequence[int] | None = None) -> pa.Table:
    return con.sql(indicators_sql(con, waves)).to_arrow_table()


def indicators_sql(con: duckdb.DuckDBPyConnection, waves: Sequence[int] | None = None) -> str:
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
    return f"""
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


def read_enterprises(
    con: duckdb.DuckDBPyConnection, waves: Sequence[int] | None = None
) -> pa.Table:
    return con.sql(enterprises_sql(con, waves)).to_arrow_table()


def enterprises_sql(con: duckdb.DuckDBPyConnection, waves: Sequence[int] | None = None) -> str:
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
    return f"""
        select *,
               nullif(concat_ws(',', {", ".join(out_of_range)}), '') as {SCORE_RANGE},
               nullif(concat_ws(',', {", ".join(missing)}), '') as {LEVEL_MISSING}
        from {ENTERPRISE_RELATION}
        where {wave_filter(waves)}
        """


def _validate(
    suite: str, judged: Judged, run_name: str, docs: Path | None, *, build_index: bool = True
) -> SuiteResult:
    """GX validates the outcome table; the counts and values come from the rows behind it."""
    name = outcome_suite_name(suite)
    [run] = run_suite(
        name,
        judged.table,
        run_name=run_name,
        data_docs_dir=docs,
        chunk_rows=max(judged.table.num_rows, 1),  # one row per zone-wave: one chunk
        build_index=build_index,
        index_columns=(ZONE_WAVE,),  # Data Docs name the failing zone-waves
    )
    return _summarize(name, run, judged)


def _summarize(suite_name: str, run: ChunkRun, judged: Judged) -> SuiteResult:
    """GX's verdicts by rule key, with the failing rows and values each failed rule counted."""
    counts: dict[str, int] = {}
    values: dict[str, list[tuple[str, int]]] = {}
    for result in run.result.results:
        if result.success:
            continue
        meta = result.expectation_config.meta or {}
        key = rule_key(meta.get("rule_id", result.expectation_config.type), meta.get("column", ""))
        column = result.expectation_config.kwargs.get("column", "")
        counts[key] = counts.get(key, 0) + judged.counts.get(column, 0)
        if column in judged.top_values:
            values.setdefault(key, judged.top_values[column])
    return SuiteResult(
        suite_name=suite_name,
        success=bool(run.result.success),
        evaluated=int(run.result.statistics["evaluated_expectations"]),
        failed=len(counts),
        unexpected_counts=counts,
        top_values=values,
        failed_rules=tuple(counts),
        data_docs_pages=(run.page,) if run.page is not None else (),
    )


def validate_staged(
    db: Path,
    *,
    relation: str = STAGED_RELATION,
    data_docs_dir: Path | None = None,
    spark_warehouse: Path | None = None,
    waves: Sequence[int] | None = None,
) -> SuiteResult:
    """The staged-responses suite on the classified staged responses (default
    intermediate.int_responses_classified: stg_survey__responses plus questionnaire_rank),
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
    rules = staged_rules(load_codebook())
    with connect_built(db, spark_warehouse) as con:
        _columns(con, relation)  # names the missing model
        judged = judge(con, staged_sql(relation, waves), rules, STAGED_KEY)
    return _validate(STAGED_SUITE, judged, "staged", data_docs_dir)


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
        indicators = judge(con, indicators_sql(con, waves), indicator_rules(), INDICATOR_EXAMPLE)
        enterprises = judge(con, enterprises_sql(con, waves), enterprise_rules(), ENTERPRISE_COLUMN)
    return (
        # The index page reads every stored result: built once, after the second suite.
        _validate(INDICATORS_SUITE, indicators, "marts", data_docs_dir, build_index=False),
        _validate(ENTERPRISES_SUITE, enterprises, "marts", data_docs_dir),
    )
