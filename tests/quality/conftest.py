"""Test frames built from the codebook: N valid rows of canonical strings for a version."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from orchestration import uscc
from orchestration.codebook import Codebook, Condition, load_codebook

CB = load_codebook()
ZONE = "Z01"


def _holds(cond: Condition, columns: dict[str, np.ndarray]) -> np.ndarray:
    inside = np.isin(columns[cond.item].astype(str), cond.codes) & (columns[cond.item] != None)  # noqa: E711
    return ~inside if cond.negate else inside


def _divisions(cb: Codebook, rng: np.random.Generator, sections: np.ndarray) -> np.ndarray:
    """A two-digit division inside each row's section (codebook `divisions`)."""
    out = np.empty(sections.size, dtype=object)
    for option in cb.item("A5_industry_section").options:
        allowed = np.concatenate(
            [np.arange(int(lo), int(hi) + 1) for lo, hi in option.extra["divisions"]]
        )
        rows = sections == option.code
        out[rows] = rng.choice(allowed, size=int(rows.sum())).astype(str)
    return out


def valid_frame(
    version: str,
    n: int,
    *,
    wave_id: int | None = None,
    zone_id: str = ZONE,
    seed: int = 0,
    cb: Codebook = CB,
) -> pa.Table:
    """`n` rows that satisfy every rule of the version, as the ingestion hands them over."""
    rng = np.random.default_rng(seed)
    wave = wave_id or cb.instruments[version]["first_wave"]
    mode = rng.choice(["electronic", "paper"], size=n)
    cols: dict[str, np.ndarray] = {}
    for item in cb.items_for(version):
        if item.source == "delivery":
            cols[item.id] = mode.astype(object)
        elif item.is_multi:
            for col in item.columns(version):
                cols[col] = rng.choice(np.array(["1", "0"], dtype=object), size=n)
        elif item.is_choice:
            cols[item.id] = rng.choice(
                np.array([o.code for o in item.options_for(version)], dtype=object), size=n
            )
        elif item.type == "int":
            low = item.range.get("min", 0)
            high = wave if item.range.get("max") == "wave" else item.range.get("max", 5000)
            cols[item.id] = rng.integers(low, high + 1, size=n).astype(str).astype(object)
        elif item.type == "num":
            cols[item.id] = np.round(rng.uniform(0, 50_000, size=n), 1).astype(str).astype(object)
        else:
            cols[item.id] = np.array([f"{item.id}-{i}" for i in range(n)], dtype=object)
    cols["A1_uscc"] = uscc.generate(rng, n).astype(object)
    cols["A3_zone"] = np.full(n, zone_id, dtype=object)
    cols["A6_industry_division"] = _divisions(cb, rng, cols["A5_industry_section"])
    for item in cb.items_for(version):
        columns = item.columns(version)
        if item.forced_if is not None:
            forced = _holds(item.forced_if, cols)
            cols[item.id][forced] = item.forced_value
        if item.asked_if is not None:
            skipped = ~_holds(item.asked_if, cols)
            for col in columns:
                cols[col][skipped] = None
        if item.modes is not None:
            off = ~np.isin(mode, item.modes)
            for col in columns:
                cols[col][off] = None
    is_paper = mode == "paper"
    source_row = np.where(is_paper, np.cumsum(is_paper), np.cumsum(~is_paper))
    provenance = {
        "delivery_id": pa.array(np.full(n, f"{zone_id}-{wave}-test", dtype=object)),
        "zone_id": pa.array(np.full(n, zone_id, dtype=object)),
        "wave_id": pa.array(np.full(n, wave, dtype=np.int32)),
        "instrument_version": pa.array(np.full(n, version, dtype=object)),
        "mode": pa.array(mode.astype(object)),
        "source_file": pa.array(
            np.where(is_paper, "paper_entries.xlsx", "platform_export.csv").astype(object)
        ),
        "source_row": pa.array(source_row.astype(np.int32)),
    }
    data = {name: pa.array(values, type=pa.string()) for name, values in cols.items()}
    return pa.table({**provenance, **data})


@pytest.fixture
def make_frame() -> Callable[..., pa.Table]:
    return valid_frame


def set_value(table: pa.Table, column: str, row: int, value: str | None) -> pa.Table:
    """A copy of `table` with one cell replaced (test defects are injected this way)."""
    values = table[column].to_numpy(zero_copy_only=False).astype(object)
    values[row] = value
    i = table.column_names.index(column)
    return table.set_column(i, column, pa.array(values, type=table.schema.field(column).type))


# The staged model's key and provenance columns, from a frame as `valid_frame` makes it.
STAGED_COLUMNS_SQL = (
    "md5(delivery_id || source_file || source_row) as response_id, "
    "md5(A1_uscc) as enterprise_key, delivery_id, zone_id, wave_id, "
    "instrument_version, mode, source_file, source_row"
)


def staged_select(present: set[str]) -> str:
    """The staged model's shape of a text frame: typed columns, restricted items dropped."""
    parts = []
    for item in CB.items:
        if item.restricted:
            continue
        for col in (
            (item.option_column(o.code) for o in item.options) if item.is_multi else [item.id]
        ):
            source = f'"{col}"' if col in present else "null"
            kind = {"int": "bigint", "num": "double"}.get(item.type, "varchar")
            kind = "boolean" if item.is_multi else kind
            parts.append(f'cast({source} as {kind}) as "{col}"')
    return ", ".join(parts)


@pytest.fixture(scope="session")
def clean_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the corpus's clean demo deliveries are generated (once per session and wave;
    tests/quality/test_corpus.py and test_corpus_cli.py)."""
    return tmp_path_factory.mktemp("corpus-clean")
