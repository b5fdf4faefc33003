"""fct_indicator_estimates against R's survey package, cell by cell.

R (tests/estimation/reference.R) estimates every wave x zone (+ ALL) x domain x
indicator of the fixture warehouse with svydesign(strata = zone, fpc = N_h) ->
postStratify(zone x weighting cell) -> svymean on the domain x base subset. The
warehouse must give the same estimate (to 1e-9 before rounding), the same standard
error (to 1e-6 relative) and the documented Wilson interval on R's SE.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from tests.estimation.conftest import EstimationBuild

pytestmark = pytest.mark.slow

KEYS = ["wave_id", "zone_id", "domain", "indicator_id"]
Z = 1.96
ROUNDED = 5e-7 + 1e-12  # the mart rounds to 6 decimals
INTERVAL_TOLERANCE = 1e-6  # rounding plus the propagation of R's SE through Wilson
SE_RELATIVE = 1e-6

# Unrounded figures from the additive sums, zones and the pooled ALL alike: the
# same aggregation fct_indicator_estimates makes, before any rounding.
SUMS_SQL = """
with by_zone as (
    select wave_id, zone_id, domain, indicator_id, weighted_n_base, sum_weight,
           sum_weight_yes, sum_weight_squared, var_q0, var_q1, var_q2
    from intermediate.int_indicator_sums
),
pooled as (
    select wave_id, 'ALL' as zone_id, domain, indicator_id,
           sum(weighted_n_base), sum(sum_weight), sum(sum_weight_yes),
           sum(sum_weight_squared), sum(var_q0), sum(var_q1), sum(var_q2)
    from by_zone
    group by wave_id, domain, indicator_id
)
select * from by_zone union all select * from pooled
"""


def _query(db, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.sql(sql).df()


def wilson(p: np.ndarray, n: np.ndarray, z: float = Z) -> tuple[np.ndarray, np.ndarray]:
    """The 95% Wilson interval of macros/estimates.sql (wilson_bound)."""
    centre = p + z * z / (2 * n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    scale = 1 + z * z / n
    return np.maximum(0.0, (centre - half) / scale), np.minimum(1.0, (centre + half) / scale)


@pytest.fixture(scope="module")
def compared(estimation_build: EstimationBuild) -> pd.DataFrame:
    """R's reference beside the mart and the unrounded figures of the sums, per cell."""
    assert estimation_build.returncode == 0, estimation_build.output[-4000:]
    mart = _query(estimation_build.db, "select * from marts.fct_indicator_estimates")
    sums = _query(estimation_build.db, SUMS_SQL)
    for frame in (mart, sums, estimation_build.reference):  # int32 in DuckDB, int64 in R
        frame["wave_id"] = frame["wave_id"].astype("int64")
    weighted = mart[mart["weighted_estimate"].notna()]
    reference = estimation_build.reference.rename(columns={"estimate": "r_mean", "se": "r_se"})
    both = reference.merge(weighted, on=KEYS, how="outer", indicator=True, validate="one_to_one")
    unmatched = both[both["_merge"] != "both"]
    assert unmatched.empty, f"cells in one of R and the mart only:\n{unmatched[KEYS].head()}"
    both = both.drop(columns="_merge").merge(
        sums, on=KEYS, how="left", suffixes=("", "_sums"), validate="one_to_one"
    )
    p = both["sum_weight_yes"] / both["sum_weight"]
    variance = (both["var_q0"] - 2 * p * both["var_q1"] + p * p * both["var_q2"]) / (
        both["sum_weight"] ** 2
    )
    both["p_sums"] = p
    both["se_sums"] = np.sqrt(variance.clip(lower=0.0))
    return both


def test_the_comparison_has_substance(compared: pd.DataFrame, estimation_build: EstimationBuild):
    """Every weighted cell is compared (the merge above is exact), and there are many."""
    assert len(compared) > 3000
    assert set(compared["zone_id"]) == {"SH-01", "Z08-01", "JS-01", "GD-01", "ALL"}
    assert set(compared["domain"]) > {"all", "manufacturing", "micro", "large"}
    # thin domains and non-degenerate variances are among them
    assert (compared["n_base"] < 5).sum() > 100
    assert (compared["r_se"] > 0).sum() > 0.8 * len(compared)
    # both methods of record: raking where the register supports it, else the
    # post-stratification fallback
    methods = estimation_build.respondents.groupby(["wave_id", "zone_id"])["weighting_method"]
    assert set(methods.first()) == {"raking", "post_stratification"}
    assert (methods.nunique() == 1).all()
    # GD-01 2020 has no register: its respondents are outside the design
    assert not ((compared["zone_id"] == "GD-01") & (compared["wave_id"] == 2020)).any()
    assert not estimation_build.respondents.query("zone_id == 'GD-01' and wave_id == 2020").size


