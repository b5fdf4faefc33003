"""Admission: what may enter the landing archive at all.

`landing/` keeps every delivery forever and every landed zone-wave becomes a
Dagster partition, so what is plainly not a delivery is refused before either
happens: an unknown or malformed zone, a wave outside the instrument years, a file
name with control characters or path separators, a file over the size limit, a
file whose first bytes are a known binary format. The checks read a file's size
and at most its first `HEAD_BYTES`, never the whole file: a 2 GB sparse file is
refused in milliseconds. Everything subtler (encodings, headers, rows) stays with
the parser, which records the delivery as blocked with its own message.

Refusals are appended to `<SMESURVEY_HOME>/refusals/refusals.jsonl`, outside the
archive. No Dagster import: the CLI, the sensor and the pipeline all call this.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from orchestration.codebook import Codebook, load_codebook
from orchestration.pipeline import IngestError
from orchestration.settings import DBT_PROJECT_DIR, Home

# Zone ids become folder names and partition keys: letters, digits, '-' and '_' only.
ZONE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}")
REFERENCE_ZONES = DBT_PROJECT_DIR / "seeds" / "ref_zones.csv"
MAX_FILE_BYTES_ENV = "SMESURVEY_MAX_FILE_BYTES"
DEFAULT_MAX_FILE_BYTES = 1 << 30
# Enough for every magic number and for a run of NULs to show; cheap on any disk.
HEAD_BYTES = 64 << 10
MAX_NAME_CHARS = 200
# C0/C1 controls, line and paragraph separators, and the bidirectional overrides
# that make `gpj.csv` display as something else: none belongs in a file name, and
# each would break a one-line message or a log line.
UNSAFE_CHARS = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2028\u2029\u2066-\u2069]"
)
ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# UTF-16 text has isolated NULs and UTF-32 at most three in a row; four is binary.
NUL_RUN = b"\x00" * 4
MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x7fELF", "an ELF executable"),
    (b"MZ\x90\x00", "a Windows executable"),
    (b"%PDF-", "a PDF document"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"BZh", "a bzip2 archive"),
    (b"\xfd7zXZ\x00", "an xz archive"),
    (b"(\xb5/\xfd", "a zstd archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7z archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Office (OLE2) file, not XLSX"),
    (b"SQLite format 3\x00", "an SQLite database"),
)
ZIP_MAGIC = b"PK\x03\x04"
# Names of the parts an Office Open XML workbook starts with (each writer picks its
# own first part: Excel [Content_Types].xml, openpyxl docProps/, others _rels/).
OOXML_PARTS = (b"[Content_Types].xml", b"_rels/", b"docProps/", b"xl/")


class AdmissionError(IngestError, ValueError):
    """Refused before the archive; the message is one line naming the file, zone or wave."""


def shown(text: str) -> str:
    """`text` with the characters of UNSAFE_CHARS escaped (\\n, \\x07, \\u202e), for one line."""

    def escape(match: re.Match[str]) -> str:
        char = match.group()
        if char in ESCAPES:
            return ESCAPES[char]
        code = ord(char)
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"

    return UNSAFE_CHARS.sub(escape, text)


# ---------------------------------------------------------------- zones


def _zone_column(path: Path) -> set[str]:
    if not path.is_file():
        return set()
    with path.open(encoding="utf-8", newline="") as fh:
        return {row["zone_id"].strip() for row in csv.DictReader(fh) if row.get("zone_id")}


def reference_zones(path: Path = REFERENCE_ZONES) -> frozenset[str]:
    return frozenset(_zone_column(path))


def registered_zones(home: Home) -> frozenset[str]:
    return frozenset(_zone_column(home.zones_file))


def known_zones(home: Home) -> frozenset[str]:
    """The reference zones (ref_zones.csv) and the ones registered in the home."""
    return reference_zones() | registered_zones(home)


def check_zone_syntax(zone_id: str) -> None:
    if not ZONE_ID.fullmatch(zone_id):
        raise AdmissionError(
            f"zone id '{shown(zone_id)}': use letters, digits, '-' and '_' only (at most 32)"
        )


def register_zones(home: Home, zone_ids: Iterable[str]) -> list[str]:
    """Add zones to the home's zones file; return the ones that were not known yet."""
    wanted = list(dict.fromkeys(zone_ids))
    for zone_id in wanted:
        check_zone_syntax(zone_id)
    new = [z for z in wanted if z not in known_zones(home)]
    if new:
        rows = sorted(registered_zones(home) | set(new))
        home.root.mkdir(parents=True, exist_ok=True)
        # Written aside and renamed: a reader never sees half a file.
        tmp = home.zones_file.with_name(f".{home.zones_file.name}.{os.getpid()}")
        tmp.write_text("zone_id\n" + "".join(f"{z}\n" for z in rows), encoding="utf-8")
        tmp.replace(home.zones_file)
    return new


