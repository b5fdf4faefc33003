"""The public product of a release: `<release>/public/`, aggregate tables only.

Built from the release's own internal DB (`analytics.duckdb`, written first by
orchestration/publish.py), so the public tables always match the internal ones,
whatever engine built the marts. Disclosure control: orchestration/disclosure.py.

    public/public_indicator_estimates.parquet|.csv   suppressed cells carry no figure
    public/public_maturity_transitions.parquet|.csv
    public/public_sample_composition|public_maturity_levels|public_score_distribution|
           public_dimension_scores .parquet|.csv          the same, enterprise counts
    public/public_delivery_quality|public_rejected_rules .parquet|.csv   processing counts
    public/public_parameters.parquet|.csv             thresholds and constants of the release
    public/dim_zone|dim_wave|dim_indicator|dim_indicator_break|dim_domain|dim_level .parquet|.csv
    public/dim_category|dim_dimension|dim_reference_benchmark .parquet|.csv
    public/codebook.json                              per table: keys, values, labels
    public/README.md

CSV files are UTF-8 with a BOM: Excel then opens the Chinese labels correctly.
"""

from __future__ import annotations

import codecs
import csv
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import yaml

from orchestration.codebook import load_codebook
from orchestration.dbt_vars import confidence_level, dbt_vars, pooled_zone_id
from orchestration.disclosure import (
    COMPOSITION_BREAKDOWNS,
    COMPOSITION_KEYS,
    COMPOSITION_VALUES,
    DIMENSION_KEYS,
    DIMENSION_VALUES,
    ESTIMATE_KEYS,
    ESTIMATE_VALUES,
    LEVEL_KEYS,
    LEVEL_VALUES,
    ROUND_TO,
    SCORE_BIN_WIDTH_DMA,
    SCORE_KEYS,
    SCORE_VALUES,
    TRANSITION_KEYS,
    TRANSITION_VALUES,
    SuppressionCounts,
    Thresholds,
    disclosure_thresholds,
    public_dimension_scores,
    public_indicator_estimates,
    public_maturity_levels,
    public_maturity_transitions,
    public_sample_composition,
    public_score_distribution,
    rounded,
)
from orchestration.settings import DBT_PROJECT_DIR

