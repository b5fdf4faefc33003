"""The two references measured on the same files as the pipeline.

Floor: DuckDB loading the platform CSVs into a table, all columns as text
(`CREATE TABLE AS SELECT * FROM read_csv(..., all_varchar=true)`); UTF-8 files are
read in place, GB18030 ones are first re-encoded to UTF-8 (timed apart). The paper
XLSX is left out: DuckDB cannot read it without the excel extension.

Pandas: what an analyst would write by hand, from the published catalog (the
indicator seeds) and the codebook: read CSV + XLSX with pandas, map labels to
codes, derive the three pseudo-items, then n_base / n_yes / estimate / Wilson
interval of every indicator by zone (domain `all`), one vectorised pass per
indicator. No tuning beyond that. It stays independent of the dbt models on
purpose (its estimates are compared with the release's, so it must not share their
SQL): the Wilson formula is written out again here; only its z is read from
dbt_project.yml (var wilson_z), the one place that sets it.
"""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from orchestration.bench.meter import Meter
from orchestration.codebook import Codebook, Item, load_codebook
from orchestration.dbt_vars import wilson_z
from orchestration.demo.writers import PAPER_FILE, PLATFORM_FILE
from orchestration.settings import DBT_PROJECT_DIR

SEEDS = DBT_PROJECT_DIR / "seeds"
TRANSCODE_CHUNK = 1 << 24
ESTIMATES_FILE = "pandas_estimates.parquet"


# ------------------------------------------------------------------------- floor


def _utf8(path: Path, scratch: Path) -> Path:
    """The file itself when UTF-8 (with BOM), else a UTF-8 copy of its GB18030 text."""
    with path.open("rb") as fh:
        if fh.read(len(codecs.BOM_UTF8)) == codecs.BOM_UTF8:
            return path
    target = scratch / f"{path.parent.parent.name}-{path.parent.name}-{path.name}"
    with (
        path.open("r", encoding="gb18030", newline="") as src,
        target.open("w", encoding="utf-8", newline="") as dst,
    ):
        while chunk := src.read(TRANSCODE_CHUNK):
            dst.write(chunk)
    return target


def _sql_list(paths: list[Path]) -> str:
    return "[" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths) + "]"


def floor(spec: dict[str, Any]) -> dict[str, Any]:
    """Load spec["deliveries"]/*/<wave>/platform_export.csv into a fresh DuckDB file."""
    import duckdb

    scratch = Path(spec["scratch"])
    scratch.mkdir(parents=True, exist_ok=True)
    files = sorted(Path(spec["deliveries"]).glob(f"*/{spec['wave']}/{PLATFORM_FILE}"))
    if not files:
        raise FileNotFoundError(f"{spec['deliveries']}: no {PLATFORM_FILE} of wave {spec['wave']}")
    db = scratch / "floor.duckdb"
    db.unlink(missing_ok=True)
    transcode, load = Meter(), Meter()
    with transcode.measure():
        readable = [_utf8(f, scratch) for f in files]
    with load.measure():
        con = duckdb.connect(str(db))
        con.execute(
            "create table platform as select * from "
            f"read_csv({_sql_list(readable)}, all_varchar = true, header = true)"
        )
        con.execute("checkpoint")
        rows = con.execute("select count(*) from platform").fetchone()[0]
        con.close()
    db.unlink(missing_ok=True)
    return {
        "stages": {"transcode": transcode.as_dict(), "floor": load.as_dict()},
        "rows": rows,
        "files": len(files),
        "transcoded": sum(1 for a, b in zip(files, readable, strict=True) if a != b),
    }


# ------------------------------------------------------------------------ pandas


def read_platform(path: Path, cb: Codebook, version: str) -> pd.DataFrame:
    with path.open("rb") as fh:
        bom = fh.read(len(codecs.BOM_UTF8)) == codecs.BOM_UTF8
    frame = pd.read_csv(
        path, dtype=str, keep_default_na=False, encoding="utf-8-sig" if bom else "gb18030"
    )
    frame = frame.rename(columns={h: c for c, h in cb.platform_headers(version).items()})
    flags = {cb.platform["multi_selected"]: True, cb.platform["multi_not_selected"]: False}
    for item in cb.delivered_items(version, "electronic"):
        if item.is_multi:
            for column in item.columns(version):
                frame[column] = frame[column].map(flags)
        elif item.is_choice:
            frame[item.id] = frame[item.id].map({o.zh: o.code for o in item.options_for(version)})
        elif item.is_numeric:
            frame[item.id] = pd.to_numeric(frame[item.id], errors="coerce")
    return frame


def read_paper(path: Path, cb: Codebook, version: str) -> pd.DataFrame:
    items = cb.delivered_items(version, "paper")
    as_text = {it.id: str for it in items if it.is_choice}
    frame = pd.read_excel(path, dtype=as_text)
    for item in items:
        if item.is_multi:
            for column in item.columns(version):
                frame[column] = frame[column].map({1: True, 0: False})
    return frame


