"""One zone across the waves: who answers (a panel), and what they answer.

Every wave from the first (2020) to the last requested one is simulated, so a
wave's data never depends on which other waves were asked for. Random streams
are keyed by (seed, zone, wave, purpose): adding zones or waves leaves the
others' bytes unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from orchestration.codebook import Codebook
from orchestration.demo.answers import SKIPPED, Columns, Draw, draw_answers, rank_assign
from orchestration.demo.firms import Firms, born, contacts, one_year_later, zone_mix
from orchestration.demo.reference import Reference
from orchestration.demo.register import size_classes, zone_register
from orchestration.demo.zones import FIRST_WAVE, Zone

DEMO_SIZE = (80, 400)  # respondents per zone-wave in the demo
PANEL_SHARE = (0.60, 0.75)  # share of a wave's respondents answering again next wave
# Paper forms are keyed by hand: a zone-wave never has more than this many (the
# demo's largest zone-wave); respondents beyond it answer online. Keeps XLSX
# writing (the slow part) bounded at scale.
PAPER_CAP = 400


@dataclass(frozen=True)
class Settings:
    seed: int
    firms_per_zone: int | None
    paper_share: float | None


@dataclass(frozen=True)
class WaveSample:
    zone: Zone
    wave: int
    version: str
    paper: np.ndarray  # bool per respondent
    values: Columns  # canonical columns (choice items as option indices)
    register: list[tuple[str, str, str, int]]

    @property
    def size(self) -> int:
        return int(self.paper.size)


def _streams(settings: Settings, zone: Zone, wave: int) -> list[np.random.Generator]:
    seq = np.random.SeedSequence([settings.seed, zone.index, wave])
    return [np.random.default_rng(s) for s in seq.spawn(3)]  # panel, births, answers


def _next_size(rng: np.random.Generator, previous: int | None, settings: Settings) -> int:
    if settings.firms_per_zone is not None:
        return settings.firms_per_zone
    if previous is None:
        return int(rng.integers(DEMO_SIZE[0], DEMO_SIZE[1] + 1))
    return int(np.clip(round(previous * rng.uniform(0.9, 1.25)), *DEMO_SIZE))


def _returners(rng: np.random.Generator, previous: np.ndarray, n: int) -> np.ndarray:
    m = previous.size
    low, high = int(np.ceil(PANEL_SHARE[0] * m)), int(np.floor(PANEL_SHARE[1] * m))
    r = min(int(np.clip(round(rng.uniform(*PANEL_SHARE) * m), low, max(low, high))), n)
    return rng.choice(previous, size=r, replace=False)


def simulate_zone(
    zone: Zone,
    waves: tuple[int, ...],
    settings: Settings,
    ref: Reference,
    cb: Codebook,
) -> Iterator[WaveSample]:
    """The zone's samples for the requested waves, in wave order."""
    zone_rng = np.random.default_rng([settings.seed, zone.index])
    baseline_zone = zone.index == 0 and settings.firms_per_zone is None
    mix = zone_mix(zone_rng, ref, cb, baseline=zone.index == 0)
    paper_level = float(zone_rng.normal(0.0, 0.04)) + (0.08 if zone.far else 0.0)
    register_factor = float(zone_rng.uniform(15.0, 50.0))
    firms: Firms | None = None
    ids = np.zeros(0, dtype=np.int64)
    n: int | None = None
    for wave in range(FIRST_WAVE, max(waves) + 1):
        panel_rng, birth_rng, answer_rng = _streams(settings, zone, wave)
        exact = baseline_zone and wave == ref.wave
        n = ref.respondents if exact else _next_size(panel_rng, n, settings)
        if firms is None:
            firms = born(birth_rng, n, wave, zone, mix, ref, cb, exact, np.zeros(0, str))
            ids = np.arange(n)
        else:
            firms = one_year_later(panel_rng, firms)
            keep = _returners(panel_rng, ids, n)
            new = born(birth_rng, n - keep.size, wave, zone, mix, ref, cb, False, firms.uscc)
            ids = panel_rng.permutation(np.concatenate([keep, len(firms) + np.arange(len(new))]))
            firms = firms.concat(new)
        if wave in waves:
            draw = Draw(answer_rng, cb.version_for_wave(wave), exact, zone.shift(wave))
            paper_share = settings.paper_share
            if paper_share is None and not exact:
                paper_share = np.clip(0.6 - 0.07 * (wave - FIRST_WAVE) + paper_level, 0.05, 0.75)
            sample = _respondents(draw, zone, wave, firms, ids, ref, cb, paper_share)
            factor = register_factor * 1.04 ** (wave - FIRST_WAVE)
            yield _with_register(sample, answer_rng, cb, factor)


