"""What the dashboards show, as data: the 2020 report's figures, palette and UI strings.

Indicator ids are the warehouse's (dim_indicator); their zh/en labels come from the
marts at build time. The strings here are only the site's own chrome (page and
figure titles, axis names) that no mart or codebook carries.
"""

from __future__ import annotations

from dataclasses import dataclass

# Okabe-Ito: distinguishable under the common colour-vision deficiencies.
OKABE_ITO = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#F0E442",  # yellow
    "#000000",
)
SUPPRESSED_COLOUR = "#9E9E9E"
LANGS = ("en", "zh")


@dataclass(frozen=True)
class Text:
    en: str
    zh: str

    def __call__(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True)
class ReportFigure:
    """One chart of the wave report.

    kind: `bars` (indicators as horizontal bars, one series per domain),
    `benchmark` (bars plus the external benchmark of each indicator),
    `industry` (sections and the report's industry groups of all enterprises),
    `size` (size classes plus the size indicators).
    """

    fig_id: str
    title: Text
    kind: str
    indicators: tuple[str, ...] = ()
    domains: tuple[str, ...] = ("all",)


_TECH = (
    "tech_industrial_internet",
    "tech_5g",
    "tech_big_data",
    "tech_ai",
    "tech_industrial_apps",
    "tech_iot",
    "tech_cloud_computing",
    "tech_erp",
    "tech_crm",
)
_PROC_SALES_3 = (
    "procurement_online_0",
    "procurement_online_1_50",
    "procurement_online_gt50",
    "sales_online_0",
    "sales_online_1_50",
    "sales_online_gt50",
)
_PROC_SALES_5 = tuple(
    f"{flow}_online_{band}"
    for flow in ("procurement", "sales")
    for band in ("0", "1_25", "26_50", "51_75", "76_100")
)
_SMART_MFG = (
    "mfg_equipment_networked",
    "mfg_smart_line",
    "mfg_smart_workshop",
    "mfg_smart_factory",
    "mfg_cnc",
    "mfg_process_optimization",
    "mfg_modular_equipment",
)
_FINANCE = (
    "finance_online_0",
    "finance_online_1_25",
    "finance_online_26_50",
    "finance_online_gt50",
)
_OBSTACLES = (
    "obstacle_fees",
    "obstacle_funds",
    "obstacle_no_urgency",
    "obstacle_skills",
    "obstacle_support",
    "obstacle_data_security",
    "obstacle_other",
)
_POLICY = ("policy_tax", "policy_loans", "policy_subsidies")
_RD = ("rd_open_platform", "rd_sim_3d_vr", "rd_digital_model_sim", "rd_cax")
_MARKETING = tuple(f"marketing_spend_{b}" for b in ("0", "1_25", "26_50", "51_75", "76_100"))
_SCP = (
    "scp_employee_sharing",
    "scp_protective_materials",
    "scp_sales_logistics",
    "scp_supplier_matching",
    "scp_production_line_config",
    "scp_mold_sharing",
)
_COVID = (
    "covid_customer_comm_solved",
    "covid_customer_comm_insurmountable",
    "covid_remote_solved",
    "covid_remote_insurmountable",
)

