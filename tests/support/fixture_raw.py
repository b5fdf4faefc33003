"""A small synthetic build DB (schema `raw` per the contract) for developing dbt.

Two zones x three waves (2020, 2021 on v2020; 2022 on v2022), a pool of
enterprises per zone sampled each wave (so many appear in several waves: the
panel), skip and forcing rules of the codebook respected, one superseded
delivery whose rows must never reach the marts, and one zone-wave without a
register (weights fall back to the previous wave's register), and one enterprise
that answered twice in a zone-wave (a duplicate the quality gate would have
rejected: the warehouse keeps the later-keyed questionnaire, see DUPLICATED).

Dev use: `.venv/bin/python -m tests.support.fixture_raw /tmp/build.duckdb`, then
`SMESURVEY_BUILD_DB=/tmp/build.duckdb SMESURVEY_PSEUDONYM_KEY=... .venv/bin/dbt build
--project-dir dbt_project --profiles-dir dbt_project`.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from orchestration import uscc
from orchestration.codebook import Codebook, Condition, Item, load_codebook
from orchestration.ingest.load import ensure_raw_schema
from orchestration.ingest.schema import response_columns

ZONES = {"SH-01": 310112, "Z08-01": 110105}  # Z08-01 has no row in ref_zones.csv
WAVES = (2020, 2021, 2022)
POOL_SIZE = 150
PER_WAVE = 100
MISSING_REGISTER = ("Z08-01", 2021)
SUPERSEDED = ("SH-01", 2020)
# this zone-wave's first questionnaire is keyed twice: the copy comes later in the
# same file with another B1 answer, and is the one kept (latest_questionnaire_first)
DUPLICATED = ("SH-01", 2022)
PANDAS_TYPES = {"BIGINT": "Int64", "DOUBLE": "Float64", "BOOLEAN": "boolean"}
PROFILE_ITEMS = frozenset(
    {"A1_uscc", "A2_name", "A3_zone", "A4_ownership", "A5_industry_section"}
    | {"A6_industry_division", "A7_founded_year", "A8_employees", "A8b_employees_band"}
    | {"A9_revenue", "A10_assets", "A12_mode", "A13_respondent_contact"}
)
SECTION_WEIGHTS = {"C": 0.3, "I": 0.25, "F": 0.12, "M": 0.1, "L": 0.08, "E": 0.05, "other": 0.1}


def column_types(cb: Codebook) -> dict[str, str]:
    """raw.responses columns and DuckDB types, as the ingestion defines them."""
    return dict(response_columns(cb))


@dataclass(frozen=True)
class Pool:
    """One zone's enterprises and their stable profile."""

    uscc: np.ndarray
    section: np.ndarray
    division: np.ndarray
    ownership: np.ndarray
    founded: np.ndarray
    employees: np.ndarray
    revenue: np.ndarray
    assets: np.ndarray


def make_pool(cb: Codebook, rng: np.random.Generator, division_code: int) -> Pool:
    a5 = cb.item("A5_industry_section")
    codes = np.array([o.code for o in a5.options])
    weights = np.array([SECTION_WEIGHTS.get(c, 0.0) for c in codes])
    section = rng.choice(codes, size=POOL_SIZE, p=weights / weights.sum())
    division = np.zeros(POOL_SIZE, dtype=np.int64)
    for option in a5.options:  # per option, not per row: a handful of iterations
        mask = section == option.code
        ranges = option.extra["divisions"]
        lo, hi = ranges[0]
        division[mask] = rng.integers(lo, hi + 1, size=mask.sum())
    employees = np.round(rng.lognormal(3.2, 1.2, POOL_SIZE)).astype(np.int64)
    revenue = np.round(employees * rng.lognormal(3.3, 0.8, POOL_SIZE), 1)
    owners = np.array([o.code for o in cb.item("A4_ownership").options])
    return Pool(
        uscc=uscc.generate(rng, POOL_SIZE, np.full(POOL_SIZE, division_code)),
        section=section,
        division=division,
        ownership=rng.choice(owners, size=POOL_SIZE, p=[0.8, 0.04, 0.04, 0.06, 0.04, 0.02]),
        founded=rng.integers(1990, 2019, size=POOL_SIZE),
        employees=employees,
        revenue=revenue,
        assets=np.round(revenue * rng.uniform(0.5, 2.0, POOL_SIZE), 1),
    )