def read_wave(deliveries: Path, wave: int, cb: Codebook) -> pd.DataFrame:
    version = cb.version_for_wave(wave)
    mode_item = next(it for it in cb.items if it.source == "delivery")
    frames = []
    for folder in sorted(deliveries.glob(f"*/{wave}")):
        for name, reader, mode in (
            (PLATFORM_FILE, read_platform, "electronic"),
            (PAPER_FILE, read_paper, "paper"),
        ):
            if (folder / name).is_file():
                frame = reader(folder / name, cb, version)
                frames.append(frame.assign(zone_id=folder.parent.name, **{mode_item.id: mode}))
    return pd.concat(frames, ignore_index=True)


def industry_items(cb: Codebook) -> tuple[str, str]:
    """The section item (its options list their divisions) and the division-code item.

    Found from the codebook rather than typed: the division item is the int item
    whose range ends at the last division any section option lists.
    """
    section = next(it for it in cb.items if any("divisions" in o.extra for o in it.options))
    last = max(b for o in section.options for _, b in o.extra.get("divisions", []))
    division = next(it for it in cb.items if it.type == "int" and it.range.get("max") == last)
    return section.id, division.id


def add_derived(data: pd.DataFrame, cb: Codebook) -> pd.DataFrame:
    """The pseudo-items the catalog's rules use: industry group and the two size thresholds."""
    groups = pd.read_csv(SEEDS / "industry_groups.csv", dtype={"industry_section": str})
    section_item, division_item = industry_items(cb)
    section = data[section_item]
    division = pd.to_numeric(data[division_item], errors="coerce")
    conditions, names = [], []
    for row in groups.sort_values("priority").itertuples():
        hit = pd.Series(False, index=data.index)
        if isinstance(row.industry_section, str):
            hit |= section == row.industry_section
        if not pd.isna(row.division_from):
            hit |= division.between(row.division_from, row.division_to)
        conditions.append(hit)
        names.append(row.industry_group)
    fallback = groups.loc[groups["industry_section"].isna() & groups["division_from"].isna()]
    derived = {"X_industry_group": np.select(conditions, names, fallback["industry_group"].iat[0])}
    for row in pd.read_csv(SEEDS / "report_thresholds.csv").itertuples():
        value = pd.to_numeric(data[row.item_id], errors="coerce")
        derived[row.derived_item] = np.where(
            value.isna(), None, np.where(value < row.upper_bound_exclusive, "yes", "no")
        )
    return data.assign(**derived)


def _term_hits(data: pd.DataFrame, terms: pd.DataFrame, items: dict[str, Item]) -> pd.Series:
    """Respondents matching any (item, code) pair of `terms`."""
    hit = pd.Series(False, index=data.index)
    for item_id, code in zip(terms["item_id"], terms["value_code"], strict=True):
        item = items.get(item_id)
        if item is not None and item.is_multi:
            column = item.option_column(code)
            if column in data:
                hit |= data[column].eq(True)
        elif item_id in data:
            hit |= data[item_id].eq(code)
    return hit


def wilson(n_yes: pd.Series, n_base: pd.Series, z: float | None = None) -> tuple[pd.Series, ...]:
    z = wilson_z() if z is None else z
    n = n_base.where(n_base > 0)
    p = n_yes / n
    denominator = 1 + z**2 / n
    centre = (p + z**2 / (2 * n)) / denominator
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denominator
    return p, centre - half, centre + half


def indicator_estimates(data: pd.DataFrame, wave: int, cb: Codebook) -> pd.DataFrame:
    indicators = pd.read_csv(SEEDS / "indicators.csv")
    terms = pd.read_csv(SEEDS / "indicator_terms.csv", dtype=str)
    applicable = indicators[
        (indicators["first_wave"] <= wave)
        & (indicators["last_wave"].isna() | (indicators["last_wave"] >= wave))
    ]
    items = {it.id: it for it in cb.items}
    parts = []
    for ind in applicable.itertuples():
        own = terms[terms["indicator_id"] == ind.indicator_id]
        if ind.base_match == "all":
            base = pd.Series(True, index=data.index)
        else:
            base = _term_hits(data, own[own["role"] == "base"], items)
        hit = _term_hits(data, own[own["role"] == "numerator"], items)
        yes = ~hit if ind.numerator_match == "none" else hit
        counts = (
            pd.DataFrame({"zone_id": data["zone_id"], "n_base": base, "n_yes": base & yes})
            .groupby("zone_id")
            .sum()
            .reset_index()
        )
        parts.append(counts.assign(indicator_id=ind.indicator_id))
    result = pd.concat(parts, ignore_index=True)
    result["estimate"], result["ci_low"], result["ci_high"] = wilson(
        result["n_yes"], result["n_base"]
    )
    return result.assign(wave_id=wave)


def pandas_estimates(spec: dict[str, Any]) -> dict[str, Any]:
    """The analyst's script on spec["deliveries"] (wave spec["wave"]), timed end to end."""
    cb = load_codebook()
    meter = Meter()
    with meter.measure():
        data = add_derived(read_wave(Path(spec["deliveries"]), spec["wave"], cb), cb)
        estimates = indicator_estimates(data, spec["wave"], cb)
    scratch = Path(spec["scratch"])
    scratch.mkdir(parents=True, exist_ok=True)
    estimates.to_parquet(scratch / ESTIMATES_FILE, index=False)
    return {
        "stages": {"pandas": meter.as_dict()},
        "respondents": len(data),
        "cells": len(estimates),
        "indicators": int(estimates["indicator_id"].nunique()),
    }
