"""The subtraction checker itself finds what an attacker would, on hand-made public tables."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from tests.disclosure.subtraction import numbers_in_suppressed_cells, recoverable_cells

ESTIMATE_KEYS = ["wave_id", "zone_id", "domain_type", "domain", "indicator_id"]
TRANSITION_KEYS = ["zone_id", "wave_from", "wave_to", "measure", "level_from", "level_to"]


def _write(public: Path, estimates: list[tuple], transitions: list[tuple]) -> Path:
    """Rows as (keys..., estimate, suppressed); the figure is null where suppressed."""
    public.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    for table, keys, rows in (
        ("public_indicator_estimates", ESTIMATE_KEYS, estimates),
        ("public_maturity_transitions", TRANSITION_KEYS, transitions),
    ):
        columns = ", ".join(f"{k} varchar" for k in keys)
        con.execute(f"create table {table} ({columns}, estimate double, suppressed boolean)")
        for row in rows:
            *key, suppressed = row
            con.execute(
                f"insert into {table} values ({', '.join('?' * (len(keys) + 2))})",
                [*key, None if suppressed else 0.5, suppressed],
            )
        con.execute(f"copy {table} to '{public / table}.parquet' (format parquet)")
    codebook = {
        "tables": {
            "public_indicator_estimates": {"keys": ESTIMATE_KEYS, "values": ["estimate"]},
            "public_maturity_transitions": {"keys": TRANSITION_KEYS, "values": ["estimate"]},
        }
    }
    (public / "codebook.json").write_text(json.dumps(codebook), encoding="utf-8")
    return public


def _zones(suppressed: dict[str, bool]) -> list[tuple]:
    return [("2022", zone, "all", "all", "tech_erp", s) for zone, s in suppressed.items()]


def _domains(suppressed: dict[str, bool]) -> list[tuple]:
    rows = [("2022", "SH-01", "all", "all", "tech_erp", suppressed.pop("all"))]
    return rows + [("2022", "SH-01", "size_class", d, "tech_erp", s) for d, s in suppressed.items()]


def _moves(suppressed: dict[str, bool], zone: str = "SH-01") -> list[tuple]:
    return [(zone, "2021", "2022", "dii", "basic", to, s) for to, s in suppressed.items()]


@pytest.mark.parametrize(
    ("zones", "leaked"),
    [
        ({"SH-01": True, "SH-02": False, "ALL": False}, ["SH-01"]),
        ({"SH-01": False, "SH-02": False, "ALL": True}, ["ALL"]),
        ({"SH-01": True, "SH-02": True, "ALL": False}, []),
        ({"SH-01": True, "SH-02": False}, []),  # no published total: nothing follows
    ],
)
def test_a_lone_suppressed_zone_or_total_is_found(tmp_path: Path, zones, leaked) -> None:
    public = _write(tmp_path, _zones(zones), [])
    found = [leak.suppressed_cell["zone_id"] for leak in recoverable_cells(public)]
    assert found == leaked


def test_a_lone_suppressed_domain_is_found_per_domain_type(tmp_path: Path) -> None:
    alone = _domains({"all": False, "small": True, "medium": False})
    public = _write(tmp_path / "a", alone, [])
    assert [leak.suppressed_cell["domain"] for leak in recoverable_cells(public)] == ["small"]

    paired = _domains({"all": False, "small": True, "medium": True})
    assert recoverable_cells(_write(tmp_path / "b", paired, [])) == []


def test_transitions_leak_along_levels_and_zones(tmp_path: Path) -> None:
    one_move = _moves({"basic": False, "advanced": True, "leading": False})
    found = recoverable_cells(_write(tmp_path / "a", [], one_move))
    assert [leak.relation for leak in found] == ["moves out of a level sum to the level's total"]

    by_zone = _moves({"basic": True, "advanced": True}) + _moves(
        {"basic": False, "advanced": False}, zone="ALL"
    )
    found = recoverable_cells(_write(tmp_path / "b", [], by_zone))
    assert {leak.relation for leak in found} == {"zones sum to ALL (transitions)"}
    assert (
        recoverable_cells(_write(tmp_path / "c", [], _moves({"basic": True, "advanced": True})))
        == []
    )


def test_a_suppressed_row_with_a_figure_is_reported(tmp_path: Path) -> None:
    public = _write(tmp_path, _zones({"SH-01": True, "SH-02": True, "ALL": False}), [])
    assert numbers_in_suppressed_cells(public) == []
    con = duckdb.connect()
    path = public / "public_indicator_estimates.parquet"
    con.execute(
        f"copy (select * replace (0.25 as estimate) from '{path}') to '{path}.new' (format parquet)"
    )
    Path(f"{path}.new").replace(path)
    assert numbers_in_suppressed_cells(public) == [
        "public_indicator_estimates.estimate: 2 suppressed rows carry a value"
    ]


def _bins(public: Path, rows: list[tuple[str, int, int | None, bool]]) -> Path:
    """public_score_distribution rows (zone, bin_low, count, suppressed), one wave x measure."""
    public.mkdir(parents=True, exist_ok=True)
    keys = ["wave_id", "zone_id", "measure", "bin_low", "bin_high"]
    con = duckdb.connect()
    con.execute(
        "create table bins (wave_id integer, zone_id varchar, measure varchar, bin_low integer, "
        "bin_high integer, suppressed boolean, n_enterprises_rounded bigint)"
    )
    for zone, low, n, suppressed in rows:
        con.execute(
            "insert into bins values (2022, ?, 'dii', ?, ?, ?, ?)",
            [zone, low, low + 1, suppressed, None if suppressed else n],
        )
    con.execute(f"copy bins to '{public}/public_score_distribution.parquet' (format parquet)")
    codebook = {
        "tables": {"public_score_distribution": {"keys": keys, "values": ["n_enterprises_rounded"]}}
    }
    (public / "codebook.json").write_text(json.dumps(codebook), encoding="utf-8")
    return public


def test_count_tables_leak_along_bins_and_zones_and_a_zero_is_a_published_cell(
    tmp_path: Path,
) -> None:
    from tests.disclosure import subtraction

    def found(public: Path) -> list[tuple[str, object, object]]:
        con = duckdb.connect()
        keys = ["wave_id", "zone_id", "measure", "bin_low", "bin_high"]
        return [
            (leak.relation, leak.suppressed_cell["zone_id"], leak.suppressed_cell["bin_low"])
            for relation in subtraction.COUNT_RELATIONS
            if relation.table == "public_score_distribution"
            for leak in subtraction._leaks_of(
                con, public / "public_score_distribution.parquet", relation, keys
            )
        ]

    # a lone suppressed bin beside a published zero bin: the zero does not protect it
    lone = _bins(
        tmp_path / "a", [("SH-01", 0, 0, False), ("SH-01", 1, 1, True), ("SH-01", 2, 9, False)]
    )
    assert found(lone) == [("score bins of a measure sum to the sample", "SH-01", 1)]
    paired = _bins(
        tmp_path / "b", [("SH-01", 0, 2, True), ("SH-01", 1, 1, True), ("SH-01", 2, 9, False)]
    )
    assert found(paired) == []
    zones = _bins(
        tmp_path / "c",
        [
            ("SH-01", 0, 1, True),
            ("SH-01", 1, 1, True),
            ("JS-01", 0, 5, False),
            ("JS-01", 1, 5, False),
            ("ALL", 0, 6, False),
            ("ALL", 1, 6, False),
        ],
    )
    assert {(r, z) for r, z, _ in found(zones)} == {
        ("zones sum to ALL (public_score_distribution)", "SH-01")
    }


def test_a_section_equal_to_a_group_is_found(tmp_path: Path) -> None:
    """Section C is group manufacturing: one of the two withheld gives nothing away only
    if the other is withheld too."""
    from tests.disclosure import subtraction

    con = duckdb.connect()
    keys = ["wave_id", "zone_id", "breakdown", "category"]
    path = tmp_path / "public_sample_composition.parquet"

    def leaks(c_suppressed: bool, manufacturing_suppressed: bool) -> list[str]:
        con.execute(
            f"""
            copy (
                select 2022 as wave_id, 'SH-01' as zone_id, * from (values
                    ('industry_section', 'C', {c_suppressed}),
                    ('industry_section', 'E', {c_suppressed}),
                    ('industry_group', 'manufacturing', {manufacturing_suppressed}),
                    ('industry_group', 'other', {manufacturing_suppressed})
                ) as cells(breakdown, category, suppressed)
            ) to '{path}' (format parquet)
            """
        )
        return [
            leak.relation
            for relation in subtraction.COUNT_RELATIONS
            if relation.table == "public_sample_composition"
            for leak in subtraction._leaks_of(con, path, relation, keys)
        ]

    assert leaks(True, False) == [
        "industry sections and groups: manufacturing",
        "industry sections and groups: other",
    ]
    assert leaks(True, True) == []
