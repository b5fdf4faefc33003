"""The public product of a real publish: `current/public/`, checked as files.

The demo home (tests/e2e/conftest.py: two zones, a wave of every version) is published by the
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
import yaml

from dashboards.data import load_public
from dashboards.pages.trends import indicator_meta
from orchestration.codebook import load_codebook
from orchestration.disclosure import disclosure_thresholds
from orchestration.release import read_manifest
from orchestration.settings import DBT_PROJECT_DIR, Home
from tests.disclosure.site_values import estimate_cells_differing, unpublished_numbers
from tests.disclosure.subtraction import numbers_in_suppressed_cells, recoverable_cells

pytestmark = pytest.mark.slow

COUNT_TABLES = (
    "public_sample_composition",
    "public_maturity_levels",
    "public_score_distribution",
    "public_dimension_scores",
)
FIGURE_TABLES = ("public_indicator_estimates", "public_maturity_transitions", *COUNT_TABLES)
# the demo has small cells there: their suppression checks are not vacuous
SMALL_CELL_TABLES = (
    "public_indicator_estimates",
    "public_maturity_transitions",
    "public_sample_composition",
    "public_score_distribution",
)
PROCESSING_TABLES = ("public_delivery_quality", "public_rejected_rules", "public_parameters")
DIMS = (
    "dim_zone",
    "dim_wave",
    "dim_indicator",
    "dim_indicator_break",
    "dim_domain",
    "dim_level",
    "dim_category",
    "dim_dimension",
    "dim_reference_benchmark",
)


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
    assert set(codebook["tables"]) == {*FIGURE_TABLES, *PROCESSING_TABLES, *DIMS}
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
        if table in SMALL_CELL_TABLES:
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


def test_no_suppressed_cell_is_recoverable(public: Path) -> None:
    """The independent attacker's checker, on every relation of the public contract."""
    assert recoverable_cells(public) == []
    assert numbers_in_suppressed_cells(public) == []


def test_primary_rule_holds_for_enterprise_counts(demo: Home, public: Path) -> None:
    """Recomputed here from the enterprise rows of the internal release."""
    t = disclosure_thresholds()
    internal = str(demo.current.resolve() / "analytics.duckdb")
    with duckdb.connect(internal, read_only=True) as con:
        people = con.execute("select * from marts.fct_enterprise_wave").df()
    pooled = pd.concat([people, people.assign(zone_id="ALL")])
    sizes = pooled.groupby(["wave_id", "zone_id"]).size().rename("n_total")

    parts = []
    for breakdown in ("industry_section", "industry_group", "size_class", "mode"):
        counted = pooled.groupby(["wave_id", "zone_id", breakdown]).size().rename("n")
        parts.append(
            counted.reset_index()
            .rename(columns={breakdown: "category"})
            .assign(breakdown=breakdown)
        )
    truth = pd.concat(parts)
    merged = read(public, "public_sample_composition").merge(
        truth, on=["wave_id", "zone_id", "breakdown", "category"], how="outer"
    )
    assert merged.n.notna().all() and merged.suppressed.notna().all()
    small = merged.n < t.min_cell_count
    assert small.any() and merged.suppressed[small].all()
    shown = merged[~merged.suppressed]
    assert ((shown.n_enterprises_rounded - shown.n).abs() <= 2).all()

    levels = read(public, "public_maturity_levels")
    for measure in ("dma", "dii"):
        counted = pooled.groupby(["wave_id", "zone_id", f"{measure}_level"]).size()
        weights = pooled.groupby(["wave_id", "zone_id", f"{measure}_level"]).weight.sum()
        totals = pooled.groupby(["wave_id", "zone_id"]).weight.sum()
        frame = levels[levels.measure == measure].set_index(["wave_id", "zone_id", "level"])
        n = counted.reindex(frame.index, fill_value=0)
        n_total = sizes.reindex(frame.index.droplevel("level")).to_numpy()
        small = (n < t.min_cell_count) | (n_total - n < t.min_cell_count)
        assert frame.suppressed[small].all(), measure
        shown = frame[~frame.suppressed]
        share = (
            weights.reindex(shown.index, fill_value=0)
            / totals.reindex(shown.index.droplevel("level")).to_numpy()
        )
        assert ((shown.weighted_share - share).abs() < 1e-9).all(), measure
    # the full grid: every level of dim_level for every wave x zone
    grid = read(public, "dim_level").groupby("measure").size()
    per_cell = levels.groupby(["wave_id", "zone_id", "measure"]).size()
    assert (per_cell == grid.reindex(per_cell.index.get_level_values("measure")).to_numpy()).all()

    bins = read(public, "public_score_distribution")
    dma = bins[bins.measure == "dma"]
    assert sorted(set(zip(dma.bin_low, dma.bin_high, strict=True))) == [
        (k, k + 10) for k in range(0, 100, 10)
    ]
    assert sorted(set(bins[bins.measure == "dii"].bin_low)) == list(range(13))
    for measure in ("dma", "dii"):
        scores = pooled[pooled[f"{measure}_score"].notna()]
        frame = bins[bins.measure == measure]
        last = frame.bin_low.max()
        width = 10 if measure == "dma" else 1
        low = (scores[f"{measure}_score"] // width * width).clip(upper=last).astype(int)
        counted = scores.assign(bin_low=low).groupby(["wave_id", "zone_id", "bin_low"]).size()
        frame = frame.set_index(["wave_id", "zone_id", "bin_low"])
        n = counted.reindex(frame.index, fill_value=0)
        assert frame.suppressed[(n > 0) & (n < t.min_cell_count)].all(), measure
        shown = frame[~frame.suppressed]
        assert ((shown.n_enterprises_rounded - n[~frame.suppressed]).abs() <= 2).all()
        assert (shown.n_enterprises_rounded[n[~frame.suppressed] == 0] == 0).all()

    scores = read(public, "public_dimension_scores")
    dims = list(read(public, "dim_dimension").dimension)
    assert set(scores.dimension) == set(dims)
    for dimension in dims:
        column = f"dma_{dimension}"
        rated = pooled[pooled[column].notna()]
        n = rated.groupby(["wave_id", "zone_id"]).size()
        frame = scores[scores.dimension == dimension].set_index(["wave_id", "zone_id"])
        n = n.reindex(frame.index, fill_value=0)
        assert frame.suppressed[n < t.min_base].all(), dimension
        shown = frame[~frame.suppressed]
        mean = (rated[column] * rated.weight).groupby(
            [rated.wave_id, rated.zone_id]
        ).sum() / rated.groupby(["wave_id", "zone_id"]).weight.sum()
        assert ((shown.weighted_mean_score - mean.reindex(shown.index)).abs() < 1e-9).all()


def test_processing_tables_and_parameters(demo: Home, public: Path) -> None:
    internal = str(demo.current.resolve() / "analytics.duckdb")
    with duckdb.connect(internal, read_only=True) as con:
        quality = con.execute("select * from marts.fct_delivery_quality").df()
        vars_ = disclosure_thresholds()
    dbt_vars = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))[
        "vars"
    ]
    deliveries = read(public, "public_delivery_quality")
    assert len(deliveries) == len(quality)
    assert set(deliveries.delivery_label) == {d[:8] for d in quality.delivery_id}
    for column in ("rows_read", "rows_accepted", "n_electronic", "n_paper"):
        assert (deliveries[f"{column}_rounded"] % 5 == 0).all(), column
    assert deliveries.rows_read_rounded.sum() == pytest.approx(quality.rows_read.sum(), abs=15)
    assert "rule_columns" in read(public, "public_rejected_rules").columns
    parameters = read(public, "public_parameters").set_index("name").value
    assert parameters.to_dict() == {
        "min_base": vars_.min_base,
        "min_cell_count": vars_.min_cell_count,
        "round_to": 5,
        "confidence_level": 0.95,
        "cv_grade_a_below": dbt_vars["cv_grade_a_below"],
        "cv_grade_c_above": dbt_vars["cv_grade_c_above"],
        "score_bin_width_dma": 10,
        "hub_far_km": dbt_vars["hub_far_km"],
    }
    benchmarks = read(public, "dim_reference_benchmark")
    assert len(benchmarks) and benchmarks.share.between(0, 1).all()