def _respondents(
    draw: Draw,
    zone: Zone,
    wave: int,
    firms: Firms,
    ids: np.ndarray,
    ref: Reference,
    cb: Codebook,
    paper_share: float | None,
) -> WaveSample:
    rng, n = draw.rng, ids.size
    propensity = firms.propensity[ids] + rng.normal(0.0, 0.3, n)
    size = firms.size[ids]
    # less digital firms more often fill in paper forms
    n_paper = ref.paper if paper_share is None else int(rng.binomial(n, paper_share))
    paper = np.zeros(n, dtype=bool)
    rank_assign(
        paper,
        -0.5 * propensity + rng.standard_normal(n),
        np.arange(n),
        np.array([True, False]),
        np.array([min(n_paper, PAPER_CAP), n - min(n_paper, PAPER_CAP)]),
    )
    values: Columns = {
        "A1_uscc": firms.uscc[ids],
        "A2_name": firms.name[ids],
        "A3_zone": np.full(n, zone.zone_id),
        "A4_ownership": firms.ownership[ids],
        "A5_industry_section": firms.section[ids],
        "A6_industry_division": firms.division[ids].astype(np.int64),
        "A7_founded_year": firms.founded[ids].astype(np.int64),
        "A8_employees": firms.employees[ids],
        "A9_revenue": firms.revenue[ids],
        "A10_assets": firms.assets[ids],
        "A11_respondent_role": _roles(draw, ref, cb, n),
        "A13_respondent_contact": contacts(rng, n),
    }
    if cb.item("A8b_employees_band").in_version(draw.version):
        values["A8b_employees_band"] = _band(cb, "A8b_employees_band", values["A8_employees"])
    draw_answers(ref.steps, cb, values, draw, propensity, size)
    return WaveSample(zone, wave, draw.version, paper, values, [])


def _roles(draw: Draw, ref: Reference, cb: Codebook, n: int) -> np.ndarray:
    options = cb.item("A11_respondent_role").options
    given = dict(ref.roles)
    counts = np.array([given.get(o.code, 0) for o in options], dtype=np.int64)
    if not draw.exact:
        counts = draw.rng.multinomial(n, (counts + 0.5) / (counts + 0.5).sum())
    out = np.full(n, SKIPPED, dtype=np.int16)
    order = np.arange(len(options), dtype=np.int16)
    rank_assign(out, draw.rng.standard_normal(n), np.arange(n), order, counts)
    return out


def _band(cb: Codebook, item_id: str, values: np.ndarray) -> np.ndarray:
    """Option index of the band (codebook min/max) holding each value."""
    options = cb.item(item_id).options
    lows = np.array([o.extra.get("min", 0) for o in options])
    return (np.searchsorted(lows, values, side="right") - 1).astype(np.int16)


def _with_register(
    sample: WaveSample, rng: np.random.Generator, cb: Codebook, factor: float
) -> WaveSample:
    v = sample.values
    classes = size_classes(
        cb, v["A6_industry_division"], v["A8_employees"], v["A9_revenue"], v["A10_assets"]
    )
    register = zone_register(
        rng, sample.zone.zone_id, cb, v["A5_industry_section"], classes, factor
    )
    return WaveSample(sample.zone, sample.wave, sample.version, sample.paper, v, register)
