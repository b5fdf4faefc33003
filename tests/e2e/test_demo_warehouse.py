"""End to end: generated deliveries -> Dagster pipeline -> published analytics DB.

The marts are checked against the delivery FILES, read back independently through
the codebook (tests/conftest.py), not against the build DB: the 2020 SH-01 wave
must give the report's counts, and another zone-wave every indicator's tally.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from orchestration.codebook import load_codebook
from orchestration.settings import DBT_PROJECT_DIR, Home
from tests.support.demo import DEMO_CONFIG

SEEDS = DBT_PROJECT_DIR / "seeds"

pytestmark = pytest.mark.slow

CB = load_codebook()


def marts(home: Home, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(home.analytics_db), read_only=True) as con:
        return con.execute(sql).df()


def estimates(home: Home, zone: str, wave: int) -> pd.DataFrame:
    return marts(
        home,
        f"""select indicator_id, domain, n_base, n_yes from marts.fct_indicator_estimates
        where zone_id = '{zone}' and wave_id = {wave} and domain in ('all', 'manufacturing')""",
    )


def test_2020_sh01_gives_the_report_counts(demo: Home) -> None:
    baseline = pd.read_csv(SEEDS / "ref_baseline_2020.csv")
    got = estimates(demo, "SH-01", 2020)
    merged = baseline.merge(got, on=["indicator_id", "domain"], how="left", suffixes=("", "_mart"))
    assert merged.n_base_mart.notna().all(), merged[merged.n_base_mart.isna()].indicator_id
    assert (merged.n_base == merged.n_base_mart).all()
    assert (merged.n_yes == merged.n_yes_mart).all()


# ------------------------------------------------------------------ independent tally


def _industry_group(frame: pd.DataFrame) -> pd.Series:
    division = pd.to_numeric(frame["A6_industry_division"])
    section = frame["A5_industry_section"]
    return pd.Series(
        np.select(
            [section == "C", division == 65, division.isin([63, 64]) | (section == "F")],
            ["manufacturing", "software_it", "telecom_or_trade"],
            "other",
        ),
        index=frame.index,
    )


def _employees_lt50(frame: pd.DataFrame) -> pd.Series:
    upper = {o.code: o.extra.get("max") for o in CB.item("A8b_employees_band").options}
    from_band = frame.get("A8b_employees_band", pd.Series(None, index=frame.index)).map(upper)
    employees = pd.to_numeric(frame["A8_employees"]).fillna(from_band)
    return employees < 50


def answers_long(frame: pd.DataFrame, version: str) -> pd.DataFrame:
    """(row, item, code) the respondent has: delivered codes, crosswalked codes, derived items."""
    parts = []
    for item in CB.items_for(version):
        if item.restricted or not (item.is_choice or item.is_multi):
            continue
        if item.is_multi:
            for option in item.options_for(version):
                column = item.option_column(option.code)
                rows = frame.index[frame[column].eq(True)] if column in frame else []
                parts.append(pd.DataFrame({"row": rows, "item": item.id, "code": option.code}))
            continue
        if item.id not in frame:
            continue
        codes = frame[item.id].dropna().astype(str)
        parts.append(pd.DataFrame({"row": codes.index, "item": item.id, "code": codes.values}))
        if version != "v2020" and item.crosswalk:
            mapped = codes.map(item.crosswalk.mapping).dropna()
            target = item.crosswalk.target
            parts.append(pd.DataFrame({"row": mapped.index, "item": target, "code": mapped}))
    derived = {
        "X_industry_group": _industry_group(frame),
        "X_employees_lt50": _employees_lt50(frame).map({True: "yes", False: "no"}),
        "X_revenue_lt20m": (pd.to_numeric(frame["A9_revenue"]) < 2000).map(
            {True: "yes", False: "no"}
        ),
    }
    for item_id, values in derived.items():
        parts.append(pd.DataFrame({"row": frame.index, "item": item_id, "code": values.values}))
    return pd.concat(parts, ignore_index=True)


def tally(frame: pd.DataFrame, wave: int, domain: str) -> pd.DataFrame:
    """n_base and n_yes of every catalog indicator, evaluated in pandas on the file rows."""
    version = CB.version_for_wave(wave)
    if domain == "manufacturing":
        frame = frame[frame["A5_industry_section"] == "C"]
    long = answers_long(frame, version)
    has = set(zip(long.row, long.item, long.code, strict=True))
    catalog = pd.read_csv(SEEDS / "indicators.csv", dtype=str)
    terms = pd.read_csv(SEEDS / "indicator_terms.csv", dtype=str)
    rows = []
    for ind in catalog.itertuples():
        if int(ind.first_wave) > wave or (
            isinstance(ind.last_wave, str) and int(ind.last_wave) < wave
        ):
            continue
        mine = terms[terms.indicator_id == ind.indicator_id]
        base_terms = mine[mine.role == "base"][["item_id", "value_code"]].itertuples(index=False)
        num_terms = list(
            mine[mine.role == "numerator"][["item_id", "value_code"]].itertuples(index=False)
        )
        base_terms = list(base_terms)
        in_base = [
            r
            for r in frame.index
            if ind.base_match == "all" or any((r, *t) in has for t in base_terms)
        ]
        hits = [any((r, *t) in has for t in num_terms) for r in in_base]
        n_yes = sum(hits) if ind.numerator_match == "any" else len(hits) - sum(hits)
        rows.append((ind.indicator_id, domain, len(in_base), n_yes))
    return pd.DataFrame(rows, columns=["indicator_id", "domain", "n_base", "n_yes"])


# the first wave of the newest questionnaire version (the demo's last), and a wave of
# the first one
NEWEST_VERSION_WAVE = DEMO_CONFIG.waves[-1]


@pytest.mark.parametrize(("zone", "wave"), [("JS-01", NEWEST_VERSION_WAVE), ("JS-01", 2021)])
def test_another_zone_wave_matches_an_independent_tally_of_the_files(
    demo: Home, read_delivery: Callable[[Path, int], pd.DataFrame], zone: str, wave: int
) -> None:
    frame = read_delivery(demo.inbox / zone / str(wave), wave)
    expected = pd.concat([tally(frame, wave, d) for d in ("all", "manufacturing")])
    expected = expected[expected.n_base > 0]
    got = estimates(demo, zone, wave)
    merged = expected.merge(got, on=["indicator_id", "domain"], how="outer", indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"]
    assert len(merged) > 150
    assert (merged.n_base_x == merged.n_base_y).all(), merged[merged.n_base_x != merged.n_base_y]
    assert (merged.n_yes_x == merged.n_yes_y).all(), merged[merged.n_yes_x != merged.n_yes_y]


def test_no_identifying_column_is_published(demo: Home) -> None:
    restricted = [it for it in CB.items if it.restricted]
    columns = marts(
        demo,
        "select table_name, column_name from information_schema.columns",
    )
    names = columns.column_name.str.lower()
    for item in restricted:
        assert not names.str.contains(item.id.lower()).any()
    assert not names.str.contains("uscc|contact|phone").any()
    assert not names.isin(["name", "enterprise_name", "a2_name"]).any()


def test_enterprise_key_is_stable_for_panel_enterprises(
    demo: Home, read_delivery: Callable[[Path, int], pd.DataFrame]
) -> None:
    usccs = {w: set(read_delivery(demo.inbox / "SH-01" / str(w), w).A1_uscc) for w in (2020, 2021)}
    keys = marts(
        demo,
        """select wave_id, enterprise_key from marts.fct_enterprise_wave
        where zone_id = 'SH-01' and wave_id in (2020, 2021)""",
    )
    by_wave = {w: set(keys[keys.wave_id == w].enterprise_key) for w in (2020, 2021)}
    assert len(by_wave[2020] & by_wave[2021]) == len(usccs[2020] & usccs[2021]) > 0
    assert not (set(keys.enterprise_key) & (usccs[2020] | usccs[2021]))