def test_weighted_estimate_equals_svymean(compared: pd.DataFrame):
    gap = (compared["p_sums"] - compared["r_mean"]).abs()
    assert gap.max() <= 1e-9, compared.loc[gap.idxmax(), KEYS]
    rounded = (compared["weighted_estimate"] - compared["r_mean"]).abs()
    assert rounded.max() <= ROUNDED


def test_std_error_equals_r_se(compared: pd.DataFrame):
    se = compared["r_se"]
    gap = (compared["se_sums"] - se).abs()
    # the 1e-12 floor: where the true SE is 0 (estimate 0 or 1) R's SE is rounding
    # noise (up to ~1e-16) while the warehouse clips V at exactly 0
    bad = gap > SE_RELATIVE * se + 1e-12
    assert not bad.any(), compared.loc[bad, [*KEYS, "r_se", "se_sums"]].head()
    assert (compared["std_error"] - se).abs().max() <= ROUNDED


def test_derived_columns_follow_r_se(compared: pd.DataFrame):
    """cv, design effect and n_effective as documented, from R's estimate and SE."""
    p, se = compared["r_mean"], compared["r_se"]
    n_w = compared["weighted_n_base"].astype(float)
    variance = se * se
    inner = (p > 1e-12) & (p < 1 - 1e-12) & (se > 1e-9)
    cv = se / p
    assert np.allclose(compared.loc[inner, "cv"], cv[inner], rtol=1e-5, atol=1e-6)
    deff = variance / (p * (1 - p) / n_w)
    assert np.allclose(compared.loc[inner, "design_effect"], deff[inner], rtol=1e-5, atol=1e-6)
    n_eff = p * (1 - p) / variance
    assert np.allclose(compared.loc[inner, "n_effective"], n_eff[inner], rtol=1e-5, atol=1e-6)
    degenerate = (p <= 1e-12) | (p >= 1 - 1e-12)
    assert degenerate.any()
    assert compared.loc[degenerate, "n_effective"].isna().all()
    assert compared.loc[degenerate, "design_effect"].isna().all()
    # grades, away from the thresholds (rounding could move a cell across one)
    clear = inner & ((cv - 0.166).abs() > 1e-5) & ((cv - 0.333).abs() > 1e-5)
    grade = np.select([cv < 0.166, cv <= 0.333], ["A", "B"], "C")
    assert (compared.loc[clear, "quality_grade"] == grade[clear]).all()
    assert set(compared.loc[clear, "quality_grade"]) == {"A", "B", "C"}
    assert (compared.loc[p <= 1e-12, "quality_grade"] == "C").all()


def test_interval_is_wilson_on_the_design_effective_size(compared: pd.DataFrame):
    p, se = compared["r_mean"].to_numpy(), compared["r_se"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        n_eff = np.where(se > 1e-9, p * (1 - p) / (se * se), np.nan)
    # documented fallback: no design effective size -> the weighted base's count
    n = np.where(np.isnan(n_eff), compared["weighted_n_base"].to_numpy(float), n_eff)
    low, high = wilson(p, n)
    assert np.abs(compared["weighted_ci_low"].to_numpy() - low).max() <= INTERVAL_TOLERANCE
    assert np.abs(compared["weighted_ci_high"].to_numpy() - high).max() <= INTERVAL_TOLERANCE


def test_design_se_is_not_the_kish_approximation(compared: pd.DataFrame):
    """The test can fail: the design SE differs clearly from Kish's in many cells."""
    p, se = compared["r_mean"], compared["r_se"]
    inner = (p > 0.01) & (p < 0.99)
    kish_n = compared["sum_weight"] ** 2 / compared["sum_weight_squared"]
    kish_se = np.sqrt(p[inner] * (1 - p[inner]) / kish_n[inner])
    ratio = se[inner] / kish_se
    # about one cell in five with cells of at least 10 respondents (min_cell_respondents)
    assert ((ratio - 1).abs() > 0.1).sum() > 1000, ratio.describe()
