"""Enterprises of a zone: their stable profile, their size over time, names and contacts.

A firm's profile (USCC, name, industry, founding year, ownership) never changes;
its employees, revenue and assets grow a little every year. Two latent traits
drive its answers: `size` (also behind employees and revenue) and `propensity`
(digital propensity), both standard normal and independent.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from orchestration import uscc
from orchestration.codebook import Codebook
from orchestration.demo.reference import Reference, Threshold
from orchestration.demo.zones import Zone

EARLIEST_FOUNDING = 1949
PRIOR = 0.5

# Name and contact syllables: synthetic, chosen to read like real registrations.
BRAND_CHARS = np.array(
    list("华联创新恒瑞达信宏远安泰鼎盛嘉禾锦程正通博润启明天弘海川中科金辰百汇晨光立德永")
)
SECTION_WORDS = {
    "C": ("精密机械", "电子", "智能装备", "新材料", "生物医药", "汽车零部件"),
    "I": ("信息技术", "网络科技", "软件", "数据科技"),
    "F": ("贸易", "商贸", "供应链管理"),
    "M": ("科技", "检测技术", "工程技术"),
    "L": ("企业管理", "商务咨询", "人力资源"),
    "E": ("建设工程", "建筑装饰"),
    "G": ("物流", "运输"),
    "K": ("置业", "房地产开发"),
}
OTHER_WORDS = ("实业", "发展", "环境科技")
SURNAMES = np.array(list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭"))
GIVEN_CHARS = np.array(list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰文斌宇浩凯"))
MOBILE_PREFIXES = np.array(["135", "136", "137", "138", "139", "150", "151", "158", "186", "189"])


@dataclass(frozen=True)
class Firms:
    """Every enterprise that ever answered in one zone, one array per attribute."""

    uscc: np.ndarray
    name: np.ndarray
    section: np.ndarray  # index into the A5 options
    division: np.ndarray
    founded: np.ndarray
    ownership: np.ndarray  # index into the A4 options
    size: np.ndarray
    propensity: np.ndarray
    employees: np.ndarray
    revenue: np.ndarray
    assets: np.ndarray

    def __len__(self) -> int:
        return int(self.uscc.size)

    def concat(self, other: Firms) -> Firms:
        return Firms(
            **{
                f.name: np.concatenate([getattr(self, f.name), getattr(other, f.name)])
                for f in fields(self)
            }
        )


@dataclass(frozen=True)
class ZoneMix:
    """What makes one zone's enterprises differ from the baseline's."""

    sections: np.ndarray  # probabilities over A5 options
    employees_below: float  # share below the employee threshold
    revenue_below: float
    age_scale: float  # mean age in years of the zone's young firms


def zone_mix(rng: np.random.Generator, ref: Reference, cb: Codebook, baseline: bool) -> ZoneMix:
    counts = _counts(cb, "A5_industry_section", ref.sections).astype(float) + PRIOR
    if not baseline:  # each zone has its own industry structure around the baseline's
        counts *= rng.lognormal(0.0, 0.35, counts.size)
    return ZoneMix(
        sections=counts / counts.sum(),
        employees_below=_share(ref.employees, ref.respondents, rng, baseline),
        revenue_below=_share(ref.revenue, ref.respondents, rng, baseline),
        age_scale=5.0 if baseline else float(rng.uniform(6.0, 12.0)),
    )


def _share(t: Threshold, n: int, rng: np.random.Generator, baseline: bool) -> float:
    p = (t.below + PRIOR) / (n + 2 * PRIOR)
    return p if baseline else float(np.clip(p + rng.normal(0.0, 0.04), 0.5, 0.97))


def _counts(cb: Codebook, item_id: str, pairs: tuple[tuple[str, int], ...]) -> np.ndarray:
    """Counts aligned with the item's options (zero for options without a count)."""
    given = dict(pairs)
    return np.array([given.get(o.code, 0) for o in cb.item(item_id).options], dtype=np.int64)


def _allocate(
    rng: np.random.Generator, n: int, counts: np.ndarray, p: np.ndarray | None
) -> np.ndarray:
    """Category index per row: exactly `counts` (p None) or a multinomial draw, in random order."""
    drawn = counts if p is None else rng.multinomial(n, p)
    return rng.permutation(np.repeat(np.arange(drawn.size, dtype=np.int16), drawn))


def _ranked_values(
    rng: np.random.Generator, score: np.ndarray, below: int, low: np.ndarray, high: np.ndarray
) -> np.ndarray:
    """Sorted values handed out in ascending score: the `below` lowest scores get `low`."""
    values = np.concatenate([np.sort(low[:below]), np.sort(high[: score.size - below])])
    out = np.empty(score.size, dtype=values.dtype)
    out[np.argsort(score, kind="stable")] = values
    return out


def _divisions(
    rng: np.random.Generator, section: np.ndarray, ref: Reference, cb: Codebook, exact: bool
) -> np.ndarray:
    """A division inside each firm's section: baseline counts where given, else uniform."""
    division = np.zeros(section.size, dtype=np.int16)
    for s, option in enumerate(cb.item("A5_industry_section").options):
        rows = np.flatnonzero(section == s)
        if option.code in ref.divisions:
            codes = np.array([d for d, _ in ref.divisions[option.code]], dtype=np.int16)
            counts = np.array([k for _, k in ref.divisions[option.code]])
            p = None if exact else counts / counts.sum()
            division[rows] = codes[_allocate(rng, rows.size, counts, p)]
        else:
            ranges = option.extra["divisions"]
            allowed = np.concatenate([np.arange(a, b + 1) for a, b in ranges]).astype(np.int16)
            division[rows] = rng.choice(allowed, size=rows.size)
    return division


