"""The site is a public product: it shows nothing the public release does not publish,
and building it reads no file outside the release.

- Value by value: every number in the built data chunks, and every estimate cell by
  its keys, is a value of the public Parquet files (compared exactly, as published).
- Files: `build_site` runs under `strace` in a fresh interpreter; every data file it
  opens is in the public folder or is the dashboards' own code and vendored scripts.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from dashboards.packing import chunk_name, unpack

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
# Data files the site must never read (seeds, definitions, codebook, DBs, other releases).
DATA_SUFFIXES = {".csv", ".yaml", ".yml", ".json", ".parquet", ".duckdb", ".jsonl", ".xlsx"}


def chunks(out: Path) -> dict[str, object]:
    """Every data chunk of the built site, by the name it registers (`ind/<indicator>`...)."""
    scripts = [p.read_bytes() for p in sorted((out / "data").iterdir())]
    return {chunk_name(s): unpack(s) for s in scripts}


def public_values(folder: Path) -> set[object]:
    """Every non-null value of every public table (numbers as float, text as is)."""
    values: set[object] = set()
    with duckdb.connect() as con:
        for table in sorted(folder.glob("*.parquet")):
            frame = con.execute("select * from read_parquet(?)", [str(table)]).df()
            for column in frame.columns:
                for v in frame[column].dropna().tolist():
                    values.add(float(v) if isinstance(v, int | float) else v)
    return values


def numbers_in(node: object, skip_keys: bool = True) -> list[float]:
    """The numbers of a chunk's value arrays (axis keys left out: they are the cells' keys)."""
    found: list[float] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if skip_keys and key in ("keys", "axes"):
                continue
            found += numbers_in(value, skip_keys)
    elif isinstance(node, list):
        for value in node:
            found += numbers_in(value, skip_keys)
    elif isinstance(node, bool):
        pass  # flags: `suppressed`, `loaded`
    elif isinstance(node, int | float):
        found.append(float(node))
    return found


def test_every_number_of_the_built_data_is_a_published_value(built_site) -> None:
    published = public_values(built_site.public)
    built = chunks(built_site.report.out_dir)
    checked = 0
    for name, chunk in built.items():
        for value in numbers_in(chunk):
            # 0/1: a withheld flag (s, h) or a count; a zero or one is in any release.
            assert value in published or value in (0.0, 1.0), (name, value)
            checked += 1
    assert checked > 1000


def test_every_estimate_cell_of_the_built_data_is_the_published_cell(built_site) -> None:
    with duckdb.connect() as con:
        frame = con.execute(
            "select * from read_parquet(?)",
            [str(built_site.public / "public_indicator_estimates.parquet")],
        ).df()
    cells = {
        (r["indicator_id"], r["domain"], r["zone_id"], int(r["wave_id"])): r
        for r in frame.to_dict("records")
    }
    names = {"n": "n_base_rounded", "p": "weighted_estimate", "lo": "weighted_ci_low"}
    names |= {"hi": "weighted_ci_high", "g": "quality_grade", "s": "suppressed"}
    checked = 0
    for file, chunk in chunks(built_site.report.out_dir).items():
        kind, _, key = file.partition("/")
        cubes = []
        if kind == "ind":
            cubes.append((chunk, {"indicator_id": key}))
        if kind == "report":
            cubes.append((chunk["est"], {"wave_id": int(key)}))
        for c, fixed in cubes:
            axes, keys = c["axes"], c["keys"]
            shape = [len(keys[a]) for a in axes]
            for flat in range(math.prod(shape)):
                if c["s"][flat] is None:
                    continue
                index, rest = [], flat
                for size in reversed(shape):
                    index.append(rest % size)
                    rest //= size
                where = {a: keys[a][i] for a, i in zip(axes, reversed(index), strict=True)}
                where = {**fixed, **where}
                row = cells[
                    (where["indicator_id"], where["domain"], where["zone_id"], where["wave_id"])
                ]
                for short, column in names.items():
                    value, expected = c[short][flat], row[column]
                    if short == "s":
                        assert bool(value) == bool(expected), (file, where)
                    elif expected is None or (isinstance(expected, float) and math.isnan(expected)):
                        assert value is None, (file, where, short)
                    else:
                        assert value == expected, (file, where, short, value, expected)
                checked += 1
    assert checked > 1000


def opened_files(trace: Path) -> set[Path]:
    """Paths a process tree opened successfully, from `strace -f -e trace=open,openat`."""
    opened = set()
    pattern = re.compile(r'open(?:at)?\((?:[^,]+, )?"([^"]+)", ([^)]*)\) = \d+')
    for line in trace.read_text(errors="replace").splitlines():
        match = pattern.search(line)
        if match and "O_DIRECTORY" not in match.group(2):
            opened.add(Path(match.group(1)))
    return opened


def test_building_the_site_reads_no_file_outside_the_public_release(
    built_site, tmp_path: Path
) -> None:
    strace = shutil.which("strace")
    if strace is None:
        pytest.fail("strace is not installed (make test installs it: `make strace`)")
    # A copy of the public folder alone, away from the fixture's internal DB.
    public = tmp_path / "release" / "public"
    shutil.copytree(built_site.public, public)
    out, trace = tmp_path / "site", tmp_path / "trace.txt"
    script = (
        "from pathlib import Path; import sys; from dashboards.site import build_site; "
        "build_site(Path(sys.argv[1]), Path(sys.argv[2]))"
    )
    env = {**os.environ, "SMESURVEY_HOME": str(tmp_path / "no-home")}
    traced = [strace, "-f", "-qq", "-o", str(trace), "-e", "trace=open,openat"]
    done = subprocess.run(
        [*traced, sys.executable, "-c", script, str(public), str(out)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    files = {p.resolve() for p in opened_files(trace) if p.suffix in DATA_SUFFIXES}
    outside = sorted(
        str(p)
        for p in files
        if not p.is_relative_to(public.resolve())
        and not p.is_relative_to(out.resolve())
        and not p.is_relative_to(REPO / "dashboards")
        and not p.is_relative_to(Path(sys.prefix).resolve())
        and not p.is_relative_to(Path(sys.base_prefix).resolve())
    )
    assert outside == []
    read = {p.name for p in files if p.is_relative_to(public.resolve())}
    assert "public_indicator_estimates.parquet" in read and "dim_indicator.parquet" in read
    # and nothing of the repository's data: seeds, definitions, codebook
    assert not any(p.is_relative_to(REPO / "dbt_project") for p in opened_files(trace))
