"""Write the marts for analysts: a fresh analytics DB and one Parquet file per mart.

The build DB is never opened by analysts. `write_marts` writes `analytics.duckdb`
and `parquet/<mart>.parquet` into a folder of its own: the pending folder of a
release (`orchestration/release.py`), which is made current as a whole with one
atomic switch, so the DB and the Parquet files always come from the same build.

What leaves the build DB: schema `marts` only, without any column named like a
restricted codebook item (the pseudonymous `enterprise_key` stays), and with the
estimates of suppressed cells set to NULL.

On the Spark targets the marts are not in the build DB but Parquet tables of the
engine's warehouse (`<marts dir>/<table>/*.parquet`); `write_marts(...,
spark_marts=...)` reads them from there instead, with the same filters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from orchestration.codebook import Codebook, load_codebook

MARTS = "marts"
ANALYTICS_DB_NAME = "analytics.duckdb"
# The analytics DB is written in DuckDB 1.5's storage format: the project's DuckDB (2.x)
# would otherwise write files only 2.x reads, and analysts open releases with the
# DuckDB they have, including the shell of `smesurvey sql` (duckdb-cli 1.5 from PyPI;
# tests/unit/test_sql_cli.py opens a real release with it).
ANALYTICS_STORAGE_VERSION = "v1.5.0"
PARQUET_DIR_NAME = "parquet"
# The pseudonym derived from the USCC: it is what analysts join waves on.
KEPT_COLUMNS = frozenset({"enterprise_key"})
# A cell flagged `suppressed` keeps its counts (the disclosure rule is on the
# estimates, and analysts see why it was suppressed) but loses every estimate and
# interval, weighted or not: weights could otherwise reveal the small cell. The
# design-based precision figures go too: cv, design effect and effective size all
# depend on the estimate, and two of them with the counts give it back.
SUPPRESSION_FLAG = "suppressed"
SUPPRESSED_VALUE = re.compile(
    r"^((weighted_)?(estimate|ci_low|ci_high|std_error|se)|cv|design_effect|n_effective"
    r"|quality_grade)$",
    re.I,
)


class PublishError(RuntimeError):
    """The marts cannot be published; the message is one line."""


@dataclass(frozen=True)
class PublishedTable:
    name: str
    rows: int
    columns: tuple[str, ...]
    dropped: tuple[str, ...]
    suppressed_rows: int
    parquet: Path


@dataclass(frozen=True)
class PublishResult:
    analytics_db: Path
    tables: tuple[PublishedTable, ...] = field(default_factory=tuple)

    @property
    def parquet_dir(self) -> Path:
        return self.analytics_db.parent / PARQUET_DIR_NAME

    def row_counts(self) -> dict[str, int]:
        return {t.name: t.rows for t in self.tables}


@dataclass(frozen=True)
class RestrictedNames:
    """Column names that must never leave the build DB, from the codebook's restricted items."""

    ids: tuple[str, ...]  # lower-case item ids: `a1_uscc`
    stems: tuple[str, ...]  # the id without its question number: `uscc`, `name`

    @classmethod
    def from_codebook(cls, codebook: Codebook) -> RestrictedNames:
        ids = tuple(item.id.lower() for item in codebook.items if item.restricted)
        return cls(ids=ids, stems=tuple(i.split("_", 1)[-1] for i in ids))

    def matches(self, column: str) -> bool:
        """A column containing a restricted item id, or named exactly as its stem.

        Stems match only exactly: as substrings `name` would also hit harmless
        columns such as `zone_name_en`.
        """
        name = column.lower()
        if name in KEPT_COLUMNS:
            return False
        return name in self.stems or any(i in name for i in self.ids)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def parquet_tables(schema_dir: Path) -> dict[str, str]:
    """`read_parquet` source expressions, by table, of an engine's Parquet table folders
    (`<schema_dir>/<table>/*.parquet`, as Spark writes a schema)."""
    return {
        folder.name: f"read_parquet({_literal(folder / '*.parquet')})"
        for folder in sorted(schema_dir.iterdir())
        if folder.is_dir() and any(folder.glob("*.parquet"))
    }


def _parquet_marts(spark_marts: Path) -> dict[str, str]:
    """Source expressions of the marts an engine wrote as Parquet table folders."""
    tables = parquet_tables(spark_marts)
    if not tables:
        raise PublishError(f"{spark_marts}: no Parquet marts (has dbt run on Spark?)")
    return tables


def _columns_of(con: duckdb.DuckDBPyConnection, sources: dict[str, str]) -> dict[str, list[str]]:
    return {
        table: [row[0] for row in con.execute(f"describe select * from {source}").fetchall()]
        for table, source in sources.items()
    }


