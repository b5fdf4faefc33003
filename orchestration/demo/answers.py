"""Questionnaire answers for one zone-wave sample, drawn in bulk by ranking.

Every answer is assigned by ranking the eligible respondents on a score
(propensity, size and noise) and giving the top ranks the most digital codes.
The number of respondents per code is either the baseline count itself (exact
mode: zone SH-01, wave 2020) or a draw from the baseline distribution shifted by
the zone-wave's adoption level. Ranking makes exact counts and realistic
correlations compatible, and never loops over respondents.

Columns are numpy arrays: choice items hold the index of the code in
`Item.options` (-1 = skipped), multi option columns hold 1/0 (-1 = skipped).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from orchestration.codebook import Codebook, Condition, Item
from orchestration.demo.reference import Part, Step

SKIPPED = -1
# Prior counts added to each code outside the baseline, so that codes absent in
# 2020 (e.g. data spending above RMB 100k) can appear in other zone-waves.
PRIOR = 0.5
# Above this many rows, ranking selects cut points instead of sorting (much faster).
SORT_LIMIT = 20_000

Columns = dict[str, np.ndarray]


@dataclass(frozen=True)
class Draw:
    """What one zone-wave's draws depend on besides the sample itself."""

    rng: np.random.Generator
    version: str
    exact: bool  # reproduce the baseline counts exactly
    shift: float  # adoption shift of the zone-wave, in logits


class ReferenceMismatch(RuntimeError):
    """The baseline counts of reference.yaml do not fit the sample (a bug in the model)."""


def code_index(item: Item, codes: tuple[str, ...] | list[str]) -> np.ndarray:
    lookup = {o.code: i for i, o in enumerate(item.options)}
    return np.array([lookup[c] for c in codes], dtype=np.int16)


def holds(cond: Condition, cols: Columns, cb: Codebook, n: int) -> np.ndarray:
    """Rows where a codebook condition holds; an item absent from the version never holds."""
    if cond.item not in cols:
        return np.zeros(n, dtype=bool)
    values = cols[cond.item]
    member = np.isin(values, code_index(cb.item(cond.item), cond.codes))
    return (~member & (values != SKIPPED)) if cond.negate else member


def shift_ordered(p: np.ndarray, shift: float) -> np.ndarray:
    """Move probability mass towards the first codes by `shift` cumulative logits."""
    if shift == 0.0 or p.size < 2:
        return p
    cum = np.clip(np.cumsum(p)[:-1], 1e-12, 1 - 1e-12)
    moved = 1.0 / (1.0 + np.exp(-(np.log(cum / (1 - cum)) + shift)))
    return np.diff(np.concatenate([[0.0], moved, [1.0]]))


def rank_assign(
    out: np.ndarray, score: np.ndarray, rows: np.ndarray, values: np.ndarray, counts: np.ndarray
) -> None:
    """Give `values[j]` to the next `counts[j]` rows of `rows` in descending score."""
    key = -score[rows]
    if rows.size <= SORT_LIMIT:
        out[rows[np.argsort(key, kind="stable")]] = np.repeat(values, counts)
        return
    # Large samples: cut points by selection instead of a full sort (same counts
    # unless two continuous scores tie exactly).
    ends = np.cumsum(counts)[:-1]
    inner = ends[(ends > 0) & (ends < rows.size)]
    ordered = np.partition(key, inner) if inner.size else key
    cuts = ordered[np.clip(ends, 0, rows.size - 1)]
    cuts = np.where(ends <= 0, -np.inf, np.where(ends >= rows.size, np.inf, cuts))
    out[rows] = values[np.searchsorted(cuts, key, side="right")]


def _score(step: Step, draw: Draw, propensity: np.ndarray, size: np.ndarray) -> np.ndarray:
    noise = draw.rng.standard_normal(propensity.size, dtype=np.float32)
    return step.w_propensity * propensity + step.w_size * size + noise


def _version_counts(step: Step, item: Item, version: str) -> tuple[list[str], np.ndarray]:
    """The step's codes and counts in this version: finer codes share a split code's count."""
    splits = dict(step.split)
    codes: list[str] = []
    counts: list[float] = []
    for code, count in step.counts:
        if item.option(code).in_version(version):
            codes.append(code)
            counts.append(float(count))
        elif code in splits:
            finer = [c for c in splits[code] if item.option(c).in_version(version)]
            codes += finer
            counts += [count / len(finer)] * len(finer)
    return codes, np.array(counts)


