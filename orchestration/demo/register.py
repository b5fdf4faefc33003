"""MIIT size classes from the codebook thresholds, and the zone register built on them."""

from __future__ import annotations

import numpy as np

from orchestration.codebook import Codebook

MAX_DIVISION = 100
REGISTER_HEADER = ("zone_id", "industry_section", "size_class", "n_enterprises")


def size_classes(
    cb: Codebook,
    division: np.ndarray,
    employees: np.ndarray,
    revenue: np.ndarray,
    assets: np.ndarray,
) -> np.ndarray:
    """Index into `cb.size_class_order` per firm: the highest class whose lower bounds it meets."""
    group_of = np.full(MAX_DIVISION, -1, dtype=np.int16)
    for g, group in enumerate(cb.size_class_groups):
        for first, last in group.divisions:
            group_of[first : last + 1] = g
    group = group_of[division]
    if (group < 0).any():
        bad = sorted(set(division[group < 0].tolist()))
        raise ValueError(f"codebook size_classes: no group for divisions {bad}")
    measures = {"employees": employees, "revenue": revenue, "assets": assets}
    out = np.zeros(division.size, dtype=np.int16)  # micro
    for g, spec in enumerate(cb.size_class_groups):
        in_group = group == g
        for c, name in enumerate(cb.size_class_order):  # ascending, so the highest met wins
            bounds = spec.bounds.get(name)
            if not bounds:
                continue
            meets = in_group.copy()
            for measure, lower in bounds.items():
                meets &= measures[measure] >= lower
            out[meets] = c
    return out


def zone_register(
    rng: np.random.Generator,
    zone_id: str,
    cb: Codebook,
    section: np.ndarray,
    size_class: np.ndarray,
    factor: float,
) -> list[tuple[str, str, str, int]]:
    """Population counts per industry section x size class: the sample's cells scaled up.

    Every cell holds more enterprises than the sample has there, so weights exceed 1.
    """
    sections = cb.item("A5_industry_section").options
    n_classes = len(cb.size_class_order)
    cell = section.astype(np.int64) * n_classes + size_class
    cells, counts = np.unique(cell, return_counts=True)
    scaled = np.round(counts * factor * rng.lognormal(0.0, 0.2, counts.size)).astype(np.int64)
    population = np.maximum(scaled, counts + 1)
    return [
        (zone_id, sections[c // n_classes].code, cb.size_class_order[c % n_classes], int(k))
        for c, k in zip(cells.tolist(), population.tolist(), strict=True)
    ]