# The 2020 report: six headline charts, then figures 2-14, in report order.
REPORT_FIGURES: tuple[ReportFigure, ...] = (
    ReportFigure(
        "chart1", Text("Chart 1: Digital technologies used", "图表1：数字技术使用"), "bars", _TECH
    ),
    ReportFigure(
        "chart2",
        Text(
            "Chart 2: Online procurement and sales, with Wales 2019",
            "图表2：线上采购与销售比例（对比威尔士2019）",
        ),
        "benchmark",
        _PROC_SALES_3,
    ),
    ReportFigure(
        "chart3",
        Text("Chart 3: Smart manufacturing among manufacturers", "图表3：制造业企业智能制造"),
        "bars",
        _SMART_MFG,
    ),
    ReportFigure(
        "chart4",
        Text("Chart 4: Share of financing via internet channels", "图表4：互联网融资占比"),
        "bars",
        _FINANCE,
    ),
    ReportFigure(
        "chart5",
        Text("Chart 5: Biggest obstacles to digital transformation", "图表5：数字化转型最大障碍"),
        "bars",
        _OBSTACLES,
    ),
    ReportFigure(
        "chart6", Text("Chart 6: Policy support received", "图表6：获得的政策支持"), "bars", _POLICY
    ),
    ReportFigure(
        "fig2",
        Text("Figure 2: Industry distribution", "图2：行业分布"),
        "industry",
    ),
    ReportFigure(
        "fig3",
        Text("Figure 3: Enterprise size", "图3：企业规模"),
        "size",
        ("employees_lt50", "revenue_lt20m"),
    ),
    ReportFigure(
        "fig4",
        Text(
            "Figure 4: Digital technologies (all; manufacturers)",
            "图4：数字技术使用（全部；制造业）",
        ),
        "bars",
        _TECH,
        ("all", "manufacturing"),
    ),
    ReportFigure(
        "fig5",
        Text("Figure 5: Online procurement and online sales", "图5：线上采购与线上销售"),
        "bars",
        _PROC_SALES_5,
    ),
    ReportFigure(
        "fig6",
        Text("Figure 6: Online share of marketing expenditure", "图6：线上营销支出占比"),
        "bars",
        _MARKETING,
    ),
    ReportFigure(
        "fig7",
        Text(
            "Figure 7: Services from industrial supply-chain platforms", "图7：产业供应链平台服务"
        ),
        "bars",
        _SCP,
    ),
    ReportFigure(
        "fig8",
        Text("Figure 8: Smart manufacturing (manufacturers)", "图8：制造业企业数字化智能化改造"),
        "bars",
        _SMART_MFG,
    ),
    ReportFigure(
        "fig9",
        Text("Figure 9: Digital R&D and design (all)", "图9：研发设计数字化（全部）"),
        "bars",
        _RD,
    ),
    ReportFigure(
        "fig10",
        Text("Figure 10: Digital R&D and design (manufacturers)", "图10：研发设计数字化（制造业）"),
        "bars",
        _RD,
        ("manufacturing",),
    ),
    ReportFigure(
        "fig11",
        Text("Figure 11: Share of financing via internet channels", "图11：互联网融资占比"),
        "bars",
        _FINANCE,
    ),
    ReportFigure(
        "fig12",
        Text("Figure 12: Technical barriers during the epidemic", "图12：疫情期间的技术障碍"),
        "bars",
        _COVID,
    ),
    ReportFigure(
        "fig13", Text("Figure 13: Biggest obstacles", "图13：最大障碍"), "bars", _OBSTACLES
    ),
    ReportFigure(
        "fig14", Text("Figure 14: Policy support received", "图14：获得的政策支持"), "bars", _POLICY
    ),
)

HUB_GROUPS: dict[str, Text] = {
    # Two lines: one line of the long label ran past the plot edge. {km}: the release's
    # parameter hub_far_km (the dbt var that groups the zones), never typed here.
    "near": Text("Near the tech hubs\n(<= {km} km)", "靠近科技中心\n（{km}公里以内）"),
    "far": Text("Far from the tech hubs\n(> {km} km)", "远离科技中心\n（{km}公里以上）"),
    "unknown": Text("No location", "无位置信息"),
}

