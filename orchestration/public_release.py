"""The public product of a release: `<release>/public/`, aggregate tables only.

Built from the release's own internal DB (`analytics.duckdb`, written first by
orchestration/publish.py), so the public tables always match the internal ones,
whatever engine built the marts. Disclosure control: orchestration/disclosure.py.

    public/public_indicator_estimates.parquet|.csv   suppressed cells carry no figure
    public/public_maturity_transitions.parquet|.csv
    public/dim_zone|dim_wave|dim_indicator|dim_domain|dim_level .parquet|.csv
    public/codebook.json                              per table: keys, values, labels
    public/README.md

CSV files are UTF-8 with a BOM: Excel then opens the Chinese labels correctly.
"""

from __future__ import annotations

import codecs
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from dashboards.catalog import DOMAIN_ALL, MEASURES, UI
from orchestration.disclosure import (
    ESTIMATE_KEYS,
    ESTIMATE_VALUES,
    ROUND_TO,
    TRANSITION_KEYS,
    TRANSITION_VALUES,
    SuppressionCounts,
    Thresholds,
    disclosure_thresholds,
    public_indicator_estimates,
    public_maturity_transitions,
)
from orchestration.settings import DBT_PROJECT_DIR

PUBLIC_DIR_NAME = "public"
CODEBOOK_NAME = "codebook.json"
README_NAME = "README.md"
SEEDS = DBT_PROJECT_DIR / "seeds"

# label_en, label_zh, description of every column any public table has
COLUMNS: dict[str, tuple[str, str, str]] = {
    "wave_id": ("Wave", "调查年份", "Survey wave (year)."),
    "zone_id": ("Zone", "开发区", "Development zone id; ALL = all zones pooled."),
    "domain_type": ("Population type", "企业群体类型", "all, industry_group or size_class."),
    "domain": ("Population", "企业群体", "all, an industry group or a size class (dim_domain)."),
    "indicator_id": ("Indicator", "指标", "Indicator id (dim_indicator)."),
    "suppressed": (
        "Suppressed",
        "已隐藏",
        "True: the cell is withheld (too few enterprises, or withheld so that another "
        "withheld cell cannot be derived); every figure of the row is empty.",
    ),
    "n_base_rounded": (
        "Base (rounded)",
        "基数（取整）",
        f"Enterprises in the indicator's base, rounded to the nearest multiple of {ROUND_TO}.",
    ),
    "weighted_estimate": (
        "Estimate (weighted share)",
        "估计值（加权占比）",
        "Calibrated share of the base with the indicator (0-1): raked to the register, "
        "post-stratified where raking is not possible.",
    ),
    "weighted_ci_low": ("95% interval, lower", "95%置信区间下限", "Wilson interval, lower bound."),
    "weighted_ci_high": ("95% interval, upper", "95%置信区间上限", "Wilson interval, upper bound."),
    "std_error": ("Standard error", "标准误", "Design-based (linearized) standard error."),
    "cv": ("Coefficient of variation", "变异系数", "std_error / estimate."),
    "quality_grade": (
        "Quality grade",
        "质量等级",
        "A (cv < 0.166), B, C (cv > 0.333): reliability of the estimate.",
    ),
    "wave_from": ("Wave t", "起始年份", "Earlier wave of the pair."),
    "wave_to": ("Wave t+1", "结束年份", "Later wave of the pair."),
    "measure": ("Measure", "测度", "dma (maturity level) or dii (digital intensity)."),
    "level_from": ("Level at t", "起始等级", "Level in wave_from (dim_level)."),
    "level_to": ("Level at t+1", "结束等级", "Level in wave_to (dim_level)."),
    "movement": ("Movement", "变化方向", "up, same or down."),
    "is_comparable": (
        "Comparable",
        "可比",
        "False when the measure's items changed between the two instrument versions.",
    ),
    "comparability": ("Comparability", "可比性", "exact, approximate or none."),
    "n_level_from_rounded": (
        "Enterprises at level t (rounded)",
        "起始等级企业数（取整）",
        f"Panel enterprises at level_from, rounded to a multiple of {ROUND_TO}.",
    ),
    "n_enterprises_rounded": (
        "Enterprises moving (rounded)",
        "变动企业数（取整）",
        f"Panel enterprises from level_from to level_to, rounded to a multiple of {ROUND_TO}.",
    ),
    "weighted_share_of_level_from": (
        "Share of level t (weighted)",
        "占起始等级比例（加权）",
        "Panel-weighted share of the level_from enterprises that reached level_to (0-1).",
    ),
    "zone_name_en": ("Zone name (en)", "开发区名称（英文）", "English name."),
    "zone_name_zh": ("Zone name (zh)", "开发区名称（中文）", "Chinese name."),
    "province_en": ("Province (en)", "省份（英文）", "Province, English."),
    "province_zh": ("Province (zh)", "省份（中文）", "Province, Chinese."),
    "city_en": ("City (en)", "城市（英文）", "City, English."),
    "hub_distance_group": (
        "Distance to tech hubs",
        "距科技中心距离",
        "near (<= hub_far_km) or far from the nearest tech hub.",
    ),
    "instrument_version": ("Questionnaire version", "问卷版本", "Instrument version."),
    "is_first_wave_of_version": (
        "First wave of version",
        "版本首个年份",
        "True for the first wave asked with this questionnaire version.",
    ),
    "label_en": ("Label (en)", "名称（英文）", "English label."),
    "label_zh": ("Label (zh)", "名称（中文）", "Chinese label."),
    "section": ("Section", "部分", "Questionnaire section."),
    "section_label_en": ("Section (en)", "部分（英文）", "Section label, English."),
    "section_label_zh": ("Section (zh)", "部分（中文）", "Section label, Chinese."),
    "base_population": ("Base", "基数范围", "Who is in the indicator's base."),
    "definition": ("Definition", "定义", "Share of the base with the numerator rule."),
    "first_comparable_wave": ("First wave", "首个可比年份", "First comparable wave."),
    "last_wave": ("Last wave", "最后年份", "Last wave asked (empty: still asked)."),
    "comparability_note": ("Comparability note", "可比性说明", "Break between versions."),
    "sort_order": ("Order", "排序", "Display order."),
    "level": ("Level", "等级", "Level id."),
    "level_rank": ("Rank", "等级序号", "1 = lowest."),
    "min_score": ("Lowest score", "最低分", "Lowest score of the level."),
    "max_score": ("Highest score", "最高分", "Highest score of the level."),
    "measure_label_en": ("Measure (en)", "测度（英文）", "Measure, English."),
    "measure_label_zh": ("Measure (zh)", "测度（中文）", "Measure, Chinese."),
}


