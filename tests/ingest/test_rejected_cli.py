"""`smesurvey rejected ZONE WAVE`: the rows the gate rejected, one command away (real CLI)."""

from __future__ import annotations

import codecs
import csv
import io
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from orchestration.demo.generator import GeneratorConfig, write_deliveries
from orchestration.pipeline import GateBlocked, ingest_zone_wave
from orchestration.settings import Home
from tests.support.timeouts import HANG_GUARD

ZONE, WAVE = "SH-01", 2021
FOUNDED = "7、企业成立年份"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("generated")
    write_deliveries(GeneratorConfig(zones=1, waves=(WAVE,), seed=3, firms_per_zone=60), root)
    return root / ZONE / str(WAVE)


def _decode(raw: bytes) -> tuple[str, str]:
    if raw.startswith(codecs.BOM_UTF8):
        return raw[len(codecs.BOM_UTF8) :].decode("utf-8"), "utf-8-sig"
    return raw.decode("gb18030"), "gb18030"


def deliver_with_bad_years(generated: Path, home: Home, data_rows: list[int]) -> None:
    """Copy the delivery into the inbox with a founding year of 1800 in `data_rows` (1-based)."""
    target = home.inbox / ZONE / str(WAVE)
    shutil.copytree(generated, target)
    path = target / "platform_export.csv"
    text, encoding = _decode(path.read_bytes())
    rows = list(csv.reader(io.StringIO(text)))
    column = rows[0].index(FOUNDED)
    for n in data_rows:
        rows[n][column] = "1800"
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    path.write_bytes(out.getvalue().encode(encoding))


def smesurvey(home: Home, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "orchestration.cli", "--home", str(home.root), *args],
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
    )


def test_a_loaded_delivery_shows_its_rejected_row(generated: Path, tmp_path: Path) -> None:
    home = Home(tmp_path / "home").ensure()
    deliver_with_bad_years(generated, home, [4])
    ingested = ingest_zone_wave(home, ZONE, WAVE)
    assert ingested.result.rows_rejected == 1

    done = smesurvey(home, "rejected", ZONE, str(WAVE), "--csv", str(tmp_path / "rejected.csv"))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith(f"{ZONE}/{WAVE} delivery {ingested.landing.delivery_id} (loaded")
    assert "1 broke a rule" in lines[0]
    assert any("1800" in line and "A7_founded_year" in line for line in lines)

    raw = (tmp_path / "rejected.csv").read_bytes()
    assert raw.startswith(codecs.BOM_UTF8)
    written = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [(r["source_file"], r["column_name"], r["value"]) for r in written] == [
        ("platform_export.csv", "A7_founded_year", "1800")
    ]
    # Rows are counted under the header, as the survey team numbers respondents.
    assert written[0]["source_row"] == "4"


def test_a_blocked_delivery_names_its_broken_rows_and_most_frequent_value(
    generated: Path, tmp_path: Path
) -> None:
    home = Home(tmp_path / "home").ensure()
    bad = list(range(1, 13))
    deliver_with_bad_years(generated, home, bad)
    with pytest.raises(GateBlocked):
        ingest_zone_wave(home, ZONE, WAVE)

    done = smesurvey(home, "rejected", ZONE, str(WAVE), "--limit", "3")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "(blocked" in out.splitlines()[0]
    assert f"{len(bad)} broke a rule" in out.splitlines()[0]
    assert out.splitlines()[1].startswith("reason: ")
    summary = next(
        line
        for line in out.splitlines()
        if line.startswith("A7_founded_year") or " A7_founded_year " in line
    )
    assert "1800" in summary and str(len(bad)) in summary
    assert f"... {len(bad) - 3} more; --csv FILE writes them all" in out

    # status: none of the 60 rows was loaded, but only the 12 bad ones broke a rule
    status = smesurvey(home, "status", "--zone", ZONE)
    header = next(line for line in status.stdout.splitlines() if line.startswith("zone "))
    assert header.split()[3:9] == ["read", "accepted", "not", "loaded", "broke", "a"]
    row = next(line for line in status.stdout.splitlines() if line.startswith(f"{ZONE} "))
    assert row.split()[3:7] == ["60", "0", "60", str(len(bad))]


def test_a_zone_wave_without_deliveries_is_one_line(tmp_path: Path) -> None:
    home = Home(tmp_path / "home").ensure()
    done = smesurvey(home, "rejected", ZONE, str(WAVE))
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"smesurvey: {home.build_db}: no build DB yet (nothing was ingested)"
    ]


def test_status_lists_a_refusal_until_a_later_delivery_of_its_zone_wave_loads(
    generated: Path, tmp_path: Path
) -> None:
    home = Home(tmp_path / "home").ensure()
    deliver_with_bad_years(generated, home, list(range(1, 13)))
    with pytest.raises(GateBlocked):
        ingest_zone_wave(home, ZONE, WAVE)

    done = smesurvey(home, "status", "--failed")
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "Needs attention:"
    assert lines[1].startswith(f"  {ZONE}/{WAVE} blocked since ")
    assert lines[1].endswith(f"(smesurvey rejected {ZONE} {WAVE})")
    assert "Paths:" not in done.stdout  # --failed: only what needs attention
    other_zone = smesurvey(home, "status", "--zone", "GD-01")
    assert other_zone.returncode == 0 and "Needs attention: nothing" in other_zone.stdout
    other_wave = smesurvey(home, "status", "--wave", str(WAVE + 1), "--failed")
    assert (other_wave.returncode, other_wave.stdout.strip()) == (0, "Needs attention: nothing")

    again = smesurvey(home, "ingest", "--inbox")
    assert again.returncode == 1, again.stderr
    assert (
        again.stdout.splitlines()[0].startswith(f"{ZONE}/{WAVE}: refused on ")
        and "the same files are still in the inbox" in again.stdout
    )
    assert f"nothing new in {home.inbox}" in again.stdout
    assert again.stderr.strip() == "smesurvey: 1 zone-wave(s) in the inbox wait for a fix"

    shutil.rmtree(home.inbox / ZONE / str(WAVE))
    deliver_with_bad_years(generated, home, [])
    ingest_zone_wave(home, ZONE, WAVE)
    done = smesurvey(home, "status")
    assert done.returncode == 0, done.stdout
    assert "Needs attention: nothing" in done.stdout
    assert "blocked" in done.stdout  # the refused delivery stays in the history