def _condition(cond: Condition, values: dict[str, np.ndarray]) -> np.ndarray:
    held = np.isin(values[cond.item].astype(str), list(cond.codes))
    return ~held if cond.negate else held


def _employee_band(cb: Codebook, employees: np.ndarray) -> np.ndarray:
    options = cb.item("A8b_employees_band").options
    bounds = np.array([o.extra.get("max", np.iinfo(np.int64).max) for o in options])
    codes = np.array([o.code for o in options])
    return codes[np.searchsorted(bounds, employees)]


def answers(
    cb: Codebook, rng: np.random.Generator, pool: Pool, zone: str, wave: int, n: int = PER_WAVE
) -> pd.DataFrame:
    """One zone-wave's `n` questionnaires (at most POOL_SIZE), typed like raw.responses."""
    version = cb.version_for_wave(wave)
    pick = np.sort(rng.choice(POOL_SIZE, size=n, replace=False))
    mode = rng.choice(["electronic", "paper"], size=n, p=[0.45, 0.55])
    employees = pool.employees[pick]
    paper_band = (mode == "paper") & cb.item("A8b_employees_band").in_version(version)
    values: dict[str, np.ndarray] = {
        "A1_uscc": pool.uscc[pick],
        "A2_name": np.char.add("企业", pick.astype(str)),
        "A3_zone": np.full(n, zone),
        "A4_ownership": pool.ownership[pick],
        "A5_industry_section": pool.section[pick],
        "A6_industry_division": pool.division[pick],
        "A7_founded_year": pool.founded[pick],
        "A8_employees": np.where(paper_band, None, employees).astype(object),
        "A9_revenue": pool.revenue[pick],
        "A10_assets": pool.assets[pick],
        "A12_mode": mode,
        "A13_respondent_contact": np.full(n, "张三 13800000000"),
    }
    if cb.item("A8b_employees_band").in_version(version):
        values["A8b_employees_band"] = np.where(paper_band, _employee_band(cb, employees), None)
    columns: dict[str, np.ndarray] = {}
    for item in cb.items_for(version):
        if item.id not in PROFILE_ITEMS:
            values.update(_answer_item(cb, rng, item, version, values, n, columns))
    for key, arr in values.items():
        if not cb.item(key).is_multi:
            columns[key] = arr
    frame = pd.DataFrame(columns)
    frame.insert(0, "mode", mode)
    return frame


def _answer_item(
    cb: Codebook,
    rng: np.random.Generator,
    item: Item,
    version: str,
    values: dict[str, np.ndarray],
    n: int,
    columns: dict[str, np.ndarray],
) -> dict[str, np.ndarray]:
    asked = np.ones(n, dtype=bool) if item.asked_if is None else _condition(item.asked_if, values)
    if item.is_multi:
        for option in item.options_for(version):
            chosen = rng.random(n) < rng.uniform(0.1, 0.6)
            columns[item.option_column(option.code)] = np.where(asked, chosen, None)
        return {item.id: np.where(asked, "answered", None)}
    codes = np.array([o.code for o in item.options_for(version)])
    probs = rng.dirichlet(np.full(codes.size, 2.0))
    answer = rng.choice(codes, size=n, p=probs).astype(object)
    if item.forced_if is not None:
        answer = np.where(_condition(item.forced_if, values), item.forced_value, answer)
    return {item.id: np.where(asked, answer, None)}


def register(cb: Codebook, rng: np.random.Generator, zone: str, wave: int) -> pd.DataFrame:
    sections = [o.code for o in cb.item("A5_industry_section").options]
    grid = pd.MultiIndex.from_product([sections, cb.size_class_order]).to_frame(index=False)
    grid.columns = ["industry_section", "size_class"]
    scale = np.array([60, 30, 8, 2])[np.tile(np.arange(4), len(sections))]
    grid["n_enterprises"] = rng.poisson(scale * rng.uniform(0.5, 3.0, len(grid)))
    grid.insert(0, "wave_id", wave)
    grid.insert(0, "zone_id", zone)
    return grid[grid["n_enterprises"] > 0]