@dataclass(frozen=True)
class TableSpec:
    description: str
    keys: tuple[str, ...]
    values: tuple[str, ...] = ()


ESTIMATES = "public_indicator_estimates"
TRANSITIONS = "public_maturity_transitions"
TABLES: dict[str, TableSpec] = {
    ESTIMATES: TableSpec(
        "Indicator estimates per wave x zone (ALL = pooled) x population x indicator: "
        "weighted share, 95% interval, standard error, CV, quality grade, rounded base. "
        "Suppressed cells carry no figure.",
        ESTIMATE_KEYS,
        ESTIMATE_VALUES,
    ),
    TRANSITIONS: TableSpec(
        "Panel transitions between levels of two consecutive waves, per zone (ALL = "
        "pooled): every level_to of every level_from with enterprises (zeros included), "
        "weighted share of level_from with interval, rounded counts. Suppressed cells "
        "carry no figure.",
        TRANSITION_KEYS,
        TRANSITION_VALUES,
    ),
    "dim_zone": TableSpec("Development zones and their labels (ALL = pooled).", ("zone_id",)),
    "dim_wave": TableSpec("Survey waves and questionnaire versions.", ("wave_id",)),
    "dim_indicator": TableSpec("Indicator catalog with zh/en labels.", ("indicator_id",)),
    "dim_domain": TableSpec(
        "Populations (domains): all, industry groups, size classes, with zh/en labels.",
        ("domain_type", "domain"),
    ),
    "dim_level": TableSpec(
        "Levels of the maturity measures with zh/en labels.", ("measure", "level")
    ),
}