UI: dict[str, Text] = {
    "site": Text("SME digital maturity survey", "中小企业数字化成熟度调查"),
    "report": Text("Wave report", "年度报告"),
    "trends": Text("Trends", "趋势"),
    "zones": Text("Zones", "开发区"),
    "maturity": Text("Maturity", "成熟度"),
    "quality": Text("Data quality", "数据质量"),
    "wave": Text("Wave", "调查年份"),
    "zone": Text("Zone", "开发区"),
    "domain": Text("Population", "企业群体"),
    "indicator": Text("Indicator", "指标"),
    "measure": Text("Measure", "测度"),
    "pair": Text("Waves", "年份"),
    "lang": Text("Language", "语言"),
    "share": Text("Share of base (%)", "占比（%）"),
    "enterprises": Text("Enterprises", "企业数"),
    "suppressed": Text(
        "suppressed (too few enterprises, or withheld so another cell cannot be derived)",
        "已隐藏（企业过少，或为防止推算其他单元格）",
    ),
    "suppressed_short": Text("hidden", "隐藏"),
    "suppressed_stub": Text("suppressed", "已隐藏"),
    "no_rejections": Text(
        "No rows failed a rule in this selection.", "所选范围内没有未通过规则的行。"
    ),
    "no_data": Text("No data for this selection.", "所选范围无数据。"),
    "no_table": Text("Not published yet: {table}", "尚未发布：{table}"),
    "interval": Text("95% interval", "95%置信区间"),
    "quality_grade": Text("grade", "质量等级"),
    "estimate": Text("Estimate", "估计值"),
    "benchmark": Text("Wales 2019 (benchmark)", "威尔士2019（参照）"),
    "sections": Text("Industry sections (all)", "行业门类（全部）"),
    "groups": Text("Industry groups of the report", "报告的行业分组"),
    "size_classes": Text("Size classes", "企业规模类型"),
    "size_flags": Text("Size thresholds", "规模指标"),
    "break": Text("Instrument {version}", "问卷版本 {version}"),
    "rows_read": Text("Rows read", "读取行数"),
    "rows_accepted": Text("Rows accepted", "接受行数"),
    "rows_rejected": Text("Rows quarantined", "隔离行数"),
    "rejected_by_rule": Text("Rows failing each rule", "各规则未通过行数"),
    "rule_legend": Text("{rule}: fails on {columns}", "{rule}：未通过字段 {columns}"),
    "mode_mix": Text("Response mode", "问卷形式"),
    "deliveries": Text("Rows per delivery", "各批次行数"),
    "score_distribution": Text("Score distribution", "得分分布"),
    "dimensions": Text("Mean dimension scores per zone", "各开发区维度平均得分"),
    "transitions": Text(
        "Level transitions of enterprises seen in both waves", "两年均受访企业的等级变化"
    ),
    "level_mix": Text("Maturity levels per zone", "各开发区成熟度等级分布"),
    "level_waves": Text("Maturity levels across waves", "历年成熟度等级分布"),
    "zone_dots": Text("Zones compared", "开发区比较"),
    "by_size": Text("By size class, all zones (pooled)", "按企业规模（全部开发区合计）"),
    "population_of": Text("{indicator} — {population}", "{indicator}——{population}"),
    "hub_groups": Text("Zones by distance to the tech hubs", "按与科技中心距离分组"),
    "trend": Text("Across waves", "历年变化"),
    "mean_score": Text("Mean score", "平均得分"),
    # What each chart draws, said on the chart (subtitle): the public release's figures,
    # weighted estimates and rounded counts, never the internal exact counts.
    "basis_share": Text(
        "Weighted estimate (calibrated to the register), 95% interval;"
        " n ≈ enterprises in the base (rounded)",
        "加权估计值（按名录校准），95%置信区间；n ≈ 基数企业数（取整）",
    ),
    "basis_counts": Text("Respondents (rounded counts)", "受访企业数（取整计数）"),
    "basis_counts_share": Text(
        "Respondents (rounded counts); below: weighted estimates, 95% interval",
        "受访企业数（取整计数）；下图：加权估计值，95%置信区间",
    ),
    "basis_levels": Text(
        "Weighted shares per level; n ≈ respondents (rounded)",
        "各等级加权占比；n ≈ 受访企业数（取整）",
    ),
    "basis_means": Text(
        "Weighted mean scores; n ≈ respondents (rounded)",
        "加权平均得分；n ≈ 受访企业数（取整）",
    ),
    "basis_moves": Text(
        "Enterprises seen in both waves (rounded counts)", "两年均受访的企业（取整计数）"
    ),
    "basis_rows": Text(
        "Rows as delivered (rounded counts, not estimates)", "交付数据行数（取整计数，非估计值）"
    ),
    "index_intro": Text(
        "Static dashboards built from the public release (aggregate tables with disclosure"
        " control). They work offline.",
        "基于公开发布数据（经披露控制的汇总表）生成的静态仪表板，可离线使用。",
    ),
    "built": Text("Built", "生成时间"),
}
