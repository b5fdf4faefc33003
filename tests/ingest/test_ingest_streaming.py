"""Block-wise checks and reading (issue 7): same verdicts as in memory, at any block size."""

from __future__ import annotations

import codecs
from pathlib import Path

import numpy as np
import pytest

from orchestration.ingest import landing as landing_module
from orchestration.ingest.detect import MAX_LINE_BYTES
from orchestration.ingest.landing import inbox_deliveries, inbox_delivery, land_delivery
from orchestration.ingest.parse import DeliveryError, parse_delivery
from orchestration.ingest.scan import scan_text, transcode
from orchestration.pipeline import select_landing

from .conftest import canonical_rows, first_wave, platform_bytes

ZONE = "SH-01"
# Multibyte characters land on every block boundary at these sizes.
BLOCK_SIZES = [1, 3, 7, 64, 1 << 20]


def in_memory(data: bytes) -> tuple[int, int]:
    """(1-based line, length) of the longest line, the way detect.check_text_bytes counts."""
    ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == ord("\n"))
    lengths = np.diff(np.concatenate(([-1], ends, [len(data)]))) - 1
    at = int(np.argmax(lengths))
    return at + 1, int(lengths[at])


@pytest.mark.parametrize("block", BLOCK_SIZES)
def test_scan_agrees_with_the_whole_file(tmp_path, codebook, block):
    rows = canonical_rows(codebook, "v2020", "electronic", 40)
    data = platform_bytes(codebook, "v2020", rows, "utf-8-sig") + "末行没有换行".encode()
    path = tmp_path / "a.csv"
    path.write_bytes(codecs.BOM_UTF8 + data)  # a second BOM, as a re-saving tool adds
    scan = scan_text(path, block)
    assert (scan.longest_line, scan.longest_bytes) == in_memory(codecs.BOM_UTF8 + data)
    assert scan.utf8 and scan.bom_bytes == 2 * len(codecs.BOM_UTF8)
    assert scan.first_nul is None and scan.size == len(data) + 3

    gb = platform_bytes(codebook, "v2020", rows, "gb18030")
    path.write_bytes(gb)
    assert not scan_text(path, block).utf8

    broken = data[:500] + b"\x00" + data[500:]
    path.write_bytes(broken)
    scan = scan_text(path, block)
    assert scan.first_nul == broken.index(b"\x00")
    assert scan.nul_line == broken[:500].count(b"\n") + 1


@pytest.mark.parametrize("block", BLOCK_SIZES)
def test_gb18030_transcoded_in_blocks_equals_a_whole_decode(tmp_path, codebook, block):
    rows = canonical_rows(codebook, "v2020", "electronic", 20)
    data = platform_bytes(codebook, "v2020", rows, "gb18030")
    source, target = tmp_path / "gb.csv", tmp_path / "utf8.csv"
    source.write_bytes(data)
    assert transcode(source, "gb18030", target, block)
    assert target.read_bytes() == data.decode("gb18030").encode("utf-8")
    source.write_bytes(data + b"\xff\xff")  # not GB18030
    assert not transcode(source, "gb18030", target, block)


def test_manifest_reads_the_head_and_parsing_every_byte(build, home, codebook):
    """A NUL far beyond the head: the manifest (head only) misses it, parsing refuses it."""
    wave = first_wave(codebook, "v2020")
    rows = canonical_rows(codebook, "v2020", "electronic", 3)
    data = platform_bytes(codebook, "v2020", rows, "utf-8")
    header, _, body = data.partition(b"\n")
    filler = body * (2 * MAX_LINE_BYTES // len(body) + 1)  # well past the head window
    folder = build.folder(f"{ZONE}/{wave}")
    path = folder / "platform_export.csv"
    path.write_bytes(header + b"\n" + filler + b"\x00\n")
    landing = land_delivery([path], ZONE, wave, home)
    [entry] = landing.manifest["files"]
    assert entry["kind"] == "platform" and "problem" not in entry
    assert entry["bytes"] == path.stat().st_size
    line = (header + b"\n" + filler).count(b"\n") + 1
    with pytest.raises(DeliveryError, match=rf"^platform_export\.csv: NUL byte at line {line} "):
        parse_delivery(landing, codebook)


def test_gb18030_delivery_parses_like_its_utf8_twin(build, home, codebook):
    wave = first_wave(codebook, "v2020")
    rows = canonical_rows(codebook, "v2020", "electronic", 30)
    tables = {}
    for encoding in ("gb18030", "utf-8-sig"):
        folder = build.folder(f"{encoding}/{ZONE}/{wave}")
        path = build.platform(folder, "v2020", rows, encoding)
        landing = land_delivery([path], ZONE, wave, home)
        assert landing.manifest["files"][0]["encoding"] == encoding
        tables[encoding] = parse_delivery(landing, codebook).responses
    columns = list(codebook.all_columns())
    assert tables["gb18030"].select(columns) == tables["utf-8-sig"].select(columns)


def test_one_zone_wave_hashes_only_its_own_folder(home, codebook, monkeypatch):
    wave = first_wave(codebook, "v2020")
    rows = canonical_rows(codebook, "v2020", "electronic", 2)
    for zone in (ZONE, "BJ-01", "GD-01"):
        folder = home.inbox / zone / str(wave)
        folder.mkdir(parents=True)
        (folder / "platform_export.csv").write_bytes(
            platform_bytes(codebook, "v2020", rows[: 1 + len(zone) % 2], "utf-8")
        )
    hashed: list[Path] = []
    real = landing_module.file_sha256

    def spy(path: Path) -> str:  # records, then hashes for real
        hashed.append(path)
        return real(path)

    monkeypatch.setattr(landing_module, "file_sha256", spy)
    one = inbox_delivery(home, ZONE, wave)
    assert one is not None and [f.name for f in one.files] == ["platform_export.csv"]
    assert inbox_delivery(home, ZONE, wave + 1) is None
    landing = select_landing(home, ZONE, wave)
    assert landing.is_new and landing.delivery_id == one.fingerprint
    assert {p.parent for p in hashed} == {home.inbox / ZONE / str(wave)}
    # The sensor's view still covers every folder, with the same fingerprints.
    everything = {(d.zone_id, d.fingerprint) for d in inbox_deliveries(home)}
    assert (ZONE, one.fingerprint) in everything and len(everything) == 3