# The label columns each public dimension takes from its mart, in this order; a
# column the mart lacks (an older or partial build) is left out, never invented.
DIM_COLUMNS: dict[str, tuple[str, ...]] = {
    "dim_zone": (
        "zone_id",
        "zone_name_en",
        "zone_name_zh",
        "province_en",
        "province_zh",
        "city_en",
        "hub_distance_group",
    ),
    # no respondent counts: exact totals next to rounded bases would undo the rounding
    "dim_wave": ("wave_id", "instrument_version", "is_first_wave_of_version"),
    "dim_indicator": (
        "indicator_id",
        "label_en",
        "label_zh",
        "section",
        "section_label_en",
        "section_label_zh",
        "base_population",
        "definition",
        "first_comparable_wave",
        "last_wave",
        "comparability",
        "comparability_note",
        "sort_order",
    ),
}


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _has_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.tables where table_schema = ? "
            "and table_name = ?",
            [schema, table],
        ).fetchone()[0]
    )


def _create_dim_from_mart(
    con: duckdb.DuckDBPyConnection, name: str, wanted: tuple[str, ...]
) -> None:
    source = f"internal.marts.{name}"
    available = {r[0] for r in con.execute(f"describe {source}").fetchall()}
    columns = ", ".join(c for c in wanted if c in available)
    con.execute(f"create table public.{name} as select {columns} from {source} order by 1")
    if name == "dim_zone":  # the facts' pooled rows need a label too
        labels = {
            "zone_id": "ALL",
            "zone_name_en": UI["pooled"].en,
            "zone_name_zh": UI["pooled"].zh,
        }
        kept = [c for c in labels if c in available]
        con.execute(
            f"insert into public.dim_zone ({', '.join(kept)}) "
            f"values ({', '.join('?' * len(kept))})",
            [labels[c] for c in kept],
        )


def _create_dim_domain(con: duckdb.DuckDBPyConnection) -> None:
    """Domains from the seeds dbt loads (the marts carry ids only)."""
    con.execute(
        f"""
        create table public.dim_domain as
        select 'all' as domain_type, 'all' as domain, $en as label_en, $zh as label_zh,
            0 as sort_order
        union all
        select distinct 'industry_group', industry_group, label_en, label_zh, priority
        from read_csv({_literal(SEEDS / "industry_groups.csv")}, header = true)
        union all
        select 'size_class', size_class, label_en, label_zh, class_rank
        from read_csv({_literal(SEEDS / "cb_size_classes.csv")}, header = true)
        order by domain_type = 'size_class', domain_type, sort_order
        """,
        {"en": DOMAIN_ALL.en, "zh": DOMAIN_ALL.zh},
    )


def _create_dim_level(con: duckdb.DuckDBPyConnection) -> None:
    """Levels with their zh/en labels from the scoring seed (the one place they are set),
    measure words from the dashboards' catalog."""
    measures = [(m, text.en, text.zh) for m, text in MEASURES.items()]
    con.execute("create temp table measure_words (measure varchar, en varchar, zh varchar)")
    con.executemany("insert into measure_words values (?, ?, ?)", measures)
    con.execute(
        f"""
        create table public.dim_level as
        select s.measure, s.level, s.level_rank, s.min_score, s.max_score,
            s.label_en, s.label_zh,
            mw.en as measure_label_en, mw.zh as measure_label_zh
        from read_csv({_literal(SEEDS / "scoring_levels.csv")}, header = true) as s
        left join measure_words as mw on s.measure = mw.measure
        order by s.measure, s.level_rank
        """
    )


@dataclass(frozen=True)
class PublicResult:
    folder: Path
    rows: dict[str, int]
    suppression: dict[str, SuppressionCounts] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """For the release manifest: rows per public table, suppressed cells per figure table."""
        return {
            "row_counts": dict(sorted(self.rows.items())),
            "suppressed": {
                name: {"cells": c.cells, "primary": c.primary, "secondary": c.secondary}
                for name, c in sorted(self.suppression.items())
            },
        }


def _write_csv_with_bom(con: duckdb.DuckDBPyConnection, table: str, target: Path) -> None:
    scratch = target.with_suffix(".csv.part")
    con.execute(f"copy public.{table} to {_literal(scratch)} (format csv, header true)")
    with target.open("wb") as out, scratch.open("rb") as source:
        out.write(codecs.BOM_UTF8)
        shutil.copyfileobj(source, out)
    scratch.unlink()