PUBLIC_DIR_NAME = "public"
CODEBOOK_NAME = "codebook.json"
README_NAME = "README.md"
SEEDS = DBT_PROJECT_DIR / "seeds"
# Words the label tables take from the definitions: measures and maturity dimensions
# (scoring.yaml), domain `all` and the pooled zone (labels.yaml).
DEFINITIONS = DBT_PROJECT_DIR / "definitions"

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
        f"Enterprises in the cell's base (an estimate: the indicator's base; a level: the "
        f"wave x zone's enterprises), rounded to the nearest multiple of {ROUND_TO}.",
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
    "is_pooled": (
        "All zones pooled",
        "全部开发区合计",
        "True on the row of all zones pooled: its zone_id is that of every table's pooled rows.",
    ),
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
    "breakdown": (
        "Breakdown",
        "分类维度",
        "industry_section, industry_group, size_class or mode (dim_category).",
    ),
    "category": ("Category", "类别", "A category of the breakdown (dim_category)."),
    "weighted_share": (
        "Share (weighted)",
        "占比（加权）",
        "Weighted share of the wave x zone's enterprises at the level (0-1).",
    ),
    "bin_low": ("Score from", "分数下限", "Lowest score of the bin (included)."),
    "bin_high": (
        "Score to",
        "分数上限",
        "Upper bound of the bin, excluded; the last dma bin [90, 100] includes 100. "
        "dii bins hold one integer score each.",
    ),
    "dimension": ("Dimension", "维度", "Dimension of the maturity score (dim_dimension)."),
    "weighted_mean_score": (
        "Mean score (weighted)",
        "平均分（加权）",
        "Weighted mean of the dimension's score (0-100) of the enterprises with a score.",
    ),
    "delivery_label": (
        "Delivery",
        "数据交付",
        "First 8 characters of the delivery id (sha256 of its files).",
    ),
    "received_date": ("Received", "接收日期", "Date the delivery was landed."),
    "status": (
        "Status",
        "状态",
        "loaded (in the figures), superseded (replaced by a correction) or blocked "
        "(failed the quality gate).",
    ),
    "rows_read_rounded": (
        "Rows read (rounded)",
        "读取行数（取整）",
        f"Questionnaire rows read, rounded to a multiple of {ROUND_TO}.",
    ),
    "rows_accepted_rounded": (
        "Rows accepted (rounded)",
        "接受行数（取整）",
        f"Rows loaded, rounded to a multiple of {ROUND_TO}.",
    ),
    "rows_rejected_rounded": (
        "Rows rejected (rounded)",
        "拒绝行数（取整）",
        f"Rows not loaded (of a blocked delivery: every row), rounded to a multiple of {ROUND_TO}.",
    ),
    "rows_broken_rounded": (
        "Rows breaking a rule (rounded)",
        "违反规则行数（取整）",
        f"Rows that broke at least one quality rule, rounded to a multiple of {ROUND_TO}.",
    ),
    "n_electronic_rounded": (
        "Electronic questionnaires (rounded)",
        "电子问卷数（取整）",
        f"Loaded responses from the online platform, rounded to a multiple of {ROUND_TO}.",
    ),
    "n_paper_rounded": (
        "Paper questionnaires (rounded)",
        "纸质问卷数（取整）",
        f"Loaded responses keyed from paper, rounded to a multiple of {ROUND_TO}.",
    ),
    "rule_id": ("Quality rule", "质量规则", "The quality rule rows failed."),
    "rule_columns": (
        "Columns",
        "字段",
        "The columns the rule judged in the failing rows, comma-separated.",
    ),
    "n_rows_rounded": (
        "Rows (rounded)",
        "行数（取整）",
        f"Rows quarantined under the rule, summed over its columns and the deliveries, "
        f"rounded to a multiple of {ROUND_TO}.",
    ),
    "benchmark_id": ("Benchmark", "基准", "Benchmark row id."),
    "source_en": ("Source", "来源", "Source survey."),
    "survey_year": ("Survey year", "调查年份（来源）", "Year of the source survey."),
    "region_en": ("Region", "地区", "Region the figure describes."),
    "band_label_en": ("Band", "区间", "The source's band label."),
    "share": ("Share", "占比", "Share (0-1) published by the source."),
    "name": ("Parameter", "参数", "Parameter name."),
    "value": ("Value", "取值", "Parameter value."),
    "description": ("Description", "说明", "What the parameter sets."),
}

# A column whose meaning differs in one table: (table, column) -> words there.
COLUMNS_OF_TABLE: dict[tuple[str, str], tuple[str, str, str]] = {
    **{
        (table, "n_enterprises_rounded"): (
            "Enterprises (rounded)",
            "企业数（取整）",
            f"Responding enterprises in the cell, rounded to a multiple of {ROUND_TO}.",
        )
        for table in (
            "public_sample_composition",
            "public_maturity_levels",
            "public_score_distribution",
        )
    },
    ("public_dimension_scores", "n_enterprises_rounded"): (
        "Enterprises with a score (rounded)",
        "有得分企业数（取整）",
        f"Enterprises with a score in the dimension, rounded to a multiple of {ROUND_TO}.",
    ),
    ("dim_category", "sort_order"): ("Order", "排序", "Display order within the breakdown."),
    ("dim_category", "category"): ("Category", "类别", "Category id."),
    ("public_maturity_levels", "level"): ("Level", "等级", "Level id (dim_level)."),
}


@dataclass(frozen=True)
class TableSpec:
    description: str
    keys: tuple[str, ...]
    values: tuple[str, ...] = ()


