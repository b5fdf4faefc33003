"""The demo's SH-01 2020 files reproduce every count of the baseline report.

The files are read back independently (codebook only, see tests/conftest.py) and
each row of baseline-2020.csv is checked through this file's own reading of its
`definition` column: DEFINITIONS maps every indicator to (base, numerator).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from orchestration.codebook import load_codebook
from orchestration.demo.generator import GeneratorConfig, write_deliveries

BASELINE_CSV = Path(__file__).parents[2] / "dbt_project" / "seeds" / "ref_baseline_2020.csv"
CB = load_codebook()

Predicate = Callable[[pd.DataFrame], pd.Series]


def everyone(d: pd.DataFrame) -> pd.Series:
    return pd.Series(True, index=d.index)


def eq(column: str, *codes: str) -> Predicate:
    return lambda d: d[column].isin(codes)


def flag(column: str) -> Predicate:
    return lambda d: d[column].eq(True)


def any_of(*predicates: Predicate) -> Predicate:
    return lambda d: np.logical_or.reduce([p(d) for p in predicates])


def below(column: str, limit: float) -> Predicate:
    return lambda d: d[column] < limit


C1, C2, C4 = (
    "C1_online_procurement_share",
    "C2_online_sales_share",
    "C4_online_marketing_spend_share",
)
F1, F3, H1 = "F1_internet_finance_share", "F3_financing_platform_interest", "H1_biggest_obstacle"
MANUFACTURER = eq("A5_industry_section", "C")

DEFINITIONS: dict[str, tuple[Predicate, Predicate]] = {
    "mode_electronic": (everyone, eq("A12_mode", "electronic")),
    "industry_manufacturing": (everyone, MANUFACTURER),
    "industry_software_it": (everyone, lambda d: d["A6_industry_division"] == 65),
    "industry_telecom_or_trade": (
        everyone,
        lambda d: d["A6_industry_division"].isin([63, 64]) | d["A5_industry_section"].eq("F"),
    ),
    "ownership_private": (everyone, eq("A4_ownership", "private_or_private_holding")),
    "employees_lt50": (everyone, below("A8_employees", 50)),
    "revenue_lt20m": (everyone, below("A9_revenue", 2000)),
    "respondent_manager": (everyone, eq("A11_respondent_role", "senior_manager", "middle_manager")),
    "large_data_online": (everyone, eq("B1_large_data_online", "yes")),
    "tech_industrial_internet": (everyone, flag("B4_tech__industrial_internet")),
    "tech_5g": (everyone, flag("B4_tech__5g")),
    "tech_big_data": (everyone, flag("B4_tech__big_data")),
    "tech_ai": (everyone, flag("B4_tech__ai")),
    "tech_industrial_apps": (everyone, flag("B4_tech__industrial_apps")),
    "tech_neither_ai_nor_big_data": (
        everyone,
        lambda d: ~flag("B4_tech__ai")(d) & ~flag("B4_tech__big_data")(d),
    ),
    "bought_data_services": (everyone, eq("B5_data_services", "yes")),
    "bought_ai_services": (everyone, eq("B6_ai_services", "yes")),
    "cloud_migrated": (everyone, eq("B3_cloud", "migrated")),
    "cloud_plan": (everyone, eq("B3_cloud", "plan_to_migrate")),
    "cloud_no_plan": (everyone, eq("B3_cloud", "no_plan")),
    "procurement_online_0": (everyone, eq(C1, "0")),
    "procurement_online_1_25": (everyone, eq(C1, "1_25")),
    "procurement_online_26_50": (everyone, eq(C1, "26_50")),
    "procurement_online_51_75": (everyone, eq(C1, "51_75")),
    "procurement_online_76_100": (everyone, eq(C1, "76_100")),
    "procurement_online_gt50": (everyone, eq(C1, "51_75", "76_100")),
    "sales_online_0": (everyone, eq(C2, "0")),
    "sales_online_1_25": (everyone, eq(C2, "1_25")),
    "sales_online_26_50": (everyone, eq(C2, "26_50")),
    "sales_online_51_75": (everyone, eq(C2, "51_75")),
    "sales_online_76_100": (everyone, eq(C2, "76_100")),
    "sales_online_gt50": (everyone, eq(C2, "51_75", "76_100")),
    "online_marketing": (everyone, eq("C3_online_marketing", "yes")),
    "new_marketing_models": (
        eq("C3_online_marketing", "yes"),
        eq("C5_new_marketing_models", "yes"),
    ),
    "marketing_spend_0": (everyone, eq(C4, "0")),
    "marketing_spend_1_25": (everyone, eq(C4, "1_25")),
    "marketing_spend_26_50": (everyone, eq(C4, "26_50")),
    "marketing_spend_51_75": (everyone, eq(C4, "51_75")),
    "marketing_spend_76_100": (everyone, eq(C4, "76_100")),
    "digital_marketing_services": (everyone, eq("C6_digital_marketing_services", "yes")),
    "payment_merchant_services": (everyone, eq("C7_payment_merchant_services", "yes")),
    "scp_employee_sharing": (everyone, flag("C8_supply_chain_platform__employee_sharing")),
    "scp_protective_materials": (everyone, flag("C8_supply_chain_platform__protective_materials")),
    "scp_sales_logistics": (everyone, flag("C8_supply_chain_platform__sales_logistics_sharing")),
    "scp_supplier_matching": (everyone, flag("C8_supply_chain_platform__supplier_matching")),
    "scp_production_line_config": (
        everyone,
        flag("C8_supply_chain_platform__production_line_config"),
    ),
    "scp_mold_sharing": (everyone, flag("C8_supply_chain_platform__mold_sharing")),
    "mfg_equipment_networked": (MANUFACTURER, flag("D1_smart_mfg__equipment_networked")),
    "mfg_smart_line": (MANUFACTURER, flag("D1_smart_mfg__smart_line")),
    "mfg_smart_workshop": (MANUFACTURER, flag("D1_smart_mfg__smart_workshop")),
    "mfg_smart_factory": (MANUFACTURER, flag("D1_smart_mfg__smart_factory")),
    "mfg_smart_any": (
        MANUFACTURER,
        any_of(
            flag("D1_smart_mfg__smart_line"),
            flag("D1_smart_mfg__smart_workshop"),
            flag("D1_smart_mfg__smart_factory"),
        ),
    ),
    "mfg_cnc": (MANUFACTURER, flag("D1_smart_mfg__cnc_key_processes")),
    "mfg_process_optimization": (MANUFACTURER, flag("D1_smart_mfg__process_optimization")),
    "mfg_modular_equipment": (MANUFACTURER, flag("D1_smart_mfg__modular_intelligent_equipment")),
    "rd_open_platform": (everyone, flag("E1_rd_digital__open_rd_platform")),
    "rd_sim_3d_vr": (everyone, flag("E1_rd_digital__sim_3d_vr")),
    "rd_digital_model_sim": (everyone, flag("E1_rd_digital__digital_model_simulation")),
    "rd_cax": (everyone, flag("E1_rd_digital__cax")),
    "finance_online_0": (everyone, eq(F1, "0")),
    "finance_online_1_25": (everyone, eq(F1, "1_25")),
    "finance_online_26_50": (everyone, eq(F1, "26_50")),
    "finance_online_gt50": (everyone, eq(F1, "gt_50")),
    "finance_online_any": (everyone, lambda d: d[F1].ne("0")),
    "finance_fintech_channels": (
        everyone,
        any_of(
            flag("F2_internet_finance_channels__internet_bank"),
            flag("F2_internet_finance_channels__consumer_or_supply_chain_finance"),
            flag("F2_internet_finance_channels__online_small_loan_or_platform"),
        ),
    ),
    "platform_interest_great": (everyone, eq(F3, "great")),
    "platform_interest_average": (everyone, eq(F3, "average")),
    "platform_interest_none": (everyone, eq(F3, "none")),
    "covid_customer_comm_insurmountable": (
        everyone,
        eq("G1_customer_comm_barrier", "insurmountable"),
    ),
    "covid_remote_insurmountable": (everyone, eq("G2_remote_work_barrier", "insurmountable")),
    "covid_importance_raised": (everyone, eq("G3_digital_importance_raised", "yes")),
    "obstacle_fees": (everyone, eq(H1, "service_fees_high")),
    "obstacle_funds": (everyone, eq(H1, "lack_of_funds")),
    "obstacle_no_urgency": (everyone, eq(H1, "no_urgency")),
    "obstacle_skills": (everyone, eq(H1, "lack_of_skills")),
    "obstacle_support": (everyone, eq(H1, "hard_to_get_support")),
    "obstacle_other": (everyone, eq(H1, "other")),
    "policy_tax": (everyone, flag("H2_policy_support__tax_support")),
    "policy_loans": (everyone, flag("H2_policy_support__low_interest_loans")),
    "policy_subsidies": (everyone, flag("H2_policy_support__special_fund_subsidies")),
    "digital_helps": (everyone, eq("H3_digital_helps", "yes")),
}
DOMAINS: dict[str, Predicate] = {"all": everyone, "manufacturing": MANUFACTURER}
BASELINE = pd.read_csv(BASELINE_CSV, dtype={"indicator_id": str, "domain": str})


@pytest.fixture(scope="module")
def sh01(tmp_path_factory, read_delivery) -> pd.DataFrame:
    out = tmp_path_factory.mktemp("baseline")
    write_deliveries(GeneratorConfig(zones=1, waves=(2020,)), out)
    return read_delivery(out / "SH-01" / "2020", 2020)


def test_every_baseline_indicator_has_a_definition():
    assert set(BASELINE["indicator_id"]) == set(DEFINITIONS)


@pytest.mark.parametrize(
    "row", BASELINE.to_dict("records"), ids=lambda r: f"{r['indicator_id']}-{r['domain']}"
)
def test_baseline_count(sh01, row):
    base_of, yes_of = DEFINITIONS[row["indicator_id"]]
    base = DOMAINS[row["domain"]](sh01) & base_of(sh01)
    assert int(base.sum()) == row["n_base"]
    assert int((base & yes_of(sh01)).sum()) == row["n_yes"], row["definition"]


def test_respondents_and_files(sh01):
    assert len(sh01) == 99
    assert sh01["A1_uscc"].is_unique and sh01["A3_zone"].eq("SH-01").all()


def test_skip_rules_hold(sh01):
    no_marketing = sh01["C3_online_marketing"].eq("no")
    assert (sh01.loc[no_marketing, C4] == "0").all()
    assert sh01.loc[~no_marketing, C4].ne("0").all()
    assert sh01.loc[no_marketing, "C5_new_marketing_models"].isna().all()
    for item, spend in (("B5_data_services", "B5a"), ("B6_ai_services", "B6a")):
        column = next(c for c in sh01.columns if c.startswith(spend))
        bought = sh01[item].eq("yes")
        assert sh01.loc[bought, column].eq("lt_10").all()
        assert sh01.loc[~bought, column].isna().all()
    d1 = [c for c in sh01.columns if c.startswith("D1_smart_mfg__")]
    assert sh01.loc[~MANUFACTURER(sh01), d1].isna().all().all()
    assert sh01.loc[MANUFACTURER(sh01), d1].notna().all().all()
    f2 = [c for c in sh01.columns if c.startswith("F2_internet_finance_channels__")]
    assert sh01.loc[sh01[F1].eq("0"), f2].isna().all().all()
    # everyone reporting internet financing names at least one channel
    assert sh01.loc[sh01[F1].ne("0"), f2].eq(True).any(axis=1).all()


def test_profile_is_plausible(sh01):
    sections = {o.code: o.extra["divisions"] for o in CB.item("A5_industry_section").options}
    for code, ranges in sections.items():
        divisions = sh01.loc[sh01["A5_industry_section"].eq(code), "A6_industry_division"]
        inside = np.logical_or.reduce([divisions.between(a, b) for a, b in ranges])
        assert np.all(inside), code
    founded = sh01["A7_founded_year"]
    assert founded.between(1949, 2020).all()
    assert (founded >= 2010).mean() > 0.6, "the baseline zone's enterprises are very young"
    for column in ("A8_employees", "A9_revenue", "A10_assets"):
        assert (sh01[column] >= 0).all()
    assert (sh01["A8_employees"] >= 300).sum() >= 1, "a few medium or large enterprises"


def test_larger_enterprises_buy_online_more(sh01):
    gt50 = eq(C1, "51_75", "76_100")(sh01)
    for size in ("A9_revenue", "A10_assets", "A8_employees"):
        upper = sh01[size] > sh01[size].median()
        assert gt50[upper].mean() > gt50[~upper].mean() + 0.1, size


def test_manufacturers_adopt_rd_tools_more(sh01):
    for column in [c for c in sh01.columns if c.startswith("E1_rd_digital__")]:
        assert sh01.loc[MANUFACTURER(sh01), column].eq(True).mean() > sh01[column].eq(True).mean()