def codebook(columns_of: dict[str, list[str]]) -> dict[str, Any]:
    """The `codebook.json` document of the written tables."""
    tables = {}
    for name, columns in columns_of.items():
        spec = TABLES[name]
        tables[name] = {
            "description": spec.description,
            "keys": list(spec.keys),
            "values": list(spec.values),
            "columns": {
                c: {
                    "label_en": COLUMNS[c][0],
                    "label_zh": COLUMNS[c][1],
                    "description": COLUMNS[c][2],
                }
                for c in columns
            },
        }
    return {"tables": tables}


def readme(t: Thresholds) -> str:
    return f"""# Public release: SME digital maturity survey

Aggregate tables for everyone (the public, partners, the press). No enterprise-level
data, no exact counts. The internal release one folder up (`analytics.duckdb`,
`parquet/`) is restricted to the project's analysts.

Tables (Parquet, and CSV in UTF-8 with BOM for Excel): `public_indicator_estimates`,
`public_maturity_transitions` and the label tables `dim_zone`, `dim_wave`,
`dim_indicator`, `dim_domain`, `dim_level` (zh/en). `codebook.json` documents every
column (label en/zh, description), each table's key and figure columns.

Disclosure rules:

- A cell is withheld (`suppressed` = true) when fewer than {t.min_base} enterprises
  are in its base, or fewer than {t.min_cell_count} are on either side (with / without
  the indicator; moved / did not move). Zero cells of the transition grid count.
- Further cells are withheld so that no withheld cell can be derived by subtraction:
  zones vs the pooled `ALL`, the industry groups and size classes vs population `all`,
  a level's transitions vs each other (their shares add up to 1) and zones vs `ALL`
  in the transitions. Every such relation has no withheld cell or at least two.
- A withheld cell has no figure at all (estimate, interval, error, base all empty).
- Bases and counts are rounded to the nearest multiple of {ROUND_TO}; no numerator
  counts and no unweighted shares are published.
"""


def write_public(
    analytics_db: Path, folder: Path, thresholds: Thresholds | None = None
) -> PublicResult:
    """Write the public tables of the internal DB `analytics_db` into `folder`."""
    t = thresholds or disclosure_thresholds()
    folder.mkdir(parents=True, exist_ok=True)
    suppression: dict[str, SuppressionCounts] = {}
    # an in-memory DB: the internal one is attached read-only and never changed
    with duckdb.connect() as con:
        con.execute(f"attach {_literal(analytics_db)} as internal (read_only)")
        con.execute("attach ':memory:' as work")
        con.execute("create schema work.public")
        con.execute("use work")
        con.execute(
            "create table public.levels as select * from read_csv(?, header = true)",
            [str(SEEDS / "scoring_levels.csv")],
        )
        present = {
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables "
                "where table_catalog = 'internal' and table_schema = 'marts'"
            ).fetchall()
        }
        if "fct_indicator_estimates" in present:
            suppression[ESTIMATES] = public_indicator_estimates(
                con, "internal.marts.fct_indicator_estimates", f"public.{ESTIMATES}"
            )
        if "fct_maturity_transitions" in present:
            suppression[TRANSITIONS] = public_maturity_transitions(
                con,
                "internal.marts.fct_maturity_transitions",
                "public.levels",
                f"public.{TRANSITIONS}",
                t,
            )
        con.execute("drop table public.levels")
        for name, wanted in DIM_COLUMNS.items():
            if name in present:
                _create_dim_from_mart(con, name, wanted)
        _create_dim_domain(con)
        _create_dim_level(con)
        names = [n for n in TABLES if _has_table(con, "public", n)]
        columns_of: dict[str, list[str]] = {}
        rows: dict[str, int] = {}
        for name in names:
            columns_of[name] = [r[0] for r in con.execute(f"describe public.{name}").fetchall()]
            rows[name] = con.execute(f"select count(*) from public.{name}").fetchone()[0]
            parquet = folder / f"{name}.parquet"
            con.execute(f"copy public.{name} to {_literal(parquet)} (format parquet)")
            _write_csv_with_bom(con, name, folder / f"{name}.csv")
    document = codebook(columns_of)
    (folder / CODEBOOK_NAME).write_text(
        json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    (folder / README_NAME).write_text(readme(t), encoding="utf-8")
    return PublicResult(folder=folder, rows=rows, suppression=suppression)
