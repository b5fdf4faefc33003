"""An attacker's view of the public release: which suppressed cells follow by one subtraction.

Written from the published contract only (`public/<table>.parquet` and
`public/codebook.json`), independently of the code that suppresses, so that a
mistake there is not repeated here.

A published hierarchy is a set of additive relations: a total equals the sum of
its parts (the zone `ALL` is the stratified sum of the zones; each domain breakdown
sums to the domain `all`; the transitions out of one level sum to the level's
total). Within one relation, a single suppressed cell is recovered by subtracting
the published cells from the published total, or, when the suppressed cell is the
total, by adding the parts. So the rule checked here: no relation holds exactly one
suppressed cell. A relation whose total is not published at all gives nothing.

Enterprise-count tables (sample composition, maturity levels, score bins, dimension
scores) are additive too: the categories of one breakdown, the levels of one measure
and the bins of one measure each sum to the zone's sample; zones sum to ALL. A
published zero (an empty score bin) is a published cell like any other: it says
nothing about anyone, and a lone suppressed cell beside it is still found.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import duckdb

ALL_ZONES = "ALL"
ALL_DOMAIN = "all"


@dataclass(frozen=True)
class Relation:
    """One family of additive relations in one public table.

    Rows with the same `group_by` values form one relation; `is_total` says which
    row of it is the total, or is None when the total is not a row but a base
    column the parts carry (then it counts as published while any part is).
    """

    name: str
    table: str
    group_by: tuple[str, ...]
    is_total: str | None
    where: str = "true"


ZONE_RELATION = Relation(
    "zones sum to ALL",
    "public_indicator_estimates",
    ("wave_id", "indicator_id", "domain_type", "domain"),
    f"zone_id = '{ALL_ZONES}'",
)
TRANSITION_RELATIONS = (
    Relation(
        "zones sum to ALL (transitions)",
        "public_maturity_transitions",
        ("wave_from", "wave_to", "measure", "level_from", "level_to"),
        f"zone_id = '{ALL_ZONES}'",
    ),
    Relation(
        "moves out of a level sum to the level's total",
        "public_maturity_transitions",
        ("zone_id", "wave_from", "wave_to", "measure", "level_from"),
        None,
    ),
)


def _zones(table: str, by: tuple[str, ...]) -> Relation:
    return Relation(f"zones sum to ALL ({table})", table, by, f"zone_id = '{ALL_ZONES}'")


def _industries(name: str, sections: str, groups: str) -> Relation:
    """Sections and industry groups counting the same enterprises (analyst guide:
    manufacturing = section C; software_it = division 65 and telecom_or_trade =
    divisions 63-64 or section F, where section I = divisions 63-65; other = the rest):
    with one of them suppressed, it follows from the others."""
    return Relation(
        f"industry sections and groups: {name}",
        "public_sample_composition",
        ("wave_id", "zone_id"),
        None,
        f"(breakdown = 'industry_section' and {sections}) "
        f"or (breakdown = 'industry_group' and {groups})",
    )


# Per count table: parts of a zone's sample (total: the sample, not a row), and zones.
COUNT_RELATIONS = (
    _industries("manufacturing", "category = 'C'", "category = 'manufacturing'"),
    _industries(
        "software, telecom and trade",
        "category in ('F', 'I')",
        "category in ('software_it', 'telecom_or_trade')",
    ),
    _industries("other", "category not in ('C', 'F', 'I')", "category = 'other'"),
    Relation(
        "categories of a breakdown sum to the sample",
        "public_sample_composition",
        ("wave_id", "zone_id", "breakdown"),
        None,
    ),
    _zones("public_sample_composition", ("wave_id", "breakdown", "category")),
    Relation(
        "levels of a measure sum to the sample",
        "public_maturity_levels",
        ("wave_id", "zone_id", "measure"),
        None,
    ),
    _zones("public_maturity_levels", ("wave_id", "measure", "level")),
    Relation(
        "score bins of a measure sum to the sample",
        "public_score_distribution",
        ("wave_id", "zone_id", "measure"),
        None,
    ),
    _zones("public_score_distribution", ("wave_id", "measure", "bin_low")),
    _zones("public_dimension_scores", ("wave_id", "dimension")),
)


@dataclass(frozen=True)
class Leak:
    relation: str
    group: dict[str, object]
    suppressed_cell: dict[str, object]

    def __str__(self) -> str:
        return f"{self.relation}: {self.suppressed_cell} follows from {self.group}"


def read_codebook(public: Path) -> dict:
    return json.loads((public / "codebook.json").read_text(encoding="utf-8"))


def _domain_relations(con: duckdb.DuckDBPyConnection, parquet: Path) -> list[Relation]:
    """One relation per domain type: its domains sum to the domain `all`."""
    types = con.execute(
        "select distinct domain_type from read_parquet(?) where domain <> ? order by 1",
        [str(parquet), ALL_DOMAIN],
    ).fetchall()
    return [
        Relation(
            f"{domain_type} domains sum to all",
            "public_indicator_estimates",
            ("wave_id", "indicator_id", "zone_id"),
            f"domain = '{ALL_DOMAIN}'",
            f"domain = '{ALL_DOMAIN}' or domain_type = '{domain_type}'",
        )
        for (domain_type,) in types
    ]


def _leaks_of(
    con: duckdb.DuckDBPyConnection, parquet: Path, relation: Relation, keys: list[str]
) -> list[Leak]:
    group = ", ".join(relation.group_by)
    total = relation.is_total or "false"
    # A total given by the parts' base column is published while any part is.
    total_published = "bool_or(is_total)" if relation.is_total else "bool_or(not suppressed)"
    rows = con.execute(
        f"""
        with cells as (
            select *, {total} as is_total from read_parquet(?) where {relation.where}
        ),
        relations as (
            select {group},
                {total_published} as total_published,
                count(*) filter (suppressed) as n_suppressed
            from cells
            group by {group}
        )
        select {", ".join(f"cells.{k}" for k in keys)},
            {", ".join(f"relations.{g}" for g in relation.group_by)}
        from cells
        join relations using ({group})
        where relations.total_published
            and relations.n_suppressed = 1
            and cells.suppressed
        order by all
        """,
        [str(parquet)],
    ).fetchall()
    return [
        Leak(
            relation.name,
            dict(zip(relation.group_by, row[len(keys) :], strict=True)),
            dict(zip(keys, row[: len(keys)], strict=True)),
        )
        for row in rows
    ]


def recoverable_cells(public: Path) -> list[Leak]:
    """Every suppressed public cell that one subtraction (or sum) recovers."""
    codebook = read_codebook(public)["tables"]
    con = duckdb.connect()
    leaks: list[Leak] = []
    estimates = public / "public_indicator_estimates.parquet"
    keys = codebook["public_indicator_estimates"]["keys"]
    for relation in (ZONE_RELATION, *_domain_relations(con, estimates)):
        leaks += _leaks_of(con, estimates, relation, keys)
    transitions = public / "public_maturity_transitions.parquet"
    keys = codebook["public_maturity_transitions"]["keys"]
    for relation in TRANSITION_RELATIONS:
        leaks += _leaks_of(con, transitions, relation, keys)
    for relation in COUNT_RELATIONS:  # tables of a release that has them
        if relation.table in codebook:
            keys = codebook[relation.table]["keys"]
            parquet = public / f"{relation.table}.parquet"
            leaks += _leaks_of(con, parquet, relation, keys)
    return leaks


def numbers_in_suppressed_cells(public: Path) -> list[str]:
    """Suppressed rows of any public table that still carry a figure."""
    con = duckdb.connect()
    found: list[str] = []
    for table, spec in read_codebook(public)["tables"].items():
        parquet = public / f"{table}.parquet"
        columns = dict(
            con.execute(f"describe select * from read_parquet('{parquet}')")
            .fetch_df()[["column_name", "column_type"]]
            .itertuples(index=False)
        )
        if "suppressed" not in columns:
            continue
        keys = set(spec["keys"])
        # Any column outside the key that is neither text nor a flag is a figure.
        figures = [
            name
            for name, kind in columns.items()
            if name not in keys and kind not in ("VARCHAR", "BOOLEAN")
        ]
        figures = sorted(set(figures) | set(spec.get("values", [])))
        for column in figures:
            n = con.execute(
                f'select count(*) from read_parquet(?) where suppressed and "{column}" is not null',
                [str(parquet)],
            ).fetchone()[0]
            if n:
                found.append(f"{table}.{column}: {n} suppressed rows carry a value")
    return found
