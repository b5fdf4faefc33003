"""Admission before the archive: each refused kind leaves nothing under landing/, no new
partition and one line in the refusals log; what is admitted reaches the parser."""

from __future__ import annotations

import codecs
import json
import os
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from orchestration.cli import cli
from orchestration.dagster_runs import home_instance
from orchestration.defs.partitions import WAVE, ZONE, ZoneWave, register_partitions
from orchestration.ingest.admission import (
    MAX_FILE_BYTES_ENV,
    AdmissionError,
    admit,
    binary_kind,
    instrument_years,
    known_zones,
    register_zones,
)
from orchestration.ingest.landing import inbox_drops, land_delivery
from orchestration.pipeline import IngestError, ingest_zone_wave
from orchestration.settings import PROJECT_ROOT, Home
from tests.support.timeouts import HANG_GUARD

from .conftest import canonical_rows, platform_bytes

CLI = PROJECT_ROOT / ".venv" / "bin" / "smesurvey"
XSS_NAME = "<img src=x onerror=alert(1)>.csv"
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000")


def good_csv(folder: Path, name: str = "platform_export.csv") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(b"month,amount\r\n2021-01,5\r\n")
    return path


def sparse(folder: Path, name: str, size: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    with path.open("wb") as fh:
        fh.truncate(size)  # `truncate -s 2G`: no block is written
    return path


def written(folder: Path, name: str, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)
    return folder / name


# kind -> (zone, wave, make files in a folder, message regex)
Make = Callable[[Path], list[Path]]
KINDS: dict[str, tuple[str, str, Make, str]] = {
    "unknown_zone": ("XX-99", "2022", lambda d: [good_csv(d)], r"zone XX-99 is not a known zone"),
    "wave_1899": ("SH-01", "1899", lambda d: [good_csv(d)], r"no instrument version covers"),
    "wave_minus_5": ("SH-01", "-5", lambda d: [good_csv(d)], r"wave -5 is in|covers wave -5"),
    "newline_in_name": (
        "SH-01",
        "2022",
        lambda d: [good_csv(d, "platform\nexport.csv")],
        r"platform\\nexport\.csv: file name holds the control character \\n",
    ),
    "sparse_2gb": (
        "SH-01",
        "2022",
        lambda d: [sparse(d, "platform_export.csv", 2 << 30)],
        r"platform_export\.csv: 2,147,483,648 bytes, over the file size limit",
    ),
    "elf_as_csv": (
        "SH-01",
        "2022",
        lambda d: [written(d, "platform_export.csv", ELF)],
        r"platform_export\.csv: an ELF executable",
    ),
    "png_as_csv": (
        "SH-01",
        "2022",
        lambda d: [written(d, "platform_export.csv", PNG)],
        r"platform_export\.csv: a PNG image",
    ),
}


def landed_files(home: Home) -> list[Path]:
    return [p for p in home.landing.rglob("*") if p.is_file()] if home.landing.exists() else []


def log_lines(home: Home) -> list[dict]:
    if not home.refusals_log.exists():
        return []
    return [json.loads(x) for x in home.refusals_log.read_text(encoding="utf-8").splitlines()]


def partitions(home: Home) -> tuple[list[str], list[str]]:
    with home_instance(home) as instance:
        return (
            sorted(instance.get_dynamic_partitions(WAVE)),
            sorted(instance.get_dynamic_partitions(ZONE)),
        )


@pytest.fixture
def known_partitions(home: Home) -> tuple[list[str], list[str]]:
    """The home's instance already knows one zone-wave, so 'no new partition' means something."""
    with home_instance(home) as instance:
        register_partitions(instance, [ZoneWave(2022, "SH-01")])
    return partitions(home)


@pytest.mark.parametrize("kind", KINDS)
def test_cli_refuses_before_the_archive(kind, home, tmp_path, known_partitions):
    zone, wave, make, pattern = KINDS[kind]
    files = make(tmp_path / "delivery")
    args = ["--home", str(home.root), "ingest", *map(str, files), "--zone", zone]
    result = CliRunner().invoke(cli, [*args, f"--wave={wave}"])
    assert result.exit_code == 1, result.output
    [line] = result.output.strip().splitlines()
    assert line.startswith("smesurvey: ") and re.search(pattern, line), line
    assert landed_files(home) == []
    assert partitions(home) == known_partitions
    [logged] = log_lines(home)
    assert re.search(pattern, logged["reason"]) and logged["zone"] == zone
    assert "\n" not in "".join(logged["files"])


@pytest.mark.parametrize("kind", KINDS)
def test_inbox_folder_refused_before_hashing(kind, home, known_partitions):
    zone, wave, make, pattern = KINDS[kind]
    make(home.inbox / zone / wave)
    result = CliRunner().invoke(cli, ["--home", str(home.root), "ingest", "--inbox"])
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert lines[0].startswith(f"{zone}/{wave}: refused: ") and "(run " not in lines[0]
    assert re.search(pattern, lines[0]), lines[0]
    assert lines[-1] == "smesurvey: 1 of 1 zone-waves refused"
    assert landed_files(home) == []
    assert partitions(home) == known_partitions
    # Still refused on the next pass, but the same drop is logged once.
    again = CliRunner().invoke(cli, ["--home", str(home.root), "ingest", "--inbox"])
    assert again.exit_code == 1 and again.output.splitlines()[0] == lines[0]
    assert len(log_lines(home)) == 1


def test_limit_is_configurable(home, tmp_path, monkeypatch):
    path = good_csv(tmp_path)
    monkeypatch.setenv(MAX_FILE_BYTES_ENV, "10")
    with pytest.raises(AdmissionError, match=r"25 bytes, over the file size limit of 10 bytes"):
        land_delivery([path], "SH-01", 2022, home)
    assert landed_files(home) == [] and len(log_lines(home)) == 1
    monkeypatch.setenv(MAX_FILE_BYTES_ENV, "25")
    assert land_delivery([path], "SH-01", 2022, home).is_new


def test_two_gigabyte_sparse_file_through_the_real_cli(tmp_path):
    home = Home(tmp_path / "home")
    big = sparse(tmp_path / "delivery", "platform_export.csv", 2 << 30)
    env = {k: v for k, v in os.environ.items() if k not in ("SMESURVEY_HOME", "DAGSTER_HOME")}
    done = subprocess.run(
        [
            str(CLI),
            "--home",
            str(home.root),
            "ingest",
            str(big),
            "--zone",
            "SH-01",
            "--wave",
            "2022",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=PROJECT_ROOT,
        timeout=HANG_GUARD,
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "smesurvey: platform_export.csv: 2,147,483,648 bytes, over the file size limit of "
        f"{1 << 30:,} bytes ({MAX_FILE_BYTES_ENV})"
    ]
    assert landed_files(home) == []
    assert not home.build_db.exists()
    assert len(log_lines(home)) == 1


def test_new_zone_is_registered_before_admission(home, tmp_path):
    path = good_csv(tmp_path / "delivery")
    base = ["--home", str(home.root)]
    # The wave is impossible, so nothing runs; the zone is registered all the same.
    result = CliRunner().invoke(
        cli, [*base, "ingest", str(path), "--zone", "NX-01", "--wave", "1899", "--new-zone"]
    )
    assert result.exit_code == 1 and "covers wave 1899" in result.output, result.output
    assert "NX-01" in known_zones(home)
    listed = CliRunner().invoke(cli, [*base, "zones", "list"]).output.splitlines()
    assert "NX-01\tregistered" in listed and "SH-01\treference" in listed
    added = CliRunner().invoke(cli, [*base, "zones", "add", "NX-02", "NX-01"])
    assert added.exit_code == 0 and added.output.strip() == "registered NX-02"
    assert land_delivery([path], "NX-02", 2022, home).is_new
    bad = CliRunner().invoke(cli, [*base, "zones", "add", "../x"])
    assert bad.exit_code == 1 and "zone id" in bad.output


def test_odd_but_legal_name_is_admitted_and_its_message_sanitized(home):
    """Angle brackets are legal in file names: admitted, the parser refuses the content,
    and the published message carries the name HTML-escaped."""
    good_csv(home.inbox / "SH-01" / "2021", XSS_NAME)
    with pytest.raises(IngestError, match=re.escape(XSS_NAME)):
        ingest_zone_wave(home, "SH-01", 2021)
    with duckdb.connect(str(home.build_db), read_only=True) as con:
        [(message,)] = con.execute("select message from raw.deliveries").fetchall()
    assert "<img" not in message
    assert message.startswith("&lt;img src=x onerror=alert(1)&gt;.csv: ")
    assert log_lines(home) == []


def test_what_reaches_the_parser(tmp_path, home, codebook):
    """UTF-16 text, an XLSX under any name, an empty file: admitted (the parser has the
    better message); a zip that is not a workbook is not."""
    rows = canonical_rows(codebook, "v2022", "electronic", 3)
    text = platform_bytes(codebook, "v2022", rows, "utf-8").decode("utf-8")
    assert binary_kind(codecs.BOM_UTF16_LE + text.encode("utf-16-le")) is None
    assert binary_kind(text.encode("utf-16-le")) is None
    assert binary_kind(b"PK\x03\x04" + b"\x00" * 26 + b"[Content_Types].xml") is None
    assert binary_kind(b"PK\x03\x04" + b"\x00" * 26 + b"photo.jpg") == "a ZIP archive, not XLSX"
    empty = written(tmp_path, "platform_export.csv", b"")
    assert admit([empty], "SH-01", 2022, home) == 2022


def test_wave_bounds_follow_the_codebook():
    from datetime import date

    years = instrument_years(today=date(2026, 12, 1))
    assert (years[0], years[-1]) == (2020, 2027)  # v2022 is open-ended: next year


def test_inbox_skips_what_is_not_a_delivery(home):
    (home.inbox / ".SH-01-2024" / "2024").mkdir(parents=True)  # a staging copy
    good_csv(home.inbox / ".SH-01-2024" / "2024")
    good_csv(home.inbox / "SH-01" / "notes")
    (home.inbox / "SH-01" / "1899").mkdir(parents=True)  # no files: nothing to refuse
    assert inbox_drops(home) == ([], [])
    assert register_zones(home, ["SH-01"]) == []  # a reference zone is known already