def _with_provenance(
    frame: pd.DataFrame, zone: str, wave: int, version: str, delivery_id: str, loaded: datetime
) -> pd.DataFrame:
    out = frame.copy()
    out["delivery_id"] = delivery_id
    out["zone_id"] = zone
    out["wave_id"] = wave
    out["instrument_version"] = version
    out["source_file"] = np.where(
        out["mode"] == "electronic", "platform_export.csv", "paper_entries.xlsx"
    )
    out["source_row"] = out.groupby("source_file").cumcount() + 1
    out["loaded_at"] = loaded
    return out


def _with_duplicate(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame plus a second questionnaire of its first enterprise, keyed later."""
    first = frame.iloc[[0]].copy()
    same_file = frame["source_file"] == first["source_file"].iloc[0]
    first["source_row"] = frame.loc[same_file, "source_row"].max() + 1
    flipped = {"yes": "no", "no": "yes"}
    first["B1_large_data_online"] = first["B1_large_data_online"].map(flipped)
    return pd.concat([frame, first], ignore_index=True)


def build(
    path: Path,
    seed: int = 20200701,
    zones: dict[str, int] | None = None,
    sample_sizes: dict[str, int] | None = None,
    missing_registers: frozenset[tuple[str, int]] = frozenset({MISSING_REGISTER}),
) -> Path:
    """Write the fixture build DB at `path` (replaced if present).

    The defaults are the shared fixture warehouse's (tests/support/warehouse.py);
    `zones` (zone -> admin division), `sample_sizes` (zone -> respondents per wave,
    default PER_WAVE) and `missing_registers` (zone-waves delivered without a register)
    let other test folders ask for a richer design with the same generator.
    """
    cb = load_codebook()
    zones = ZONES if zones is None else zones
    sample_sizes = sample_sizes or {}
    rng = np.random.default_rng(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    types = column_types(cb)
    responses, registers, deliveries = [], [], []
    for zone, division in zones.items():
        pool = make_pool(cb, rng, division)
        n = sample_sizes.get(zone, PER_WAVE)
        for wave in WAVES:
            version = cb.version_for_wave(wave)
            loaded = datetime(wave, 9, 1, 12, 0)
            delivery = f"{zone}-{wave}-a"
            frame = _with_provenance(answers(cb, rng, pool, zone, wave, n), zone, wave, version,
                                     delivery, loaded)  # fmt: skip
            if (zone, wave) == DUPLICATED:
                frame = _with_duplicate(frame)
            responses.append(frame)
            deliveries.append((delivery, zone, wave, version, "loaded", len(frame), loaded))
            if (zone, wave) not in missing_registers:
                reg = register(cb, rng, zone, wave)
                reg.insert(0, "delivery_id", delivery)
                registers.append(reg)
            if (zone, wave) == SUPERSEDED:
                old = f"{zone}-{wave}-old"
                stale = _with_provenance(answers(cb, rng, make_pool(cb, rng, division), zone,
                                                 wave).head(7), zone, wave, version, old,
                                         datetime(wave, 8, 1))  # fmt: skip
                responses.append(stale)
                deliveries.append((old, zone, wave, version, "superseded", 7, datetime(wave, 8, 1)))
    all_responses = pd.concat(responses, ignore_index=True).reindex(columns=list(types))
    for col, sql_type in types.items():
        if sql_type in PANDAS_TYPES:
            all_responses[col] = all_responses[col].astype(PANDAS_TYPES[sql_type])
    con = duckdb.connect(str(path))
    try:
        ensure_raw_schema(con, cb)  # the ingestion's own DDL: one definition of raw.*
        con.register("responses_df", all_responses)
        con.execute("insert into raw.responses by name select * from responses_df")
        con.register("register_df", pd.concat(registers, ignore_index=True))
        con.execute("insert into raw.zone_register by name select * from register_df")
        frame = pd.DataFrame(
            deliveries,
            columns=["delivery_id", "zone_id", "wave_id", "instrument_version", "status",
                     "rows_accepted", "received_at"],
        )  # fmt: skip
        frame["rows_read"] = frame["rows_accepted"]
        frame["rows_rejected"] = 0
        frame["landing_path"] = "landing/" + frame["zone_id"] + "/" + frame["wave_id"].astype(str)
        frame["files"] = json.dumps(["platform_export.csv", "paper_entries.xlsx"])
        con.register("deliveries_df", frame)
        con.execute("insert into raw.deliveries by name select * from deliveries_df")
    finally:
        con.close()
    return path


if __name__ == "__main__":
    print(build(Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/smesurvey-dev/build.duckdb")))