ESTIMATES = "public_indicator_estimates"
TRANSITIONS = "public_maturity_transitions"
COMPOSITION = "public_sample_composition"
LEVELS = "public_maturity_levels"
SCORES = "public_score_distribution"
DIMENSIONS = "public_dimension_scores"
DELIVERIES = "public_delivery_quality"
REJECTED = "public_rejected_rules"
PARAMETERS = "public_parameters"
# The counts of fct_delivery_quality published rounded (a column the mart lacks is
# left out).
DELIVERY_COUNTS = (
    "rows_read",
    "rows_accepted",
    "rows_rejected",
    "rows_broken",
    "n_electronic",
    "n_paper",
)
DELIVERY_VALUES = tuple(f"{c}_rounded" for c in DELIVERY_COUNTS)
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
    COMPOSITION: TableSpec(
        "Responding enterprises per wave x zone (ALL = pooled) x breakdown (industry "
        "section, industry group, size class, questionnaire mode) x category, rounded. "
        "Suppressed cells carry no figure.",
        COMPOSITION_KEYS,
        COMPOSITION_VALUES,
    ),
    LEVELS: TableSpec(
        "Enterprises per wave x zone (ALL = pooled) x measure x level (every level, zeros "
        "included): rounded count and weighted share. Suppressed cells carry no figure.",
        LEVEL_KEYS,
        LEVEL_VALUES,
    ),
    SCORES: TableSpec(
        "Distribution of the scores per wave x zone (ALL = pooled) x measure: enterprises "
        "per score bin (every bin, zeros included), rounded. Suppressed cells carry no "
        "figure.",
        SCORE_KEYS,
        SCORE_VALUES,
    ),
    DIMENSIONS: TableSpec(
        "Weighted mean score (0-100) of each maturity dimension per wave x zone (ALL = "
        "pooled), with the rounded number of enterprises scored. Suppressed cells carry "
        "no figure.",
        DIMENSION_KEYS,
        DIMENSION_VALUES,
    ),
    DELIVERIES: TableSpec(
        "Deliveries per wave x zone: status and rounded row counts of the quality gate "
        "(processing counts, not answers).",
        ("wave_id", "zone_id", "delivery_label"),
        DELIVERY_VALUES,
    ),
    REJECTED: TableSpec(
        "Rows the quality gate rejected per wave x zone x rule, rounded.",
        ("wave_id", "zone_id", "rule_id"),
        ("n_rows_rounded",),
    ),
    PARAMETERS: TableSpec(
        "The thresholds and constants the public tables were made with.",
        ("name",),
        ("value",),
    ),
    "dim_zone": TableSpec("Development zones and their labels (ALL = pooled).", ("zone_id",)),
    "dim_wave": TableSpec("Survey waves and questionnaire versions.", ("wave_id",)),
    "dim_indicator": TableSpec("Indicator catalog with zh/en labels.", ("indicator_id",)),
    "dim_indicator_break": TableSpec(
        "Where an indicator's series breaks between questionnaire versions.",
        ("indicator_id", "wave_id"),
    ),
    "dim_domain": TableSpec(
        "Populations (domains): all, industry groups, size classes, with zh/en labels.",
        ("domain_type", "domain"),
    ),
    "dim_level": TableSpec(
        "Levels of the maturity measures with zh/en labels.", ("measure", "level")
    ),
    "dim_category": TableSpec(
        "Categories of the sample composition's breakdowns with zh/en labels.",
        ("breakdown", "category"),
    ),
    "dim_dimension": TableSpec(
        "Dimensions of the maturity score with zh/en labels.", ("dimension",)
    ),
    "dim_reference_benchmark": TableSpec(
        "Published external benchmark figures shown beside the survey's.", ("benchmark_id",)
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
    "dim_indicator_break": (
        "indicator_id",
        "wave_id",
        "instrument_version",
        "comparability",
        "comparability_note",
    ),
}