def _mart_columns(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    rows = con.execute(
        """
        select table_name, column_name
        from information_schema.columns
        where table_catalog = 'build' and table_schema = ?
        order by table_name, ordinal_position
        """,
        [MARTS],
    ).fetchall()
    tables: dict[str, list[str]] = {}
    for table, column in rows:
        tables.setdefault(table, []).append(column)
    return tables


def _select_list(columns: list[str], restricted: RestrictedNames) -> tuple[str, list[str]]:
    """The published select list of one mart and the names of the columns it drops."""
    suppressible = SUPPRESSION_FLAG in columns
    kept, dropped = [], []
    for column in columns:
        if restricted.matches(column):
            dropped.append(column)
        elif suppressible and SUPPRESSED_VALUE.match(column):
            q = _quote(column)
            kept.append(f"case when {_quote(SUPPRESSION_FLAG)} then null else {q} end as {q}")
        else:
            kept.append(_quote(column))
    return ", ".join(kept), dropped


def _export_parquet(con: duckdb.DuckDBPyConnection, table: str, parquet_dir: Path) -> Path:
    target = parquet_dir / f"{table}.parquet"
    con.execute(f"copy {MARTS}.{_quote(table)} to {_literal(target)} (format parquet)")
    return target


def write_marts(
    build_db: Path,
    folder: Path,
    codebook: Codebook | None = None,
    spark_marts: Path | None = None,
) -> PublishResult:
    """Write the filtered marts of `build_db` as `folder/analytics.duckdb` plus `folder/parquet/`.

    `folder` is the caller's own, not yet visible to analysts (a pending release):
    files are written in place, and on failure the caller discards the folder.
    `spark_marts`: the marts schema folder of a Spark warehouse (dbt target spark);
    the marts are then read from its Parquet instead of the build DB.
    """
    if spark_marts is not None and not spark_marts.is_dir():
        raise PublishError(f"{spark_marts}: no Spark marts folder (has dbt run on Spark?)")
    if spark_marts is None and not build_db.is_file():
        raise PublishError(f"{build_db}: no build DB yet (ingest a delivery and run dbt first)")
    restricted = RestrictedNames.from_codebook(codebook or load_codebook())
    parquet_dir = folder / PARQUET_DIR_NAME
    parquet_dir.mkdir(parents=True, exist_ok=True)
    target = folder / ANALYTICS_DB_NAME
    tables = _write_analytics_db(build_db, target, restricted, spark_marts)
    # Parquet is exported from the finished copy, so both carry the same rows.
    with duckdb.connect(str(target), read_only=True) as con:
        published = tuple(
            PublishedTable(
                name=name,
                rows=rows,
                columns=columns,
                dropped=dropped,
                suppressed_rows=suppressed,
                parquet=_export_parquet(con, name, parquet_dir),
            )
            for name, (rows, columns, dropped, suppressed) in tables.items()
        )
    return PublishResult(analytics_db=target, tables=published)


TableSummary = tuple[int, tuple[str, ...], tuple[str, ...], int]


def _attach_build_db(con: duckdb.DuckDBPyConnection, build_db: Path) -> dict[str, str]:
    """Attach the build DB read-only; source expressions of its marts."""
    try:
        con.execute(f"attach {_literal(build_db)} as build (read_only)")
    except duckdb.IOException as exc:
        first = str(exc).splitlines()[0]
        raise PublishError(f"{build_db}: cannot open the build DB read-only ({first})") from exc
    return {table: f"build.{MARTS}.{_quote(table)}" for table in _mart_columns(con)}


def _write_analytics_db(
    build_db: Path, target: Path, restricted: RestrictedNames, spark_marts: Path | None = None
) -> dict[str, TableSummary]:
    """Write the filtered marts into `target` and verify no restricted column made it."""
    tables: dict[str, TableSummary] = {}
    with duckdb.connect() as con:
        con.execute(
            f"attach {_literal(target)} as analytics "
            f"(storage_version '{ANALYTICS_STORAGE_VERSION}')"
        )
        con.execute("use analytics")
        if spark_marts is None:
            sources = _attach_build_db(con, build_db)
        else:
            sources = _parquet_marts(spark_marts)
        marts = _columns_of(con, sources)
        if not marts:
            raise PublishError(f"{build_db}: schema {MARTS} has no tables (has dbt run?)")
        con.execute(f"create schema {MARTS}")
        for table, columns in marts.items():
            select, dropped = _select_list(columns, restricted)
            qualified = f"{MARTS}.{_quote(table)}"
            con.execute(f"create table {qualified} as select {select} from {sources[table]}")
            rows = con.execute(f"select count(*) from {qualified}").fetchone()[0]
            published = [r[0] for r in con.execute(f"describe {qualified}").fetchall()]
            suppressed = 0
            if SUPPRESSION_FLAG in published:
                suppressed = con.execute(
                    f"select count(*) from {qualified} where {_quote(SUPPRESSION_FLAG)}"
                ).fetchone()[0]
            tables[table] = (rows, tuple(published), tuple(dropped), suppressed)
        if spark_marts is None:
            con.execute("detach build")
        leaked = [
            f"{t}.{c}"
            for t, (_, cols, _, _) in tables.items()
            for c in cols
            if restricted.matches(c)
        ]
        if leaked:  # cannot happen unless the select list is wrong: never publish such a file
            shown = ", ".join(leaked)
            raise PublishError(f"{target}: restricted columns would be published: {shown}")
        con.execute("checkpoint")
        con.execute("use memory")
        con.execute("detach analytics")
    return tables


def read_published_tables(analytics_db: Path) -> dict[str, int]:
    """Row counts of the published marts (opened read-only, like an analyst would)."""
    with duckdb.connect(str(analytics_db), read_only=True) as con:
        names = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = ? "
                "order by table_name",
                [MARTS],
            ).fetchall()
        ]
        return {
            n: con.execute(f"select count(*) from {MARTS}.{_quote(n)}").fetchone()[0] for n in names
        }
