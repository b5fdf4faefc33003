"""fct_maturity_transitions against R's survey package, cell by cell.

R (tests/estimation/transitions_reference.R) estimates every zone (+ ALL) x wave
pair x measure x level_from x level_to of the fixture warehouse with
svydesign(strata = zone of wave t, fpc = N_h, weights = panel weight) -> svymean of
"at level_to" on the level_from subset: the design of docs/methodology.md,
"Transitions (panel)". The warehouse must give the same weighted share and standard
error (to the mart's 6 decimals) and the documented Wilson interval on R's SE.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from tests.estimation.conftest import EstimationBuild
from tests.estimation.test_r_parity import INTERVAL_TOLERANCE, ROUNDED, wilson
from tests.support.timeouts import HANG_GUARD

pytestmark = pytest.mark.slow

KEYS = ["wave_from", "zone_id", "measure", "level_from", "level_to"]
REFERENCE_SCRIPT = Path(__file__).with_name("transitions_reference.R")

LINKS_SQL = """
select wave_from, zone_from, 'dii' as measure, dii_level_from as level_from,
       dii_level_to as level_to, panel_weight, panel_stratum_population
from intermediate.int_enterprise_panel_linked
union all
select wave_from, zone_from, 'dma', dma_level_from, dma_level_to, panel_weight,
       panel_stratum_population
from intermediate.int_enterprise_panel_linked
"""


def _query(db, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.sql(sql).df()


@pytest.fixture(scope="module")
def compared(estimation_build: EstimationBuild, tmp_path_factory) -> pd.DataFrame:
    """R's reference beside the mart's weighted rows."""
    assert estimation_build.returncode == 0, estimation_build.output[-4000:]
    root = tmp_path_factory.mktemp("transitions")
    links_csv, reference_csv = root / "links.csv", root / "reference.csv"
    _query(estimation_build.db, LINKS_SQL).to_csv(links_csv, index=False)
    ran = subprocess.run(
        [shutil.which("Rscript"), "--vanilla", str(REFERENCE_SCRIPT), links_csv, reference_csv],
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
    )
    assert ran.returncode == 0, ran.stderr[-3000:]
    reference = pd.read_csv(reference_csv, dtype={"zone_id": str}, float_precision="round_trip")
    mart = _query(estimation_build.db, "select * from marts.fct_maturity_transitions")
    for frame in (mart, reference):
        frame["wave_from"] = frame["wave_from"].astype("int64")
    weighted = mart[mart["weighted_n_level_from"] > 0]
    both = reference.merge(weighted, on=KEYS, how="outer", indicator=True, validate="one_to_one")
    unmatched = both[both["_merge"] != "both"]
    # a transition only unweighted links make is in the mart with a weighted share of
    # 0 (its level_from has weighted links) but not in R's subset of weighted links
    only_mart = unmatched[unmatched["_merge"] == "right_only"]
    assert (only_mart["weighted_share_of_level_from"] == 0).all(), only_mart[KEYS].head()
    assert (unmatched["_merge"] != "left_only").all(), unmatched[KEYS].head()
    return both[both["_merge"] == "both"]


def test_the_comparison_has_substance(compared: pd.DataFrame, estimation_build: EstimationBuild):
    assert len(compared) > 100
    assert set(compared["zone_id"]) == {"SH-01", "Z08-01", "JS-01", "GD-01", "ALL"}
    assert (compared["se"] > 0).mean() > 0.7
    # GD-01 has no register in 2020: its links count, unweighted, and are outside R's design
    mart = _query(estimation_build.db, "select * from marts.fct_maturity_transitions")
    unweighted = mart.query("zone_id == 'GD-01' and wave_from == 2020")
    assert len(unweighted) and unweighted["weighted_share_of_level_from"].isna().all()
    assert not ((compared["zone_id"] == "GD-01") & (compared["wave_from"] == 2020)).any()


def test_weighted_share_and_std_error_equal_svymean(compared: pd.DataFrame):
    share_gap = (compared["weighted_share_of_level_from"] - compared["estimate"]).abs()
    assert share_gap.max() <= ROUNDED, compared.loc[share_gap.idxmax(), KEYS]
    se_gap = (compared["std_error"] - compared["se"]).abs()
    assert se_gap.max() <= ROUNDED, compared.loc[se_gap.idxmax(), KEYS]


def test_interval_is_wilson_on_the_design_effective_size(compared: pd.DataFrame):
    p, se = compared["estimate"].to_numpy(), compared["se"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        n_eff = np.where(se > 1e-9, p * (1 - p) / (se * se), np.nan)
    n = np.where(np.isnan(n_eff), compared["weighted_n_level_from"].to_numpy(float), n_eff)
    low, high = wilson(p, n)
    assert np.abs(compared["weighted_ci_low"].to_numpy() - low).max() <= INTERVAL_TOLERANCE
    assert np.abs(compared["weighted_ci_high"].to_numpy() - high).max() <= INTERVAL_TOLERANCE