def scoring_dimensions() -> tuple[str, ...]:
    """The maturity (dma) dimensions in scoring.yaml's order, from the seed generated from it."""
    with (SEEDS / "scoring_elements.csv").open(encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(handle)
        return tuple(dict.fromkeys(r["dimension"] for r in rows if r["measure"] == "dma"))


def _definitions(name: str) -> dict[str, Any]:
    """A definitions file of the dbt project (`dbt_project/definitions/<name>.yaml`)."""
    return yaml.safe_load((DEFINITIONS / f"{name}.yaml").read_text(encoding="utf-8"))


def _words(entry: dict[str, Any]) -> tuple[str, str]:
    return entry["label_en"], entry["label_zh"]


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
        en, zh = _words(_definitions("labels")["pooled_zone"])
        con.execute("alter table public.dim_zone add column is_pooled boolean default false")
        labels = {
            "zone_id": pooled_zone_id(),
            "zone_name_en": en,
            "zone_name_zh": zh,
            "is_pooled": True,
        }
        kept = [c for c in labels if c in available or c == "is_pooled"]
        con.execute(
            f"insert into public.dim_zone ({', '.join(kept)}) "
            f"values ({', '.join('?' * len(kept))})",
            [labels[c] for c in kept],
        )


def _create_dim_domain(con: duckdb.DuckDBPyConnection) -> None:
    """Domains from the seeds dbt loads (the marts carry ids only); `all` from labels.yaml."""
    en, zh = _words(_definitions("labels")["domain_all"])
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
        {"en": en, "zh": zh},
    )


def _create_dim_level(con: duckdb.DuckDBPyConnection) -> None:
    """Levels with their zh/en labels from the scoring seed, measure words from
    scoring.yaml (both set there once)."""
    scoring = _definitions("scoring")
    measures = [(m, *_words(scoring[m])) for m in ("dii", "dma")]
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


def _create_dim_category(con: duckdb.DuckDBPyConnection) -> None:
    """Categories of the sample composition: industry sections and questionnaire modes
    from the codebook's options, industry groups and size classes from the seeds
    dim_domain reads."""
    cb = load_codebook()
    options = [
        (breakdown, o.code, o.en, o.zh, rank)
        for breakdown, item in (("industry_section", "A5_industry_section"), ("mode", "A12_mode"))
        for rank, o in enumerate(cb.item(item).options, start=1)
    ]
    con.execute(
        "create temp table category_options (breakdown varchar, category varchar, "
        "label_en varchar, label_zh varchar, sort_order integer)"
    )
    con.executemany("insert into category_options values (?, ?, ?, ?, ?)", options)
    con.execute(
        f"""
        create table public.dim_category as
        with categories as (
            select * from category_options
            union all
            select distinct 'industry_group', industry_group, label_en, label_zh, priority
            from read_csv({_literal(SEEDS / "industry_groups.csv")}, header = true)
            union all
            select 'size_class', size_class, label_en, label_zh, class_rank
            from read_csv({_literal(SEEDS / "cb_size_classes.csv")}, header = true)
        )
        select breakdown, category, label_en, label_zh, cast(sort_order as integer) as sort_order
        from categories
        order by list_position(?, breakdown), sort_order
        """,
        [list(COMPOSITION_BREAKDOWNS)],
    )
    con.execute("drop table category_options")


def _create_dim_dimension(con: duckdb.DuckDBPyConnection) -> None:
    """The maturity dimensions in scoring.yaml's order, with its dimension_labels."""
    dimensions = scoring_dimensions()
    words = _definitions("scoring")["dma"].get("dimension_labels") or {}
    missing = [d for d in dimensions if d not in words]
    if missing:
        raise ValueError(
            f"scoring.yaml: dimensions {', '.join(missing)} have no dma.dimension_labels"
        )
    con.execute(
        "create table public.dim_dimension (dimension varchar, label_en varchar, "
        "label_zh varchar, sort_order integer)"
    )
    con.executemany(
        "insert into public.dim_dimension values (?, ?, ?, ?)",
        [(d, *_words(words[d]), k) for k, d in enumerate(dimensions, start=1)],
    )


