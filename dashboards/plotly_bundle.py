"""The site's plotly.js: a partial bundle built from dashboards/vendor/ and committed there.

`vendor/bundle.json` records what the build script produced (file, plotly.js version,
trace types, size, sha256); the site ships the file only if it still matches, so a
hand-edited or half-copied bundle never reaches users.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

VENDOR = Path(__file__).resolve().with_name("vendor")
RECORD = VENDOR / "bundle.json"


class BundleError(ValueError):
    """The shipped bundle or its record is unusable; the message is one line."""


@dataclass(frozen=True)
class Bundle:
    path: Path
    plotly_js: str
    traces: tuple[str, ...]
    bytes: int
    sha256: str


def load_record(record: Path = RECORD) -> Bundle:
    try:
        raw = json.loads(record.read_text(encoding="utf-8"))
        return Bundle(
            record.parent / raw["file"],
            raw["plotly_js"],
            tuple(raw["traces"]),
            int(raw["bytes"]),
            raw["sha256"],
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BundleError(f"{record}: unreadable bundle record ({exc})") from exc


def plotly_js(record: Path = RECORD) -> bytes:
    """The bundle's bytes, refused unless size and sha256 match the record."""
    bundle = load_record(record)
    try:
        data = bundle.path.read_bytes()
    except OSError as exc:
        raise BundleError(f"{bundle.path}: cannot read the plotly.js bundle ({exc})") from exc
    digest = hashlib.sha256(data).hexdigest()
    if len(data) != bundle.bytes or digest != bundle.sha256:
        raise BundleError(
            f"{bundle.path}: sha256 {digest} ({len(data)} bytes) differs from {record.name} "
            f"({bundle.sha256}, {bundle.bytes} bytes); rebuild it (dashboards/vendor/README.md)"
        )
    return data


__all__ = ["Bundle", "BundleError", "load_record", "plotly_js"]
