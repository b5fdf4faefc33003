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
from orchestration.ingest.detect import inspect_file
from orchestration.settings import Home

MANIFEST = "manifest.json"
CHUNK = 1 << 20
# Zone ids become folder names: letters, digits, '-' and '_' only.
ZONE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")


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


def _check_inputs(files: Sequence[Path], zone_id: str, wave_id: int) -> None:
    if not ZONE_ID.fullmatch(zone_id):
        raise ValueError(f"zone id {zone_id!r}: use letters, digits, '-' and '_' only")
    if not files:
        raise ValueError(f"{zone_id}/{wave_id}: a delivery needs at least one file")
    names = [Path(f).name for f in files]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"{zone_id}/{wave_id}: two files named {duplicates[0]}")
    for f in files:
        if not Path(f).is_file():
            raise FileNotFoundError(f"{f}: no such file")


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
    _check_inputs(files, zone_id, wave_id)
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


def inbox_folders(home: Home) -> list[tuple[str, int, Path]]:
    """(zone, wave, folder) of every inbox/<zone>/<wave>/ folder, without reading any file.

    Folders whose name is not a zone id or a wave year are not deliveries and are skipped.
    """
    if not home.inbox.is_dir():
        return []
    return [
        (zone_dir.name, int(wave_dir.name), wave_dir)
        for zone_dir in sorted(p for p in home.inbox.iterdir() if p.is_dir())
        if ZONE_ID.fullmatch(zone_dir.name)
        for wave_dir in sorted(p for p in zone_dir.iterdir() if p.is_dir())
        if wave_dir.name.isdigit()
    ]


def inbox_delivery(home: Home, zone_id: str, wave_id: int) -> InboxDelivery | None:
    """The drop of one zone-wave with its would-be delivery id; only that folder is hashed."""
    folder = home.inbox / zone_id / str(wave_id)
    if not ZONE_ID.fullmatch(zone_id) or not folder.is_dir():
        return None
    files = _delivery_files(folder)
    if not files:
        return None
    would_be_id = fingerprint([(f.name, file_sha256(f)) for f in files])
    return InboxDelivery(zone_id, wave_id, files, would_be_id)


def inbox_deliveries(home: Home) -> list[InboxDelivery]:
    """The inbox/<zone>/<wave>/ folders holding files, with their would-be delivery id.

    Hashes every file of the inbox (the sensor needs every fingerprint); a run of one
    zone-wave uses `inbox_delivery`, which hashes only its own folder.
    """
    found = (inbox_delivery(home, zone, wave) for zone, wave, _ in inbox_folders(home))
    return [d for d in found if d is not None]