def _create_delivery_quality(con: duckdb.DuckDBPyConnection) -> None:
    """Deliveries with their counts rounded (processing counts: no suppression)."""
    source = "internal.marts.fct_delivery_quality"
    available = {r[0] for r in con.execute(f"describe {source}").fetchall()}
    counts = ", ".join(f"{rounded(c)} as {c}_rounded" for c in DELIVERY_COUNTS if c in available)
    con.execute(
        f"""
        create table public.{DELIVERIES} as
        select wave_id, zone_id, left(delivery_id, 8) as delivery_label,
            cast(received_at as date) as received_date, status, {counts}
        from {source}
        order by wave_id, zone_id, received_at, delivery_id
        """
    )


def _create_rejected_rules(con: duckdb.DuckDBPyConnection) -> None:
    """Rejected rows per wave x zone x rule, over the deliveries, rounded."""
    source = "internal.marts.fct_rejected_rules"
    available = {r[0] for r in con.execute(f"describe {source}").fetchall()}
    columns = (
        "string_agg(distinct column_name, ', ' order by column_name)"
        if "column_name" in available
        else "null"
    )
    con.execute(
        f"""
        create table public.{REJECTED} as
        select wave_id, zone_id, rule_id, cast({columns} as varchar) as rule_columns,
            {rounded("sum(n_rows)")} as n_rows_rounded
        from {source}
        group by wave_id, zone_id, rule_id
        order by wave_id, zone_id, rule_id
        """
    )


def parameters(t: Thresholds, project_dir: Path = DBT_PROJECT_DIR) -> list[tuple[str, float, str]]:
    """The rows of public_parameters: (name, value, description)."""
    variables = dbt_vars(project_dir / "dbt_project.yml")
    return [
        ("min_base", t.min_base, "A cell with a smaller base is suppressed."),
        (
            "min_cell_count",
            t.min_cell_count,
            "A cell with fewer enterprises on either side is suppressed.",
        ),
        ("round_to", ROUND_TO, "Published counts are rounded to a multiple of this."),
        (
            "confidence_level",
            confidence_level(project_dir / "dbt_project.yml"),
            "Level of the published intervals.",
        ),
        (
            "cv_grade_a_below",
            float(variables["cv_grade_a_below"]),
            "Quality grade A when the coefficient of variation is below this.",
        ),
        (
            "cv_grade_c_above",
            float(variables["cv_grade_c_above"]),
            "Quality grade C when the coefficient of variation is above this.",
        ),
        (
            "score_bin_width_dma",
            SCORE_BIN_WIDTH_DMA,
            "Width of the maturity score (dma) bins of public_score_distribution.",
        ),
        (
            "hub_far_km",
            float(variables["hub_far_km"]),
            "dim_zone.hub_distance_group: far when the nearest tech hub is farther than this.",
        ),
    ]


