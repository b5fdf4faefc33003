"""The site against the public release, value by value: what a built dashboards folder
ships that the public release does not publish.

Written from the two contracts only: the site's data chunks (`data/*.js`, read back with
dashboards.packing) and the public Parquet files. Numbers are compared exactly, as
published (the site never rounds or recomputes a figure).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import duckdb

from dashboards.packing import chunk_name, unpack

# The short names of the estimate cubes (`ind/<indicator>`, `report/<wave>`.est) and the
# public_indicator_estimates column each one carries.
ESTIMATE_COLUMNS = {
    "s": "suppressed",
    "n": "n_base_rounded",
    "p": "weighted_estimate",
    "lo": "weighted_ci_low",
    "hi": "weighted_ci_high",
    "g": "quality_grade",
}


def site_chunks(site: Path) -> dict[str, Any]:
    """Every data chunk of a built site, by the name it registers (`ind/<indicator>`...)."""
    scripts = [p.read_bytes() for p in sorted((site / "data").iterdir())]
    return {chunk_name(s): unpack(s) for s in scripts}


def public_values(public: Path) -> set[Any]:
    """Every non-null value of every public table (numbers as float, text as is)."""
    values: set[Any] = set()
    with duckdb.connect() as con:
        for table in sorted(public.glob("*.parquet")):
            frame = con.execute("select * from read_parquet(?)", [str(table)]).df()
            for column in frame.columns:
                for v in frame[column].dropna().tolist():
                    values.add(float(v) if isinstance(v, int | float) else v)
    return values


def _numbers(node: Any) -> list[float]:
    """The numbers of a chunk's value arrays (axis keys left out: they are cell keys)."""
    if isinstance(node, dict):
        return [x for k, v in node.items() if k not in ("keys", "axes") for x in _numbers(v)]
    if isinstance(node, list):
        return [x for v in node for x in _numbers(v)]
    if isinstance(node, bool) or not isinstance(node, int | float):
        return []  # flags (`loaded`) and text
    return [float(node)]


def unpublished_numbers(public: Path, site: Path) -> tuple[int, list[tuple[str, float]]]:
    """(numbers checked, [(chunk, number)] that no public table holds). 0 and 1 are the
    withheld flags (`s`, `h`) and counts any release holds."""
    published = public_values(public)
    checked, missing = 0, []
    for name, chunk in site_chunks(site).items():
        for value in _numbers(chunk):
            checked += 1
            if value not in published and value not in (0.0, 1.0):
                missing.append((name, value))
    return checked, missing


def _cells(c: dict[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    """(flat index, {axis: key}) of every cell of a dense cube."""
    axes, keys = c["axes"], c["keys"]
    shape = [len(keys[a]) for a in axes]
    out = []
    for flat in range(math.prod(shape)):
        rest, where = flat, {}
        for axis, size in zip(reversed(axes), reversed(shape), strict=True):
            where[axis] = keys[axis][rest % size]
            rest //= size
        out.append((flat, where))
    return out


def _same(value: Any, expected: Any) -> bool:
    if expected is None or (isinstance(expected, float) and math.isnan(expected)):
        return value is None
    return value == expected


def estimate_cells_differing(public: Path, site: Path) -> tuple[int, list[str]]:
    """(cells checked, [differences]) of every estimate cube of the site against its
    public_indicator_estimates row, keyed by indicator, domain, zone and wave."""
    with duckdb.connect() as con:
        frame = con.execute(
            "select * from read_parquet(?)",
            [str(public / "public_indicator_estimates.parquet")],
        ).df()
    rows = {
        (r["indicator_id"], r["domain"], r["zone_id"], int(r["wave_id"])): r
        for r in frame.to_dict("records")
    }
    checked, differing = 0, []
    for name, chunk in site_chunks(site).items():
        kind, _, key = name.partition("/")
        if kind == "ind":
            cubes = [(chunk, {"indicator_id": key})]
        elif kind == "report":
            cubes = [(chunk["est"], {"wave_id": int(key)})]
        else:
            continue
        for c, fixed in cubes:
            for flat, where in _cells(c):
                if c["s"][flat] is None:
                    continue  # no cell in the site
                at = {**fixed, **where}
                row = rows.get((at["indicator_id"], at["domain"], at["zone_id"], at["wave_id"]))
                if row is None:
                    differing.append(f"{name} {at}: no public row")
                    continue
                for short, column in ESTIMATE_COLUMNS.items():
                    value, expected = c[short][flat], row[column]
                    if short == "s":
                        expected, value = bool(expected), bool(value)
                    if not _same(value, expected):
                        differing.append(f"{name} {at} {column}: {value!r} != {expected!r}")
                checked += 1
    return checked, differing
