"""The site is a public product: it shows nothing the public release does not publish,
and building it reads no file outside the release.

- Value by value: every number in the built data chunks, and every estimate cell by
  its keys, is a value of the public Parquet files (compared exactly, as published).
- Files: `build_site` runs under `strace` in a fresh interpreter; every data file it
  opens is in the public folder or is the dashboards' own code and vendored scripts.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.disclosure.site_values import estimate_cells_differing, unpublished_numbers

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
# Data files the site must never read (seeds, definitions, codebook, DBs, other releases).
DATA_SUFFIXES = {".csv", ".yaml", ".yml", ".json", ".parquet", ".duckdb", ".jsonl", ".xlsx"}


def test_every_number_of_the_built_data_is_a_published_value(built_site) -> None:
    checked, missing = unpublished_numbers(built_site.public, built_site.report.out_dir)
    assert missing == []
    assert checked > 1000


def test_every_estimate_cell_of_the_built_data_is_the_published_cell(built_site) -> None:
    checked, differing = estimate_cells_differing(built_site.public, built_site.report.out_dir)
    assert differing == []
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
