"""Landing: content-addressed, immutable archive folders with a manifest."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import pytest

from orchestration.ingest.landing import inbox_deliveries, land_delivery, landed_deliveries

from .conftest import canonical_rows, first_wave, platform_bytes

ZONE = "GZ-02"


def test_manifest_describes_every_file(build, home, codebook):
    wave = first_wave(codebook, "v2022")
    folder = build.folder(f"{ZONE}/{wave}")
    files = [
        build.platform(
            folder, "v2022", canonical_rows(codebook, "v2022", "electronic", 3), "utf-8-sig"
        ),
        build.paper(folder, "v2022", canonical_rows(codebook, "v2022", "paper", 2)),
        build.register(folder, ZONE, [("C", codebook.size_class_order[0], 5)]),
    ]
    when = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
    landing = land_delivery(files, ZONE, wave, home, received_at=when)
    assert landing.is_new
    assert landing.path == home.landing / ZONE / str(wave) / landing.delivery_id
    on_disk = json.loads((landing.path / "manifest.json").read_text(encoding="utf-8"))
    assert on_disk == landing.manifest
    assert on_disk["received_at"] == when.isoformat()
    assert (on_disk["zone_id"], on_disk["wave_id"]) == (ZONE, wave)
    assert on_disk["instrument_version"] == "v2022"
    entries = {e["name"]: e for e in on_disk["files"]}
    assert {n: e["kind"] for n, e in entries.items()} == {
        "platform_export.csv": "platform",
        "paper_entries.xlsx": "paper",
        "zone_register.csv": "register",
    }
    assert entries["platform_export.csv"]["encoding"] == "utf-8-sig"
    pairs = []
    for source in files:
        copied = landing.path / source.name
        assert copied.read_bytes() == source.read_bytes()
        sha = hashlib.sha256(source.read_bytes()).hexdigest()
        assert entries[source.name]["sha256"] == sha
        assert entries[source.name]["bytes"] == source.stat().st_size
        pairs.append(f"{source.name}\t{sha}\n")
    assert landing.delivery_id == hashlib.sha256("".join(sorted(pairs)).encode()).hexdigest()
    # No staging folder is left behind.
    assert [p.name for p in landing.path.parent.iterdir()] == [landing.delivery_id]


def test_identical_redelivery_is_not_new(build, home, codebook):
    wave = first_wave(codebook, "v2020")
    folder = build.folder(f"{ZONE}/{wave}")
    rows = canonical_rows(codebook, "v2020", "electronic", 3)
    csv_file = build.platform(folder, "v2020", rows, "gb18030")
    first = land_delivery([csv_file], ZONE, wave, home)
    again = land_delivery([csv_file], ZONE, wave, home)
    assert first.is_new and not again.is_new
    assert again.delivery_id == first.delivery_id and again.manifest == first.manifest
    assert len(landed_deliveries(home, ZONE, wave)) == 1


def test_history_is_oldest_first_and_filters(build, home, codebook):
    wave = first_wave(codebook, "v2020")
    rows = canonical_rows(codebook, "v2020", "electronic", 3)
    landings = []
    for n, day in enumerate((5, 2, 9)):
        folder = build.folder(f"v{n}/{ZONE}/{wave}")
        csv_file = build.platform(folder, "v2020", rows[: n + 1], "utf-8")
        when = datetime(2026, 1, day, tzinfo=UTC)
        landings.append(land_delivery([csv_file], ZONE, wave, home, received_at=when))
    other = build.platform(build.folder(f"other/BJ-01/{wave}"), "v2020", rows, "utf-8")
    land_delivery([other], "BJ-01", wave, home)
    history = landed_deliveries(home, ZONE, wave)
    assert [la.delivery_id for la in history] == [landings[i].delivery_id for i in (1, 0, 2)]
    assert {la.zone_id for la in landed_deliveries(home)} == {ZONE, "BJ-01"}
    assert landed_deliveries(home, wave_id=wave + 1) == []


def test_inbox_fingerprint_matches_delivery_id(home, codebook):
    wave = first_wave(codebook, "v2020")
    inbox = home.inbox / ZONE / str(wave)
    inbox.mkdir(parents=True)
    rows = canonical_rows(codebook, "v2020", "electronic", 2)
    (inbox / "platform_export.csv").write_bytes(platform_bytes(codebook, "v2020", rows, "utf-8"))
    (inbox / ".DS_Store").write_bytes(b"noise")
    (home.inbox / ZONE / "notes").mkdir()
    (home.inbox / "empty" / str(wave)).mkdir(parents=True)
    found = inbox_deliveries(home)
    assert [(d.zone_id, d.wave_id, [f.name for f in d.files]) for d in found] == [
        (ZONE, wave, ["platform_export.csv"])
    ]
    landing = land_delivery(list(found[0].files), ZONE, wave, home)
    assert landing.delivery_id == found[0].fingerprint


def test_bad_inputs_are_refused(build, home, codebook):
    folder = build.folder("x")
    csv_file = build.platform(folder, "v2020", [], "utf-8")
    with pytest.raises(ValueError, match="zone id"):
        land_delivery([csv_file], "../etc", 2020, home)
    with pytest.raises(ValueError, match="at least one file"):
        land_delivery([], ZONE, 2020, home)
    with pytest.raises(FileNotFoundError):
        land_delivery([folder / "nope.csv"], ZONE, 2020, home)
    assert not (home.landing / ZONE).exists() or not any((home.landing / ZONE).rglob("*.csv"))
