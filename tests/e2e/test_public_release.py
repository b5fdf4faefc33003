"""The public product of a real publish: `current/public/`, checked as files.

The demo home (tests/e2e/conftest.py: two zones, three waves) is published by the
pipeline; its public tables are read back from Parquet and CSV and compared with
the internal marts of the same release, the primary rule recomputed here from the
counts there and the dbt vars.
"""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from orchestration.disclosure import disclosure_thresholds
from orchestration.release import read_manifest
from orchestration.settings import Home

pytestmark = pytest.mark.slow

FIGURE_TABLES = ("public_indicator_estimates", "public_maturity_transitions")
DIMS = ("dim_zone", "dim_wave", "dim_indicator", "dim_domain", "dim_level")


@pytest.fixture(scope="module")
def public(demo: Home) -> Path:
    return demo.current.resolve() / "public"


@pytest.fixture(scope="module")
def codebook(public: Path) -> dict:
    return json.loads((public / "codebook.json").read_text(encoding="utf-8"))


def read(public: Path, table: str) -> pd.DataFrame:
    return pd.read_parquet(public / f"{table}.parquet")


def test_public_folder_holds_the_contract_files(public: Path, codebook: dict) -> None:
    assert set(codebook) == {"tables"}
    assert set(codebook["tables"]) == {*FIGURE_TABLES, *DIMS}
    for table, doc in codebook["tables"].items():
        assert set(doc) == {"description", "keys", "values", "columns"}
        frame = read(public, table)
        assert list(doc["columns"]) == list(frame.columns), table
        assert set(doc["keys"]) | set(doc["values"]) <= set(frame.columns), table
        for column, words in doc["columns"].items():
            assert set(words) == {"label_en", "label_zh", "description"}, (table, column)
            assert all(isinstance(w, str) and w for w in words.values()), (table, column)
        assert not frame.duplicated(doc["keys"]).any(), table
        raw = (public / f"{table}.csv").read_bytes()
        assert raw.startswith(codecs.BOM_UTF8), table
        from_csv = pd.read_csv(public / f"{table}.csv", encoding="utf-8-sig")
        assert list(from_csv.columns) == list(frame.columns), table
        assert len(from_csv) == len(frame), table
    for table in FIGURE_TABLES:
        assert read(public, table).suppressed.dtype == bool
    assert (public / "README.md").is_file()


def test_manifest_lists_the_public_files(demo: Home, public: Path) -> None:
    manifest = read_manifest(demo.current.resolve())
    listed = {f["path"] for f in manifest["files"]}
    on_disk = {f"public/{p.name}" for p in public.iterdir()}
    assert on_disk <= listed
    for table, counts in manifest["public"]["suppressed"].items():
        frame = read(public, table)
        assert counts["cells"] == len(frame) == manifest["public"]["row_counts"][table]
        assert counts["primary"] + counts["secondary"] == frame.suppressed.sum()


def test_no_enterprise_level_data_or_numerator_counts(public: Path) -> None:
    for path in public.glob("*.parquet"):
        columns = set(pd.read_parquet(path).columns)
        assert not columns & {"enterprise_key", "n_yes", "n_base", "n_enterprises"}, path.name
        assert not columns & {"estimate", "ci_low", "ci_high", "design_effect", "n_effective"}


def test_suppressed_cells_carry_no_number(public: Path, codebook: dict) -> None:
    for table in FIGURE_TABLES:
        frame = read(public, table)
        doc = codebook["tables"][table]
        hidden = frame[frame.suppressed]
        assert len(hidden), table  # the demo has small cells: the check is not vacuous
        assert hidden[doc["values"]].isna().all().all(), table
        # and no number in any other column either (a figure missing from `values`)
        numeric = [
            c
            for c in frame.select_dtypes("number").columns
            if c not in doc["keys"] and c not in ("wave_id", "wave_from", "wave_to")
        ]
        assert hidden[numeric].isna().all().all(), table
        shown = frame[~frame.suppressed]
        assert shown[doc["values"][0]].notna().all(), table  # the base of a published cell


