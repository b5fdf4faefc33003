"""Landing: copy a delivery into the immutable archive with a manifest.

`landing/<zone>/<wave>/<delivery_id>/` is written once (into a temporary folder
renamed into place, so a half-copied landing never exists) and never modified or
deleted. The delivery id is a content hash, so a byte-identical re-delivery finds
its landing and is not processed again, while a corrected one lands next to it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from orchestration.codebook import Codebook, load_codebook
from orchestration.faults import crash_point
from orchestration.ingest.admission import ZONE_ID, admit_logged, admit_or_record
from orchestration.ingest.detect import inspect_file
from orchestration.settings import Home

MANIFEST = "manifest.json"
CHUNK = 1 << 20
# An inbox folder named like a wave (digits, maybe a sign) is a drop to admit or refuse;
# any other name (notes/, a staging .SH-01-2024) is not a delivery.
WAVE_LIKE = re.compile(r"-?[0-9]+")


@dataclass(frozen=True)
class Landing:
    delivery_id: str
    zone_id: str
    wave_id: int
    path: Path
    manifest: dict[str, Any]
    is_new: bool

    @property
    def files(self) -> list[Path]:
        return [self.path / entry["name"] for entry in self.manifest["files"]]

    @property
    def received_at(self) -> datetime:
        return datetime.fromisoformat(self.manifest["received_at"])

    @property
    def instrument_version(self) -> str | None:
        return self.manifest.get("instrument_version")


@dataclass(frozen=True)
class InboxDelivery:
    zone_id: str
    wave_id: int
    files: tuple[Path, ...]
    fingerprint: str


@dataclass(frozen=True)
class InboxRefusal:
    """An inbox folder admission refused: not hashed, not landed, no partition."""

    zone_id: str
    wave: str  # the folder's name: it may not be a possible wave
    files: tuple[Path, ...]
    reason: str
    newly_logged: bool  # False when an earlier tick or run logged this very drop

    def __str__(self) -> str:
        return f"{self.zone_id}/{self.wave}"


def fingerprint(named_hashes: Sequence[tuple[str, str]]) -> str:
    """The delivery id: sha256 over the sorted (file name, file sha256) pairs."""
    digest = hashlib.sha256()
    for name, sha in sorted(named_hashes):
        digest.update(f"{name}\t{sha}\n".encode())
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _copy_hashing(source: Path, target: Path) -> str:
    """Copy a file and hash the very bytes copied (the source may still change)."""
    digest = hashlib.sha256()
    with source.open("rb") as src, target.open("wb") as dst:
        while chunk := src.read(CHUNK):
            digest.update(chunk)
            dst.write(chunk)
        dst.flush()
        os.fsync(dst.fileno())
    return digest.hexdigest()


def _check_inputs(files: Sequence[Path], zone_id: str, wave_id: int, home: Home) -> None:
    for f in files:
        if not Path(f).is_file():
            raise FileNotFoundError(f"{f}: no such file")
    # Before a byte is copied: a refused delivery leaves nothing under landing/.
    admit_logged(files, zone_id, wave_id, home)


def _manifest(
    folder: Path,
    hashes: dict[str, str],
    zone_id: str,
    wave_id: int,
    received_at: datetime,
    codebook: Codebook,
) -> dict[str, Any]:
    entries = []
    for name in sorted(hashes):
        # The head tells kind, encoding and version; parsing checks every byte later.
        info = inspect_file(folder / name, codebook)
        entry = {
            "name": name,
            "bytes": (folder / name).stat().st_size,
            "sha256": hashes[name],
            "encoding": info.encoding,
            "kind": str(info.kind),
            "instrument_version": info.instrument_version,
            "unknown_columns": list(info.unknown_columns),
        }
        if info.problem:
            entry["problem"] = info.problem
        entries.append(entry)
    versions = {e["instrument_version"] for e in entries if e["instrument_version"]}
    return {
        "delivery_id": fingerprint(list(hashes.items())),
        "zone_id": zone_id,
        "wave_id": wave_id,
        "received_at": received_at.isoformat(),
        # One version when the files agree; parsing reports a disagreement.
        "instrument_version": versions.pop() if len(versions) == 1 else None,
        "files": entries,
    }


def _landing_from(folder: Path, is_new: bool) -> Landing:
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    return Landing(
        delivery_id=manifest["delivery_id"],
        zone_id=manifest["zone_id"],
        wave_id=int(manifest["wave_id"]),
        path=folder,
        manifest=manifest,
        is_new=is_new,
    )


def land_delivery(
    files: Sequence[Path],
    zone_id: str,
    wave_id: int,
    home: Home,
    received_at: datetime | None = None,
) -> Landing:
    """Archive a delivery's files under landing/<zone>/<wave>/<delivery_id>/."""
    _check_inputs(files, zone_id, wave_id, home)
    parent = home.landing / zone_id / str(wave_id)
    parent.mkdir(parents=True, exist_ok=True)
    # The pid lets the next start's sweep (orchestration/release.py) remove a crashed
    # run's staging folder without touching one a live process is still copying.
    staging = parent / f".incoming-{os.getpid()}-{uuid.uuid4().hex}"
    staging.mkdir()
    try:
        hashes = {Path(f).name: _copy_hashing(Path(f), staging / Path(f).name) for f in files}
        delivery_id = fingerprint(list(hashes.items()))
        target = parent / delivery_id
        if (target / MANIFEST).is_file():
            return _landing_from(target, is_new=False)
        when = (received_at or datetime.now(UTC)).astimezone(UTC)
        manifest = _manifest(staging, hashes, zone_id, wave_id, when, load_codebook())
        (staging / MANIFEST).write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        crash_point("landing")
        try:
            staging.rename(target)
        except OSError:
            # Another process landed the same bytes between our check and the rename.
            if (target / MANIFEST).is_file():
                return _landing_from(target, is_new=False)
            raise
        return _landing_from(target, is_new=True)
    finally:
        if staging.exists():
            shutil.rmtree(staging)