def _create_parameters(con: duckdb.DuckDBPyConnection, t: Thresholds) -> None:
    con.execute(
        f"create table public.{PARAMETERS} (name varchar, value double, description varchar)"
    )
    con.executemany(f"insert into public.{PARAMETERS} values (?, ?, ?)", parameters(t))


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
            "values": [v for v in spec.values if v in columns],
            "columns": {
                c: dict(
                    zip(
                        ("label_en", "label_zh", "description"),
                        COLUMNS_OF_TABLE.get((name, c), COLUMNS[c]),
                        strict=True,
                    )
                )
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
`public_maturity_transitions`, `public_sample_composition` (enterprises by industry,
size class and questionnaire mode), `public_maturity_levels`, `public_score_distribution`,
`public_dimension_scores`, `public_delivery_quality` and `public_rejected_rules`
(processing counts of the quality gate), `public_parameters` (the thresholds and
constants below), the label tables `dim_zone`, `dim_wave`, `dim_indicator`,
`dim_domain`, `dim_level`, `dim_category`, `dim_dimension` (zh/en) and
`dim_reference_benchmark` (published external figures). `codebook.json` documents every
column (label en/zh, description), each table's key and figure columns.

Disclosure rules:

- A cell is withheld (`suppressed` = true) when fewer than {t.min_base} enterprises
  are in its base, or fewer than {t.min_cell_count} are on either side (with / without
  the indicator; moved / did not move). Zero cells of the transition grid count.
- Further cells are withheld so that no withheld cell can be derived by subtraction:
  zones vs the pooled `ALL`, the industry groups and size classes vs population `all`,
  a level's transitions vs each other (their shares add up to 1) and zones vs `ALL`
  in the transitions. Every such relation has no withheld cell or at least two.
- Enterprise counts (sample composition, maturity levels, score bins, dimension
  scores): a count under {t.min_cell_count} is withheld, for a level also when fewer than
  {t.min_cell_count} enterprises of the wave x zone are not at it (every level is a cell,
  zeros too); a dimension score when fewer than {t.min_base} enterprises have a score.
  A score bin nobody is in is shown as 0, not withheld: a zero says nothing about
  anyone. Further cells are withheld so that none follows by subtraction: the
  categories of one breakdown, industry sections vs the industry groups made of them
  (manufacturing is section C), the levels of one measure, the bins of one measure,
  and zones vs `ALL`.
- A withheld cell has no figure at all (estimate, interval, error, base all empty).
- The delivery and rejection counts are processing counts, not answers: rounded,
  never withheld.
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
        people = "internal.marts.fct_enterprise_wave"
        has = set()
        if "fct_enterprise_wave" in present:
            has = {r[0] for r in con.execute(f"describe {people}").fetchall()}
        query = "select distinct measure from public.levels"
        measures = [r[0] for r in con.execute(query).fetchall()]
        dimensions = scoring_dimensions()
        # each table only where the enterprise rows have its columns (a partial build)
        if {"wave_id", "zone_id"} <= has and has & set(COMPOSITION_BREAKDOWNS):
            suppression[COMPOSITION] = public_sample_composition(
                con, people, f"public.{COMPOSITION}", t
            )
        if {"wave_id", "zone_id", "weight", *(f"{m}_level" for m in measures)} <= has:
            suppression[LEVELS] = public_maturity_levels(
                con, people, "public.levels", f"public.{LEVELS}", t
            )
        if {"wave_id", "zone_id", *(f"{m}_score" for m in measures)} <= has:
            suppression[SCORES] = public_score_distribution(
                con, people, "public.levels", f"public.{SCORES}", t
            )
        if {"wave_id", "zone_id", "weight"} <= has and has & {f"dma_{d}" for d in dimensions}:
            suppression[DIMENSIONS] = public_dimension_scores(
                con, people, dimensions, f"public.{DIMENSIONS}", t
            )
        con.execute("drop table public.levels")
        if "fct_delivery_quality" in present:
            _create_delivery_quality(con)
        if "fct_rejected_rules" in present:
            _create_rejected_rules(con)
        _create_parameters(con, t)
        for name, wanted in DIM_COLUMNS.items():
            if name in present:
                _create_dim_from_mart(con, name, wanted)
        _create_dim_domain(con)
        _create_dim_level(con)
        _create_dim_category(con)
        _create_dim_dimension(con)
        if "dim_reference_benchmark" in present:  # its documented columns, as published
            source = "internal.marts.dim_reference_benchmark"
            kept = [r[0] for r in con.execute(f"describe {source}").fetchall() if r[0] in COLUMNS]
            con.execute(
                f"create table public.dim_reference_benchmark as "
                f"select {', '.join(kept)} from {source} order by 1"
            )
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