def test_primary_rule_holds(demo: Home, public: Path) -> None:
    t = disclosure_thresholds()
    internal = str(demo.current.resolve() / "analytics.duckdb")
    with duckdb.connect(internal, read_only=True) as con:
        marts = con.execute(
            "select wave_id, zone_id, domain_type, domain, indicator_id, n_base, n_yes "
            "from marts.fct_indicator_estimates"
        ).df()
        moves = con.execute(
            "select zone_id, wave_from, wave_to, measure, level_from, level_to, n_enterprises "
            "from marts.fct_maturity_transitions"
        ).df()
    keys = ["wave_id", "zone_id", "domain_type", "domain", "indicator_id"]
    merged = read(public, "public_indicator_estimates").merge(marts, on=keys, how="outer")
    assert len(merged) == len(marts)
    small = (
        (merged.n_base < t.min_base)
        | (merged.n_yes < t.min_cell_count)
        | (merged.n_base - merged.n_yes < t.min_cell_count)
    )
    assert small.any()
    assert merged.suppressed[small].all()
    # the published base is the true one rounded to 5, never off by more than 2
    shown = merged[~merged.suppressed]
    assert ((shown.n_base_rounded - shown.n_base).abs() <= 2).all()
    assert (shown.n_base_rounded % 5 == 0).all()

    group = ["zone_id", "wave_from", "wave_to", "measure", "level_from"]
    moves["n_level_from"] = moves.groupby(group).n_enterprises.transform("sum")
    public_moves = read(public, "public_maturity_transitions")
    merged = public_moves.merge(moves, on=[*group, "level_to"], how="left")
    merged["n_enterprises"] = merged.n_enterprises.fillna(0)  # grid cells nobody moved to
    merged["n_level_from"] = merged.groupby(group).n_level_from.transform("max")
    assert len(merged) == len(public_moves) and len(public_moves) >= len(moves)
    small = (
        (merged.n_level_from < t.min_base)
        | (merged.n_enterprises < t.min_cell_count)
        | (merged.n_level_from - merged.n_enterprises < t.min_cell_count)
    )
    assert small.any()
    assert merged.suppressed[small].all()


def relation_sizes(frame: pd.DataFrame, by: list[str]) -> pd.Series:
    return frame.groupby(by).suppressed.sum()


def test_no_relation_has_exactly_one_suppressed_cell(public: Path) -> None:
    """0 or >= 2 suppressed per additive relation (a light check; not the full checker)."""
    est = read(public, "public_indicator_estimates")
    zones = relation_sizes(est, ["wave_id", "domain_type", "domain", "indicator_id"])
    assert (zones != 1).all()
    cell = ["wave_id", "zone_id", "indicator_id"]
    totals = est[est.domain_type == "all"].set_index(cell).suppressed
    for domain_type in ("industry_group", "size_class"):
        parts = est[est.domain_type == domain_type].groupby(cell).suppressed.sum()
        with_total = parts + totals.reindex(parts.index).astype(int)
        assert (with_total != 1).all(), domain_type
    moves = read(public, "public_maturity_transitions")
    pair = ["wave_from", "wave_to", "measure"]
    assert (relation_sizes(moves, ["zone_id", *pair, "level_from"]) != 1).all()
    assert (relation_sizes(moves, [*pair, "level_from", "level_to"]) != 1).all()


def test_labels_in_both_languages(public: Path) -> None:
    for table, columns in {
        "dim_indicator": ("label_en", "label_zh"),
        "dim_domain": ("label_en", "label_zh"),
        "dim_level": ("label_en", "label_zh", "measure_label_en", "measure_label_zh"),
    }.items():
        frame = read(public, table)
        assert frame[list(columns)].notna().all().all(), table
    zones = read(public, "dim_zone").set_index("zone_id")
    est = read(public, "public_indicator_estimates")
    assert set(est.zone_id) <= set(zones.index)
    assert zones.loc[["SH-01", "JS-01", "ALL"], "zone_name_zh"].notna().all()
    domains = read(public, "dim_domain")
    assert set(zip(est.domain_type, est.domain, strict=True)) <= set(
        zip(domains.domain_type, domains.domain, strict=True)
    )
