"""What `smesurvey releases` prints: the kept releases and one release's manifest.

Reads manifests only (no Dagster, dbt, Great Expectations or pandas), so it answers
at once; the sizes are the manifest's file sizes, not a walk of the folders.
Manifests of version 1 (delivery ids only, no parameters or revisions) read too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from orchestration.release import (
    ID_WIDTH,
    current_release_id,
    delivery_ids,
    read_manifest,
    release_ids,
)
from orchestration.settings import Home

SHORT_COMMIT = 10
SHORT_DELIVERY = 12


class UnknownRelease(LookupError):
    """No kept release has that id."""


@dataclass(frozen=True)
class ReleaseSummary:
    id: str
    path: Path
    manifest: dict[str, Any]
    current: bool

    @property
    def bytes(self) -> int:
        return sum(f["bytes"] for f in self.manifest.get("files") or [])

    @property
    def deliveries(self) -> int:
        return len(delivery_ids(self.manifest))

    def line(self) -> str:
        created = _when(self.manifest.get("created_at"))
        version = (self.manifest.get("code_version") or "unknown")[:SHORT_COMMIT]
        revisions = (self.manifest.get("revisions") or {}).get("rows")
        revised = "" if revisions is None else f"  {_count(revisions, 'revision', 'revisions')}"
        mark = "  current" if self.current else ""
        return (
            f"{self.id}  {created}  code {version:<{SHORT_COMMIT}}  "
            f"{_count(self.deliveries, 'delivery', 'deliveries')}  "
            f"{_size(self.bytes):>9}{revised}{mark}"
        ).rstrip()


def _count(n: int, one: str, many: str) -> str:
    return f"{n:>4} {one if n == 1 else many:<10}"


def _when(created_at: str | None) -> str:
    if not created_at:
        return "unknown time        "
    return datetime.fromisoformat(created_at).strftime("%Y-%m-%d %H:%M UTC")


def _size(n: int) -> str:
    if n < 1000:
        return f"{n} B"
    value = n / 1000
    for unit in ("kB", "MB"):
        if value < 1000:
            return f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"


def normal_id(text: str) -> str:
    """`3`, `03` and `000003` name the same release."""
    if not text.isdigit():
        raise UnknownRelease(f"{text!r}: a release id is a number, e.g. 000003 or 3")
    return text.zfill(ID_WIDTH)


def kept_releases(home: Home) -> list[ReleaseSummary]:
    """Every kept release, oldest first."""
    current = current_release_id(home)
    return [
        ReleaseSummary(i, home.releases / i, read_manifest(home.releases / i), i == current)
        for i in release_ids(home.releases)
    ]


def release_path(home: Home, release_id: str) -> Path:
    """The folder of a kept release, by id; UnknownRelease when it is not kept."""
    wanted = normal_id(release_id)
    ids = release_ids(home.releases)
    if wanted not in ids:
        kept = f"kept: {ids[0]} to {ids[-1]}" if ids else "none published yet"
        raise UnknownRelease(f"release {wanted}: not kept ({kept})")
    return home.releases / wanted


def describe(home: Home, release_id: str) -> str:
    """A release's manifest for reading: where it is, what went in, what changed."""
    path = release_path(home, release_id)
    manifest = read_manifest(path)
    summary = ReleaseSummary(path.name, path, manifest, path.name == current_release_id(home))
    lines = [
        f"release       {summary.id}{'  (current)' if summary.current else ''}",
        f"path          {path}",
        f"analytics DB  {path / 'analytics.duckdb'}",
        f"created       {manifest.get('created_at') or 'unknown'}",
        f"code version  {manifest.get('code_version') or 'unknown'}",
        f"manifest      version {manifest.get('manifest_version', 1)}",
        f"size          {_size(summary.bytes)} in {len(manifest.get('files') or [])} files",
    ]
    lines += ["", f"deliveries ({summary.deliveries})"]
    for entry in manifest.get("deliveries") or []:
        if isinstance(entry, str):  # manifest version 1: ids only
            lines.append(f"  {entry}")
            continue
        files = ", ".join(
            f"{f['name']} {f['sha256'][:SHORT_DELIVERY]}" for f in entry.get("files") or []
        )
        lines.append(
            f"  {entry['zone_id']:<8} {entry['wave_id']}  "
            f"{entry['delivery_id'][:SHORT_DELIVERY]}  {files}"
        )
    parameters = manifest.get("parameters")
    lines += ["", "parameters"]
    if not parameters:
        lines.append("  not recorded (manifest version 1)")
    for group, values in (parameters or {}).items():
        for name, value in values.items():
            lines.append(f"  {group}.{name} = {json.dumps(value)}")
    lines += ["", "row counts"]
    for table, rows in (manifest.get("row_counts") or {}).items():
        lines.append(f"  {table:<32} {rows:>10}")
    lines += ["", "revisions"]
    revisions = manifest.get("revisions")
    if revisions is None:
        lines.append("  not recorded (manifest version 1)")
    else:
        compared = revisions.get("compared_to") or "nothing"
        lines.append(f"  {revisions['rows']} changed figures against release {compared}")
        if revisions.get("tables"):
            lines.append(f"  tables: {', '.join(revisions['tables'])}")
        if revisions.get("note"):
            lines.append(f"  note: {revisions['note']}")
        lines.append(f"  {path / 'revisions.csv'}")
    return "\n".join(lines)