def landed_deliveries(
    home: Home, zone_id: str | None = None, wave_id: int | None = None
) -> list[Landing]:
    """Every landed delivery (optionally of one zone and/or wave), oldest first."""
    zone_glob = zone_id or "*"
    wave_glob = str(wave_id) if wave_id is not None else "*"
    manifests = home.landing.glob(f"{zone_glob}/{wave_glob}/*/{MANIFEST}")
    # Staging folders start with a dot and never hold a finished landing.
    folders = [m.parent for m in manifests if not m.parent.name.startswith(".")]
    landings = [_landing_from(folder, is_new=False) for folder in folders]
    return sorted(landings, key=lambda la: (la.received_at, la.delivery_id))


def _delivery_files(folder: Path) -> tuple[Path, ...]:
    # Hidden files are editor or OS droppings (and files still being copied in).
    return tuple(sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")))


def _inbox_candidates(home: Home) -> list[tuple[str, str, Path]]:
    """(zone folder name, wave folder name, folder) of inbox/<zone>/<wave-like>/ folders.

    Hidden folders are staging copies and other names are not deliveries: both skipped.
    """
    if not home.inbox.is_dir():
        return []
    return [
        (zone_dir.name, wave_dir.name, wave_dir)
        for zone_dir in sorted(p for p in home.inbox.iterdir() if p.is_dir())
        if not zone_dir.name.startswith(".")
        for wave_dir in sorted(p for p in zone_dir.iterdir() if p.is_dir())
        if WAVE_LIKE.fullmatch(wave_dir.name)
    ]


def inbox_folders(home: Home) -> list[tuple[str, int, Path]]:
    """(zone, wave, folder) of every inbox/<zone>/<wave>/ folder, without reading any file.

    Only folders whose names could be admitted (zone id syntax, a year's digits).
    """
    return [
        (zone, int(wave), folder)
        for zone, wave, folder in _inbox_candidates(home)
        if ZONE_ID.fullmatch(zone) and wave.isdigit() and str(int(wave)) == wave
    ]


def inbox_delivery(home: Home, zone_id: str, wave_id: int) -> InboxDelivery | None:
    """The drop of one zone-wave with its would-be delivery id; only that folder is hashed.

    Admitted before hashing (AdmissionError, logged, otherwise).
    """
    folder = home.inbox / zone_id / str(wave_id)
    if not ZONE_ID.fullmatch(zone_id) or not folder.is_dir():
        return None
    files = _delivery_files(folder)
    if not files:
        return None
    admit_logged(files, zone_id, wave_id, home)
    would_be_id = fingerprint([(f.name, file_sha256(f)) for f in files])
    return InboxDelivery(zone_id, wave_id, files, would_be_id)


def inbox_drops(home: Home) -> tuple[list[InboxDelivery], list[InboxRefusal]]:
    """Every inbox/<zone>/<wave>/ folder holding files: admitted and hashed, or refused.

    Admission comes first, so a refused folder is never hashed (a 2 GB file costs a
    stat) and never becomes a partition; each refused drop is logged once.
    """
    deliveries: list[InboxDelivery] = []
    refusals: list[InboxRefusal] = []
    for zone, wave, folder in _inbox_candidates(home):
        files = _delivery_files(folder)
        if not files:
            continue
        admitted, reason, logged = admit_or_record(files, zone, wave, home)
        if admitted is None:
            refusals.append(InboxRefusal(zone, wave, files, reason or "refused", logged))
            continue
        would_be_id = fingerprint([(f.name, file_sha256(f)) for f in files])
        deliveries.append(InboxDelivery(zone, admitted, files, would_be_id))
    return deliveries, refusals


def inbox_deliveries(home: Home) -> list[InboxDelivery]:
    """The admitted inbox/<zone>/<wave>/ folders with their would-be delivery id.

    Hashes every admitted file of the inbox (the sensor needs every fingerprint); a run
    of one zone-wave uses `inbox_delivery`, which hashes only its own folder.
    """
    return inbox_drops(home)[0]