def check_zone(zone_id: str, home: Home) -> None:
    check_zone_syntax(zone_id)
    if zone_id not in known_zones(home):
        raise AdmissionError(
            f"zone {zone_id} is not a known zone (a typo? register a new zone with "
            "`smesurvey zones add` or `ingest --new-zone`)"
        )


# ---------------------------------------------------------------- waves


def instrument_years(codebook: Codebook | None = None, today: date | None = None) -> range:
    """The waves an instrument could have fielded: first_wave of the oldest instrument to
    last_wave of the newest, or next year while an instrument is still open-ended."""
    specs = list((codebook or load_codebook()).instruments.values())
    first = min(int(s["first_wave"]) for s in specs)
    last = max(int(s.get("last_wave") or s["first_wave"]) for s in specs)
    if any(s.get("last_wave") is None for s in specs):
        last = max(last, (today or datetime.now(UTC).date()).year + 1)
    return range(first, last + 1)


def check_wave(zone_id: str, wave: int | str, today: date | None = None) -> int:
    """The wave as an int, or AdmissionError: not a year, or outside the instrument years."""
    text = str(wave)
    if not re.fullmatch(r"-?[0-9]+", text) or str(int(text)) != text:
        raise AdmissionError(f"{shown(zone_id)}/{shown(text)}: wave '{shown(text)}' is not a year")
    wave_id = int(text)
    years = instrument_years(today=today)
    span = f"instrument years {years[0]}-{years[-1]}"
    if wave_id < years[0]:
        raise AdmissionError(
            f"{zone_id}/{wave_id}: no instrument version covers wave {wave_id} ({span})"
        )
    if wave_id > years[-1]:
        raise AdmissionError(f"{zone_id}/{wave_id}: wave {wave_id} is in the future ({span})")
    return wave_id


# ---------------------------------------------------------------- files


def check_name(name: str) -> None:
    unsafe = UNSAFE_CHARS.search(name)
    if unsafe:
        raise AdmissionError(
            f"{shown(name)}: file name holds the control character {shown(unsafe.group())}"
        )
    if "/" in name or "\\" in name or name in ("", ".", ".."):
        raise AdmissionError(f"{name!r}: not a plain file name")
    if len(name) > MAX_NAME_CHARS:
        raise AdmissionError(f"{name[:40]}...: file name longer than {MAX_NAME_CHARS} characters")


def max_file_bytes() -> int:
    text = os.environ.get(MAX_FILE_BYTES_ENV, "").replace("_", "").strip()
    if not text:
        return DEFAULT_MAX_FILE_BYTES
    if not text.isdigit() or int(text) <= 0:
        raise AdmissionError(f"{MAX_FILE_BYTES_ENV}={text!r}: expected a positive number of bytes")
    return int(text)


def binary_kind(head: bytes) -> str | None:
    """What binary format the first bytes of a file are, None for text or an XLSX workbook."""
    for magic, kind in MAGIC:
        if head.startswith(magic):
            return kind
    if head.startswith(ZIP_MAGIC):
        # XLSX is a ZIP and is known by its bytes, whatever its name (zip headers hold NUL runs).
        return None if any(part in head for part in OOXML_PARTS) else "a ZIP archive, not XLSX"
    return "binary data (a run of NUL bytes)" if NUL_RUN in head else None