def _choice_counts(step: Step, counts: np.ndarray, n: int, draw: Draw) -> np.ndarray:
    if draw.exact:
        exact = np.floor(counts).astype(np.int64)
        exact[0] += round(float(counts.sum())) - int(exact.sum())
        if exact.sum() != n:
            raise ReferenceMismatch(f"{step.item}: baseline counts sum to {exact.sum()}, base {n}")
        return exact
    p = (counts + PRIOR) / (counts + PRIOR).sum()
    return draw.rng.multinomial(n, shift_ordered(p, draw.shift * step.drift))


def _asked(item: Item, cols: Columns, cb: Codebook, n: int) -> np.ndarray:
    return holds(item.asked_if, cols, cb, n) if item.asked_if else np.ones(n, dtype=bool)


def draw_choice(
    step: Step, cb: Codebook, cols: Columns, draw: Draw, propensity: np.ndarray, size: np.ndarray
) -> None:
    """An ordered or nominal single/band item, respecting asked_if and forced_if."""
    item = cb.item(step.item)
    n = propensity.size
    out = np.full(n, SKIPPED, dtype=np.int16)
    asked = _asked(item, cols, cb, n)
    forced = asked & holds(item.forced_if, cols, cb, n) if item.forced_if else np.zeros(n, bool)
    if item.forced_value is not None:
        out[forced] = code_index(item, [item.forced_value])[0]
    rows = np.flatnonzero(asked & ~forced)
    codes, counts = _version_counts(step, item, draw.version)
    drawn = _choice_counts(step, counts, rows.size, draw)
    rank_assign(out, _score(step, draw, propensity, size), rows, code_index(item, codes), drawn)
    cols[item.id] = out


def _part_rows(part: Part, item: Item, cols: Columns, cb: Codebook, n: int) -> np.ndarray:
    if part.when is not None:
        return holds(part.when, cols, cb, n)
    mask = np.zeros(n, dtype=bool)
    for code in part.when_any:
        mask |= cols[item.option_column(code)] == 1
    return mask


def _flag_count(part: Part, n: int, draw: Draw, step: Step, column: str) -> int:
    if draw.exact:
        if n != part.of:
            raise ReferenceMismatch(f"{column}: base {part.of} expected, sample has {n}")
        return part.k
    if part.structural:
        return n if part.k == part.of else 0
    p = (part.k + PRIOR) / (part.of + 2 * PRIOR)
    p = shift_ordered(np.array([p, 1 - p]), draw.shift * step.drift)[0]
    return int(draw.rng.binomial(n, p))


def draw_multi(
    step: Step, cb: Codebook, cols: Columns, draw: Draw, propensity: np.ndarray, size: np.ndarray
) -> None:
    """One 1/0 column per option of the version; parts split the asked respondents."""
    item = cb.item(step.item)
    n = propensity.size
    asked = _asked(item, cols, cb, n)
    flags = np.array([1, 0], dtype=np.int8)
    for code, parts in step.options:
        if not item.option(code).in_version(draw.version):
            continue
        column = item.option_column(code)
        out = np.where(asked, 0, SKIPPED).astype(np.int8)
        score = _score(step, draw, propensity, size)
        covered = np.zeros(n, dtype=bool)
        for part in parts:
            inside = asked & ~covered
            if not part.is_remainder:
                inside &= _part_rows(part, item, cols, cb, n)
            covered |= inside
            rows = np.flatnonzero(inside)
            k = _flag_count(part, rows.size, draw, step, column)
            rank_assign(out, score, rows, flags, np.array([k, rows.size - k]))
        cols[column] = out


def draw_answers(
    steps: tuple[Step, ...],
    cb: Codebook,
    cols: Columns,
    draw: Draw,
    propensity: np.ndarray,
    size: np.ndarray,
) -> None:
    """Run every step of the version in order, adding its columns to `cols`."""
    for step in steps:
        if not cb.item(step.item).in_version(draw.version):
            continue
        if step.kind == "multi":
            draw_multi(step, cb, cols, draw, propensity, size)
        else:
            draw_choice(step, cb, cols, draw, propensity, size)