def _names(rng: np.random.Generator, zone: Zone, section: np.ndarray, cb: Codebook) -> np.ndarray:
    n = section.size
    words = [
        np.array(SECTION_WORDS.get(o.code, OTHER_WORDS))
        for o in cb.item("A5_industry_section").options
    ]
    pick = rng.integers(0, 64, size=n)
    word = np.empty(n, dtype=object)
    for s, options in enumerate(words):
        rows = section == s
        word[rows] = options[pick[rows] % options.size]
    brand = np.strings.add(
        BRAND_CHARS[rng.integers(0, BRAND_CHARS.size, n)],
        BRAND_CHARS[rng.integers(0, BRAND_CHARS.size, n)],
    )
    name = np.strings.add(np.strings.add(zone.place_zh, brand), word.astype(str))
    return np.strings.add(name, "有限公司")


def contacts(rng: np.random.Generator, n: int) -> np.ndarray:
    """Respondent name and mobile number, e.g. 王伟，13812345678."""
    given = np.strings.add(
        GIVEN_CHARS[rng.integers(0, GIVEN_CHARS.size, n)],
        np.where(rng.random(n) < 0.6, GIVEN_CHARS[rng.integers(0, GIVEN_CHARS.size, n)], ""),
    )
    person = np.strings.add(SURNAMES[rng.integers(0, SURNAMES.size, n)], given)
    digits = np.strings.zfill(rng.integers(0, 10**8, n).astype(str), 8)
    phone = np.strings.add(MOBILE_PREFIXES[rng.integers(0, MOBILE_PREFIXES.size, n)], digits)
    return np.strings.add(np.strings.add(person, "，"), phone)


def _usccs(rng: np.random.Generator, n: int, zone: Zone, taken: np.ndarray) -> np.ndarray:
    """Valid codes of the zone's division, distinct from the zone's earlier enterprises."""
    division = np.full(n, zone.admin_division)
    codes = uscc.generate(rng, n, division)  # distinct within the batch
    clash = np.isin(codes, taken)
    while clash.any():  # rare: redraw the clashing codes until all are new and distinct
        codes[clash] = uscc.generate(rng, int(clash.sum()), division[clash])
        _, first = np.unique(codes, return_index=True)
        clash = np.ones(n, dtype=bool)
        clash[first] = False
        clash |= np.isin(codes, taken)
    return codes


def born(
    rng: np.random.Generator,
    n: int,
    wave: int,
    zone: Zone,
    mix: ZoneMix,
    ref: Reference,
    cb: Codebook,
    exact: bool,
    taken: np.ndarray,
) -> Firms:
    """`n` new enterprises entering the survey in `wave` (exact: the baseline's counts)."""
    section = _allocate(
        rng, n, _counts(cb, "A5_industry_section", ref.sections), None if exact else mix.sections
    )
    ownership_counts = _counts(cb, "A4_ownership", ref.ownership)
    ownership_p = (ownership_counts + PRIOR) / (ownership_counts + PRIOR).sum()
    ownership = _allocate(rng, n, ownership_counts, None if exact else ownership_p)
    age = np.floor(rng.exponential(mix.age_scale, n))
    age = np.where(rng.random(n) < 0.08, rng.integers(10, 45, n), age)
    founded = np.clip(wave - age, EARLIEST_FOUNDING, wave).astype(np.int16)
    size = rng.standard_normal(n)
    emp_below = ref.employees.below if exact else int(rng.binomial(n, mix.employees_below))
    rev_below = ref.revenue.below if exact else int(rng.binomial(n, mix.revenue_below))
    emp_t, rev_t = ref.employees.threshold, ref.revenue.threshold
    employees = _ranked_values(
        rng,
        size + 0.5 * rng.standard_normal(n),
        emp_below,
        np.floor(np.exp(rng.uniform(0.0, np.log(emp_t), n))).astype(np.int64),
        np.minimum(np.floor(emp_t * np.exp(rng.exponential(0.9, n))), 6000).astype(np.int64),
    )
    revenue = _ranked_values(
        rng,
        size + 0.5 * rng.standard_normal(n),
        rev_below,
        np.minimum(np.round(np.exp(rng.uniform(np.log(20.0), np.log(rev_t), n)), 1), rev_t - 0.1),
        np.round(rev_t * np.exp(rng.exponential(1.0, n)), 1),
    )
    return Firms(
        uscc=_usccs(rng, n, zone, taken),
        name=_names(rng, zone, section, cb),
        section=section,
        division=_divisions(rng, section, ref, cb, exact),
        founded=founded,
        ownership=ownership,
        size=size,
        propensity=rng.standard_normal(n),
        employees=employees,
        revenue=revenue,
        assets=np.round(revenue * rng.lognormal(-0.1, 0.6, n), 1),
    )


def one_year_later(rng: np.random.Generator, firms: Firms) -> Firms:
    """Everyone grows a little; digital propensity drifts slowly."""
    n = len(firms)
    return Firms(
        uscc=firms.uscc,
        name=firms.name,
        section=firms.section,
        division=firms.division,
        founded=firms.founded,
        ownership=firms.ownership,
        size=firms.size,
        propensity=firms.propensity + rng.normal(0.0, 0.15, n),
        employees=np.maximum(1, np.round(firms.employees * rng.lognormal(0.03, 0.12, n))).astype(
            np.int64
        ),
        revenue=np.round(firms.revenue * rng.lognormal(0.06, 0.2, n), 1),
        assets=np.round(firms.assets * rng.lognormal(0.05, 0.15, n), 1),
    )