def check_file(path: Path, limit: int) -> None:
    size = path.stat().st_size  # FileNotFoundError for a missing file: a usage error
    if size > limit:
        raise AdmissionError(
            f"{path.name}: {size:,} bytes, over the file size limit of {limit:,} bytes "
            f"({MAX_FILE_BYTES_ENV})"
        )
    with path.open("rb") as fh:
        kind = binary_kind(fh.read(HEAD_BYTES))
    if kind:
        raise AdmissionError(f"{path.name}: {kind}, not a CSV text export or an XLSX workbook")


def admit(
    files: Sequence[Path], zone_id: str, wave_id: int | str, home: Home, today: date | None = None
) -> int:
    """Refuse (AdmissionError) a delivery that must not enter the archive; return the wave.

    Cheapest checks first; no file is read beyond its first HEAD_BYTES. An empty
    file is admitted: the parser's `is empty` message is the better one.
    """
    check_zone(zone_id, home)
    wave = check_wave(zone_id, wave_id, today)
    if not files:
        raise AdmissionError(f"{zone_id}/{wave}: a delivery needs at least one file")
    names = [Path(f).name for f in files]
    for name in names:
        check_name(name)
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise AdmissionError(f"{zone_id}/{wave}: two files named {duplicates[0]}")
    limit = max_file_bytes()
    for f in files:
        check_file(Path(f), limit)
    return wave


# ---------------------------------------------------------------- the refusals log


@dataclass(frozen=True)
class Refusal:
    zone: str
    wave: str
    files: tuple[Path, ...]
    reason: str


def drop_key(refusal: Refusal) -> str:
    """Same zone, wave, file names, sizes and mtimes: the same drop, logged once."""
    digest = hashlib.sha256(f"{refusal.zone}\t{refusal.wave}\n".encode())
    for f in sorted(refusal.files):
        try:
            stat = f.stat()
            size, mtime = stat.st_size, stat.st_mtime_ns
        except OSError:
            size = mtime = -1
        digest.update(f"{f.name}\t{size}\t{mtime}\n".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def _logged_keys(log: Path) -> set[str]:
    if not log.is_file():
        return set()
    keys = set()
    for line in log.read_text(encoding="utf-8").splitlines():
        try:
            keys.add(json.loads(line)["drop"])
        except (ValueError, KeyError, TypeError):
            continue  # a line cut by a crash says nothing about later ones
    return keys


def record_refusal(home: Home, refusal: Refusal) -> bool:
    """Append the refusal to the refusals log unless that drop is logged; True if appended."""
    key = drop_key(refusal)
    log = home.refusals_log
    if key in _logged_keys(log):
        return False
    # Refused names may be anyone's uploads: the folder is the operator's alone.
    log.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(log.parent, 0o700)
    line = {
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "zone": shown(refusal.zone),
        "wave": shown(refusal.wave),
        "files": [shown(f.name) for f in refusal.files],
        "reason": shown(refusal.reason),
        "drop": key,
    }
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(line, ensure_ascii=False) + "\n")
    return True


def admit_or_record(
    files: Sequence[Path], zone_id: str, wave: int | str, home: Home
) -> tuple[int | None, str | None, bool]:
    """(wave, None, False) when admitted, else (None, reason, newly logged)."""
    try:
        return admit(files, zone_id, wave, home), None, False
    except AdmissionError as exc:
        refusal = Refusal(zone_id, str(wave), tuple(Path(f) for f in files), str(exc))
        return None, str(exc), record_refusal(home, refusal)


def admit_logged(files: Sequence[Path], zone_id: str, wave: int | str, home: Home) -> int:
    """`admit`, with a refusal written to the refusals log before it is raised."""
    admitted, reason, _ = admit_or_record(files, zone_id, wave, home)
    if admitted is None:
        raise AdmissionError(reason)
    return admitted
