"""The dbt project against a synthetic raw DB: build, counts, suppression, privacy, panel."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import math
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
import yaml

from orchestration.codebook import Codebook, load_codebook
from orchestration.codebook import seeds as codebook_seeds
from orchestration.publish import write_marts
from orchestration.settings import DBT_PROJECT_DIR, PROJECT_ROOT
from tests.support.dbt_harness import TEST_PSEUDONYM_KEY, DbtBuild
from tests.support.fixture_raw import DUPLICATED, MISSING_REGISTER
from tests.support.timeouts import HANG_GUARD

pytestmark = pytest.mark.slow

CB = load_codebook()
DEFS = yaml.safe_load((DBT_PROJECT_DIR / "definitions" / "indicators.yaml").read_text("utf-8"))


def _query(build: DbtBuild, sql: str) -> pd.DataFrame:
    con = duckdb.connect(str(build.db), read_only=True)
    try:
        return con.sql(sql).df()
    finally:
        con.close()


@pytest.fixture(scope="module")
def built(fixture_warehouse: DbtBuild) -> DbtBuild:
    assert fixture_warehouse.returncode == 0, fixture_warehouse.output[-4000:]
    return fixture_warehouse


def test_dbt_build_passes_every_test_and_unit_test(built: DbtBuild):
    results = built.run_results["results"]
    failing = [r["unique_id"] for r in results if r["status"] not in {"success", "pass"}]
    assert not failing
    ids = [r["unique_id"] for r in results]
    assert sum(i.startswith("unit_test.") for i in ids) >= 2
    assert sum(i.startswith("test.") for i in ids) >= 50


def test_column_rules_name_each_broken_rule_and_column(built: DbtBuild, tmp_path: Path):
    """The folded per-column test (tests/generic/column_rules.sql), as dbt compiled it,
    passes on the built mart and returns one row per broken rule and column, counted."""
    [compiled] = built.target.glob("compiled/**/column_rules_fct_indicator_estimates.sql")
    sql = compiled.read_text(encoding="utf-8")
    broken = tmp_path / built.db.name  # the compiled SQL names the catalog by the file
    broken.write_bytes(built.db.read_bytes())
    with duckdb.connect(str(broken)) as con:
        assert con.sql(sql).fetchall() == []
        keys = con.sql(
            "select wave_id, zone_id, domain, indicator_id from marts.fct_indicator_estimates "
            "order by all limit 3"
        ).fetchall()
        where = "wave_id = ? and zone_id = ? and domain = ? and indicator_id = ?"
        for change, key in [
            ("n_base = null", keys[0]),
            ("estimate = 1.5, std_error = -0.1", keys[1]),
            ("std_error = -0.2", keys[2]),
        ]:
            con.execute(f"update marts.fct_indicator_estimates set {change} where {where}", key)
        found = con.sql(sql).fetchall()
    assert sorted(found) == [
        ("between", "estimate", 1),
        ("not_negative", "std_error", 2),
        ("not_null", "n_base", 1),
    ]


# --------------------------------------------------------------------------- independent tally


def _loaded_responses(build: DbtBuild, zone: str, wave: int) -> pd.DataFrame:
    return _query(
        build,
        f"""
        select r.* from raw.responses r
        join raw.deliveries d using (delivery_id)
        where d.status = 'loaded' and r.zone_id = '{zone}' and r.wave_id = {wave}
        -- one questionnaire per enterprise and wave: the latest loaded, then the
        -- later delivery, file and row (the fixture holds one duplicate)
        qualify row_number() over (
            partition by r.A1_uscc
            order by r.loaded_at desc, r.delivery_id desc, r.source_file desc, r.source_row desc
        ) = 1
        """,
    )


def _derived(frame: pd.DataFrame, cb: Codebook) -> dict[str, pd.Series]:
    """The pseudo-items, recomputed from raw columns and the definition file."""
    thresholds = DEFS["report_thresholds"]
    emp = thresholds["X_employees_lt50"]
    band_max = {o.code: o.extra.get("max") for o in cb.item(emp["band_item"]).options}
    band_upper = frame[emp["band_item"]].map(band_max).astype("Float64")
    employees = frame[emp["item"]].astype("Float64")
    lt50 = (employees < emp["lt"]).fillna(band_upper < emp["lt"]).fillna(False)
    rev = thresholds["X_revenue_lt20m"]
    revenue_lt = (frame[rev["item"]].astype("Float64") < rev["lt"]).fillna(False)
    group = pd.Series("", index=frame.index)
    for spec in reversed(DEFS["industry_groups"]):  # first match wins: assign in reverse
        hit = pd.Series(not spec.get("sections") and not spec.get("divisions"), index=frame.index)
        hit |= frame["A5_industry_section"].isin(spec.get("sections", []))
        for lo, hi in spec.get("divisions", []):
            hit |= frame["A6_industry_division"].between(lo, hi)
        group = group.mask(hit, spec["group"])
    return {
        "X_employees_lt50": lt50.map({True: "yes", False: "no"}),
        "X_revenue_lt20m": revenue_lt.map({True: "yes", False: "no"}),
        "X_industry_group": group,
    }


def _has(frame: pd.DataFrame, derived: dict[str, pd.Series], item: str, code: str) -> pd.Series:
    if item in derived:
        return derived[item] == code
    it = CB.item(item)
    if it.is_multi:
        return frame[it.option_column(code)].fillna(False).astype(bool)
    hit = frame[item] == code
    for source in CB.items:  # v2022 answers that the codebook maps onto (item, code)
        cw = source.crosswalk
        if cw is not None and cw.target == item and source.id in frame:
            mapping = {o.code: cw.map_code(o.code) for o in source.options}
            hit |= frame[source.id].map(mapping) == code
    return hit.fillna(False).astype(bool)


def _rule(frame, derived, spec: dict) -> pd.Series:
    out = pd.Series(False, index=frame.index)
    for item, codes in spec.items():
        for code in codes:
            out |= _has(frame, derived, item, str(code))
    return out


def _available(item: str, code: str, version: str) -> bool:
    if item.startswith("X_"):
        return True
    it = CB.item(item)
    if it.in_version(version) and code in {o.code for o in it.options_for(version)}:
        return True
    return any(
        s.crosswalk is not None
        and s.crosswalk.target == item
        and any(s.crosswalk.map_code(o.code) == code for o in s.options_for(version))
        for s in CB.items_for(version)
    )


@pytest.mark.parametrize(("zone", "wave"), [("SH-01", 2020), ("SH-01", 2022), ("Z08-01", 2021)])
def test_mart_counts_equal_an_independent_tally(built: DbtBuild, zone: str, wave: int):
    frame = _loaded_responses(built, zone, wave)
    version = CB.version_for_wave(wave)
    derived = _derived(frame, CB)
    populations = DEFS["populations"]
    expected = {}
    for spec in DEFS["indicators"]:
        base_spec = spec.get("base", "all")
        base_rule = populations.get(base_spec) if isinstance(base_spec, str) else base_spec
        terms = [(i, str(c)) for part in (spec["num"], base_rule or {}) for i, cs in part.items()
                 for c in cs]  # fmt: skip
        if not all(_available(i, c, version) for i, c in terms):
            continue
        base = _rule(frame, derived, base_rule) if base_rule else pd.Series(True, frame.index)
        num = _rule(frame, derived, spec["num"])
        if spec.get("match") == "none":
            num = ~num
        expected[spec["id"]] = (int(base.sum()), int((base & num).sum()))
    mart = _query(
        built,
        f"""select indicator_id, n_base, n_yes from marts.fct_indicator_estimates
        where zone_id = '{zone}' and wave_id = {wave} and domain = 'all'""",
    )
    got = {r.indicator_id: (int(r.n_base), int(r.n_yes)) for r in mart.itertuples()}
    # a base with no respondent yields no mart row (nothing to estimate)
    expected = {k: v for k, v in expected.items() if v[0] > 0}
    assert got == expected
    assert len(got) > 90
    assert ("tech_erp" in got) == (version != "v2020")
    assert ("cloud_plan" in got) == (version == "v2020")


def test_superseded_delivery_never_reaches_the_marts(built: DbtBuild):
    raw = _query(
        built, "select count(*) as n from raw.responses where zone_id='SH-01' and wave_id=2020"
    )
    mart = _query(
        built,
        """select n_base from marts.fct_indicator_estimates where zone_id='SH-01'
        and wave_id=2020 and domain='all' and indicator_id='mode_electronic'""",
    )
    assert raw.n[0] > mart.n_base[0] == 100


# --------------------------------------------------------------------------- suppression


def test_suppression_flags_follow_the_rule(built: DbtBuild):
    est = _query(built, "select n_base, n_yes, suppressed from marts.fct_indicator_estimates")
    rule = (est.n_base < 5) | (est.n_yes < 3) | (est.n_base - est.n_yes < 3)
    assert (est.suppressed == rule).all()
    assert est.suppressed.any() and not est.suppressed.all()


def test_published_counts_are_bigint(built: DbtBuild):
    """HUGEINT (DuckDB's sum of integers) reaches pandas as float64 and Parquet as DOUBLE."""
    wide = _query(
        built,
        "select table_name, column_name, data_type from information_schema.columns "
        "where table_schema like '%marts' "
        "and (data_type = 'HUGEINT' or data_type like 'DECIMAL%')",
    )
    assert wide.empty, wide.to_string()
    counts = _query(
        built,
        "select column_name, data_type from information_schema.columns "
        "where table_schema like '%marts' and table_name = 'fct_indicator_estimates' "
        "and column_name in ('n_base', 'n_yes', 'weighted_n_base', 'n_item_missing')",
    )
    assert set(counts["data_type"]) == {"BIGINT"} and len(counts) == 4


def test_no_effective_n_from_rounding_noise(built: DbtBuild):
    """A design variance of 0 (a weighting variable) is 0, not noise that differs by run."""
    worst = _query(built, "select max(n_effective) as n from marts.fct_indicator_estimates")
    assert worst["n"][0] < 1e12


def test_wilson_interval_matches_the_formula(built: DbtBuild):
    est = _query(built, "select n_base, n_yes, ci_low, ci_high from marts.fct_indicator_estimates")
    z = 1.96
    n, p = est.n_base.to_numpy(float), est.n_yes.to_numpy(float) / est.n_base.to_numpy(float)
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    assert np.allclose(est.ci_low, np.clip(centre - half, 0, 1), atol=1e-6)
    assert np.allclose(est.ci_high, np.clip(centre + half, 0, 1), atol=1e-6)


def test_weights_sum_to_the_register_population(built: DbtBuild):
    sums = _query(
        built,
        """select zone_id, wave_id, sum(weight) as w from marts.fct_enterprise_wave
        group by all order by all""",
    )
    register = _query(
        built,
        "select zone_id, wave_id, sum(n_enterprises) as n from raw.zone_register group by all",
    )
    reg = {(r.zone_id, r.wave_id): r.n for r in register.itertuples()}
    for row in sums.itertuples():
        # the zone-wave without a register falls back to the zone's previous register
        fallback = reg.get((row.zone_id, row.wave_id), reg.get((row.zone_id, row.wave_id - 1)))
        assert math.isclose(row.w, fallback, rel_tol=1e-9)


def test_a_duplicate_questionnaire_is_counted_once_and_reported(built: DbtBuild):
    zone, wave = DUPLICATED
    raw = _query(
        built,
        f"""select source_file, source_row, B1_large_data_online from raw.responses
        where zone_id = '{zone}' and wave_id = {wave} and delivery_id = '{zone}-{wave}-a'
        and A1_uscc in (select A1_uscc from raw.responses where zone_id = '{zone}'
            and wave_id = {wave} group by all having count(*) > 1)
        order by source_row""",
    )
    assert len(raw) == 2 and raw.B1_large_data_online.nunique() == 2
    dropped = _query(built, "select * from marts.fct_duplicate_questionnaires")
    assert len(dropped) == 1
    row = dropped.iloc[0]
    assert (row.zone_id, row.wave_id) == DUPLICATED
    assert (row.kept_source_file, row.kept_source_row) == (raw.source_file[1], raw.source_row[1])
    assert (row.dropped_source_file, row.dropped_source_row) == (
        raw.source_file[0],
        raw.source_row[0],
    )
    enterprises = _query(
        built,
        f"""select count(*) as n, count(distinct enterprise_key) as k, sum(weight) as w
        from marts.fct_enterprise_wave where zone_id = '{zone}' and wave_id = {wave}""",
    )
    assert enterprises.n[0] == enterprises.k[0] == 100
    base = _query(
        built,
        f"""select n_base from marts.fct_indicator_estimates where zone_id = '{zone}'
        and wave_id = {wave} and domain = 'all' and indicator_id = 'mode_electronic'""",
    )
    assert base.n_base[0] == 100


def test_weighting_cells_cover_register_and_respondents(built: DbtBuild):
    cells = _query(
        built,
        """select wave_id, zone_id, register_wave_id, register_is_older,
        sum(n_population) as pop, sum(n_respondents) as n, sum(weight * n_respondents) as w,
        bool_and(is_weighted) as weighted, min(weight) as min_w,
        min(n_respondents) as min_n
        from marts.fct_weighting_cells group by all order by all""",
    )
    enterprises = _query(
        built,
        """select wave_id, zone_id, count(*) as n, any_value(register_wave_id) as reg
        from marts.fct_enterprise_wave group by all""",
    )
    n_by = {(r.wave_id, r.zone_id): (r.n, r.reg) for r in enterprises.itertuples()}
    for row in cells.itertuples():
        assert n_by[(row.wave_id, row.zone_id)] == (row.n, row.register_wave_id)
        assert row.weighted and row.min_w > 0 and row.min_n >= 10
        assert math.isclose(row.w, row.pop, rel_tol=1e-6)
        # the zone-wave without its own register is weighted by the previous one
        older = (row.zone_id, row.wave_id) == MISSING_REGISTER
        assert row.register_is_older == older
        assert row.register_wave_id == row.wave_id - (1 if older else 0)


# --------------------------------------------------------------------------- privacy and panel


def test_no_restricted_column_or_value_in_any_mart(built: DbtBuild):
    restricted = {c.lower() for it in CB.items if it.restricted for c in it.columns("v2020")}
    cols = _query(
        built,
        """select table_name, column_name, data_type from information_schema.columns
        where table_schema = 'marts'""",
    )
    assert len(cols) > 50
    assert not restricted & set(cols.column_name.str.lower())
    con = duckdb.connect(str(built.db), read_only=True)
    try:
        for row in cols[cols.data_type == "VARCHAR"].itertuples():
            leaked = con.execute(
                f"""select count(*) from marts."{row.table_name}" m
                where m."{row.column_name}" in (
                    select A1_uscc from raw.responses union all select A2_name from raw.responses
                    union all select A13_respondent_contact from raw.responses)"""
            ).fetchone()[0]
            assert leaked == 0, f"{row.table_name}.{row.column_name}"
    finally:
        con.close()


def _hmac_key(uscc: str) -> str:
    """enterprise_key as Python computes it: HMAC-SHA256(key, upper(trim(USCC)))."""
    message = uscc.strip().upper().encode()
    return hmac.new(bytes.fromhex(TEST_PSEUDONYM_KEY), message, hashlib.sha256).hexdigest()


def test_enterprise_key_is_hmac_sha256_of_the_uscc(built: DbtBuild):
    staged = _query(
        built,
        """select s.enterprise_key, r.A1_uscc as uscc from staging.stg_survey__responses s
        join raw.responses r using (delivery_id, source_file, source_row)""",
    )
    assert len(staged) > 100
    assert (staged.enterprise_key == staged.uscc.map(_hmac_key)).all()


def test_no_enterprise_key_is_the_old_public_digest(built: DbtBuild):
    """The scheme before HMAC, sha256(public dev key || USCC), is matched by no row."""
    old_key = "smesurvey-development-key-not-secret"
    uscc = _query(built, "select distinct A1_uscc as uscc from raw.responses").uscc
    old = {hashlib.sha256((old_key + u.strip().upper()).encode()).hexdigest() for u in uscc}
    mart = _query(built, "select enterprise_key from marts.fct_enterprise_wave")
    assert len(mart) > 100
    assert not old & set(mart.enterprise_key)


def test_enterprise_key_is_a_stable_keyed_hash(built: DbtBuild):
    raw = _query(
        built,
        """select r.A1_uscc as uscc, r.wave_id, r.zone_id from raw.responses r
        join raw.deliveries d using (delivery_id) where d.status = 'loaded'""",
    )
    raw["enterprise_key"] = [
        _hmac_key(u)
        for u in raw.uscc  # a few hundred test rows: hashing needs Python here
    ]
    mart = _query(built, "select enterprise_key, wave_id, zone_id from marts.fct_enterprise_wave")
    merged = raw.merge(
        mart, on=["enterprise_key", "wave_id", "zone_id"], how="outer", indicator=True
    )
    assert (merged["_merge"] == "both").all()
    panel = raw.groupby("uscc").wave_id.nunique()
    assert (panel > 1).sum() > 50, "the fixture should hold panel enterprises"
    assert raw.groupby("uscc").enterprise_key.nunique().max() == 1
    assert not set(mart.enterprise_key) & set(raw.uscc)
    links = _query(built, "select count(*) as n from intermediate.int_enterprise_panel_linked")
    consecutive = raw.drop_duplicates(["uscc", "wave_id"]).assign(nxt=lambda f: f.wave_id + 1)
    expected = consecutive.merge(
        consecutive[["uscc", "wave_id"]], left_on=["uscc", "nxt"], right_on=["uscc", "wave_id"]
    )
    assert links.n[0] == len(expected) > 0


def test_transitions_count_every_panel_link(built: DbtBuild):
    out = _query(
        built,
        """select measure, sum(n_enterprises) as n from marts.fct_maturity_transitions
        where zone_id = 'ALL' group by measure""",
    )
    links = _query(built, "select count(*) as n from intermediate.int_enterprise_panel_linked")
    assert set(out.n) == {links.n[0]}


def test_dim_zone_distances_and_unreferenced_zone(built: DbtBuild):
    zones = _query(built, "select * from marts.dim_zone").set_index("zone_id")
    assert not zones.loc["Z08-01", "has_reference"] and pd.isna(zones.loc["Z08-01", "distance_km"])
    ref = pd.read_csv(DBT_PROJECT_DIR / "seeds" / "ref_zones.csv").set_index("zone_id")
    hubs = pd.read_csv(DBT_PROJECT_DIR / "seeds" / "ref_tech_hubs.csv")
    lat1, lon1 = (
        np.radians(ref.latitude.to_numpy())[:, None],
        np.radians(ref.longitude.to_numpy())[:, None],
    )
    lat2, lon2 = np.radians(hubs.latitude.to_numpy()), np.radians(hubs.longitude.to_numpy())
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    nearest = (2 * 6371.0 * np.arcsin(np.sqrt(a))).min(axis=1)
    got = zones.loc[ref.index, "distance_km"].to_numpy(float)
    assert np.allclose(got, nearest, atol=0.06)
    groups = np.where(nearest > 500, "far", "near")
    assert (zones.loc[ref.index, "hub_distance_group"].to_numpy() == groups).all()
    assert {"near", "far"} <= set(groups)


# --------------------------------------------------------------------------- seeds, vars, guide


def test_codebook_seeds_are_up_to_date():
    assert codebook_seeds.stale() == [], "run: python -m orchestration.codebook.seeds"


def test_catalog_keeps_every_baseline_indicator():
    baseline = pd.read_csv(DBT_PROJECT_DIR / "seeds" / "ref_baseline_2020.csv")
    catalog = pd.read_csv(DBT_PROJECT_DIR / "seeds" / "indicators.csv")
    assert set(baseline.indicator_id) <= set(catalog.indicator_id)
    first = catalog.set_index("indicator_id").first_wave
    assert (first[list(set(baseline.indicator_id))] == 2020).all()


GUIDE = PROJECT_ROOT / "docs" / "analyst-guide.md"


def _guide_queries() -> list[str]:
    return re.findall(r"```sql\n(.*?)```", GUIDE.read_text("utf-8"), flags=re.S)


def test_analyst_guide_states_the_level_cut_points(built: DbtBuild):
    levels = _query(built, "select * from marts.dim_maturity_level order by measure, level_rank")
    assert list(levels["level"][:4]) == ["very_low", "low", "high", "very_high"]
    guide = GUIDE.read_text("utf-8")
    for row in levels.itertuples():
        assert f"{row.level} {row.min_score:g}-{row.max_score:g}" in guide, row


def test_analyst_guide_has_ten_queries():
    assert len(_guide_queries()) >= 10


@pytest.fixture(scope="module")
def published_home(built: DbtBuild, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture marts published as a release of a home, as analysts get them."""
    root = tmp_path_factory.mktemp("published") / "home"
    release = root / "warehouse" / "releases" / "000001"
    write_marts(built.db, release)
    (root / "warehouse" / "current").symlink_to(Path("releases") / "000001")
    return root


def smesurvey_sql(home: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "orchestration.cli", "--home", str(home), "sql", *args],
        input=stdin or "",
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
    )


@pytest.mark.parametrize("index", range(12))
def test_analyst_guide_query_runs_as_written_in_smesurvey_sql(published_home: Path, index: int):
    """Through the project's DuckDB shell (duckdb-cli) on a published release."""
    query = _guide_queries()[index]
    done = smesurvey_sql(published_home, "--format", "csv", "-c", query)
    assert done.returncode == 0, f"{query}\n{done.stderr}"
    header, *rows = list(csv.reader(io.StringIO(done.stdout)))
    assert header and rows, query


def test_smesurvey_sql_reads_files_and_stdin_in_every_format(
    published_home: Path, tmp_path: Path
) -> None:
    script = tmp_path / "waves.sql"
    script.write_text("select wave_id from dim_wave order by wave_id;\n", encoding="utf-8")
    waves = smesurvey_sql(published_home, "--format", "json", str(script))
    assert waves.returncode == 0, waves.stderr
    expected = _query_published(published_home, "select wave_id from marts.dim_wave order by 1")
    assert [row["wave_id"] for row in json.loads(waves.stdout)] == expected
    piped = smesurvey_sql(published_home, "--format", "csv", stdin=script.read_text())
    assert piped.stdout.split() == ["wave_id", *map(str, expected)]
    table = smesurvey_sql(published_home, "-c", "select count(*) as n from dim_wave")
    assert table.returncode == 0 and "│" in table.stdout  # the shell's box table
    broken = smesurvey_sql(published_home, "-c", "select no_such_column from dim_wave")
    assert broken.returncode == 1 and "no_such_column" in broken.stderr


def _query_published(home: Path, sql: str) -> list:
    db = home / "warehouse" / "current" / "analytics.duckdb"
    with duckdb.connect(str(db), read_only=True) as con:
        return [row[0] for row in con.execute(sql).fetchall()]


def test_every_mart_column_is_documented(built: DbtBuild):
    manifest = json.loads((built.target / "manifest.json").read_text())
    documented = {
        node["name"]: {c.lower() for c, spec in node["columns"].items() if spec["description"]}
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["schema"] == "marts"
    }
    cols = _query(
        built,
        "select table_name, column_name from information_schema.columns where table_schema='marts'",
    )
    missing = [
        f"{r.table_name}.{r.column_name}"
        for r in cols.itertuples()
        if r.column_name.lower() not in documented.get(r.table_name, set())
    ]
    assert not missing