def test_new_labels_in_both_languages(public: Path) -> None:
    categories = read(public, "dim_category")
    dimensions = read(public, "dim_dimension")
    for frame in (categories, dimensions):
        assert frame[["label_en", "label_zh"]].notna().all().all()
        assert (frame.label_en != frame.label_zh).all()
    assert set(categories.breakdown) == {"industry_section", "industry_group", "size_class", "mode"}
    composition = read(public, "public_sample_composition")
    assert set(zip(composition.breakdown, composition.category, strict=True)) <= set(
        zip(categories.breakdown, categories.category, strict=True)
    )
    assert list(dimensions.sort_order) == list(range(1, len(dimensions) + 1))
    zones = set(read(public, "dim_zone").zone_id)
    for table in COUNT_TABLES:
        assert set(read(public, table).zone_id) <= zones, table


def test_the_demo_site_shows_only_what_the_public_release_publishes(
    demo: Home, public: Path
) -> None:
    """The published site of the demo release, value by value against its public/."""
    site = demo.current.resolve() / "dashboards"
    checked, missing = unpublished_numbers(public, site)
    assert missing == [] and checked > 1000
    cells, differing = estimate_cells_differing(public, site)
    assert differing == [] and cells > 1000
    # and no small cell is recoverable from what the site ships: its cells are the
    # public ones, which the checker above finds no recoverable cell in


def test_every_questionnaire_version_is_published_with_its_breaks(public: Path) -> None:
    """The demo fields every codebook version; each indicator's published breaks are the
    ones the trends page draws, at a version's first wave; no indicator has an estimate
    outside the waves its items are asked in (a dropped item stops, a new one starts)."""
    waves = read(public, "dim_wave")
    assert set(waves.instrument_version) == set(load_codebook().versions)
    first_waves = set(waves[waves.is_first_wave_of_version].wave_id)
    breaks = read(public, "dim_indicator_break")
    assert len(breaks) > 0 and set(breaks.wave_id) <= first_waves
    drawn = {
        (indicator, cut["wave"])
        for indicator, meta in indicator_meta(load_public(public)).items()
        for cut in meta["breaks"]
    }
    assert drawn == set(zip(breaks.indicator_id, breaks.wave_id, strict=True))
    indicators = read(public, "dim_indicator")
    estimates = read(public, "public_indicator_estimates").merge(indicators, on="indicator_id")
    before = estimates.wave_id < estimates.first_comparable_wave
    after = estimates.last_wave.notna() & (estimates.wave_id > estimates.last_wave)
    assert not (before | after).any(), estimates[before | after][["indicator_id", "wave_id"]]
