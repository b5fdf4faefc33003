"""A publication is one unit: a complete release folder made current with one atomic switch.

Layout under `warehouse/`:

    releases/000001/                  one kept publication, never changed once named
        analytics.duckdb              the marts (orchestration/publish.py)
        parquet/<mart>.parquet        the same rows as Parquet (analytics.duckdb and parquet/
                                      are the internal product: restricted, analysts only)
        public/                       the public product: aggregate tables with disclosure
                                      control, CSV + Parquet, codebook.json, README.md
                                      (orchestration/public_release.py)
        dashboards/index.html ...     the static site, drawn from this folder's DB
        revisions.parquet, .csv       public figures changed since the previous release
        manifest.json                 id, time, code version, deliveries (zone, wave, files'
                                      sha256), build parameters, revisions, files + sha256, rows,
                                      public: its tables' rows and suppressed cells
    releases/.pending-<pid>-<uuid>/   a release being written (swept when <pid> is dead)
    current -> releases/000002        relative symlink: what analysts open

A publish writes everything into a pending folder, fsyncs it, renames it to the
next number and then replaces `current` with `os.replace` of a fresh symlink.
Whoever resolves `current/...` gets one whole release: a reader with a file open
keeps its release (even after pruning: unlinked files stay readable while open)
and sees the next one when it reopens the path. A crash at any point leaves
`current` on the previous release; its leftovers carry the dead pid in their name
and are removed by `sweep_leftovers` at the next start.

Release ids are plain sortable numbers; an analyst cites "as published in release
N" and can open any kept release by its id (`smesurvey releases`, `sql --release`).
Manifest version 2 lists each delivery with its zone, wave and files; version 1
(ids only) is still read: `delivery_ids` accepts both.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from orchestration.codebook import Codebook
from orchestration.dbt_vars import DBT_PROJECT_FILE
from orchestration.faults import crash_point
from orchestration.processes import process_alive
from orchestration.public_release import PUBLIC_DIR_NAME, write_public
from orchestration.publish import (
    ANALYTICS_DB_NAME,
    PARQUET_DIR_NAME,
    PublishedTable,
    PublishError,
    write_marts,
)
from orchestration.revisions import new_deliveries, write_revisions
from orchestration.settings import PROJECT_ROOT, Home

MANIFEST = "manifest.json"
DASHBOARDS_DIR_NAME = "dashboards"
MANIFEST_VERSION = 2
# dbt vars that label or scope one invocation; every other var shapes the published
# figures (thresholds, cut-offs) and is recorded in the manifest.
RUN_SCOPED_DBT_VARS = frozenset({"wave_id", "zone_id", "zone_waves", "test_all_rows"})
ID_WIDTH = 6
KEEP_ENV = "SMESURVEY_KEEP_RELEASES"
DEFAULT_KEEP = 5
FILE_MODE = 0o644
DIR_MODE = 0o755
# Leftover names: the pid of the process that made them, so a sweep can tell a
# crashed run's folder from one a live process is still writing.
PENDING = "pending"
PRUNING = "pruning"
SWITCH = "current"
LEFTOVER = re.compile(r"^\.(?P<kind>pending|pruning|current)-(?P<pid>\d+)-[0-9a-f]+$")
# `.incoming-<pid>-<hex>` from land_delivery; legacy `.incoming-<hex>` has no pid.
INCOMING = re.compile(r"^\.incoming-(?:(?P<pid>\d+)-)?[0-9a-f]+$")
# Held (flock) while publishing: released by the kernel when the publisher dies.
PUBLISH_LOCK = ".publish.lock"
LEGACY_TMP_GLOBS = (".analytics.*.tmp", ".analytics.*.tmp.wal", "parquet/.*.parquet.tmp")

SiteBuilder = Callable[[Path, Path], object]


@dataclass(frozen=True)
class Release:
    """One published release folder and what its manifest says."""

    id: str
    path: Path
    manifest: dict[str, Any]
    tables: tuple[PublishedTable, ...] = ()
    pruned: tuple[str, ...] = field(default_factory=tuple)

    @property
    def analytics_db(self) -> Path:
        return self.path / ANALYTICS_DB_NAME

    @property
    def parquet_dir(self) -> Path:
        return self.path / PARQUET_DIR_NAME

    @property
    def dashboards(self) -> Path:
        return self.path / DASHBOARDS_DIR_NAME

    @property
    def public_dir(self) -> Path:
        return self.path / PUBLIC_DIR_NAME

    def row_counts(self) -> dict[str, int]:
        return dict(self.manifest["row_counts"])

    @property
    def bytes(self) -> int:
        return sum(f["bytes"] for f in self.manifest["files"])


def scratch_name(kind: str) -> str:
    """`.<kind>-<pid>-<uuid>`: a name no analyst path resolves to, owned by this process."""
    return f".{kind}-{os.getpid()}-{uuid.uuid4().hex}"


def release_ids(releases: Path) -> list[str]:
    """Names of the finished releases, oldest first (pending and pruning folders ignored)."""
    if not releases.is_dir():
        return []
    return sorted((p.name for p in releases.iterdir() if p.name.isdigit() and p.is_dir()), key=int)


def next_release_id(releases: Path) -> str:
    ids = release_ids(releases)
    return str(int(ids[-1]) + 1 if ids else 1).zfill(ID_WIDTH)


def current_release_id(home: Home) -> str | None:
    """The release `warehouse/current` points at, or None before the first publish."""
    if not home.current.is_symlink():
        return None
    return Path(os.readlink(home.current)).name


def keep_count(env: dict[str, str] | None = None) -> int:
    raw = (env if env is not None else os.environ).get(KEEP_ENV, str(DEFAULT_KEEP))
    try:
        keep = int(raw)
    except ValueError:
        keep = 0
    if keep < 1:
        raise PublishError(f"{KEEP_ENV}={raw!r}: expected a whole number of releases, at least 1")
    return keep


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _files(folder: Path) -> Iterator[Path]:
    return (p for p in sorted(folder.rglob("*")) if p.is_file())


def file_entries(folder: Path) -> list[dict[str, Any]]:
    """Every file under `folder` except the manifest: relative path, bytes, sha256."""
    entries = []
    for path in _files(folder):
        name = path.relative_to(folder).as_posix()
        if name != MANIFEST:
            entries.append({"path": name, "bytes": path.stat().st_size, "sha256": sha256_of(path)})
    return entries


def loaded_deliveries(build_db: Path) -> list[dict[str, Any]] | None:
    """The deliveries in force in the build DB (`raw.deliveries` status `loaded`), if readable:
    id, zone, wave and each landed file's name and sha256, as landing recorded them."""
    if not build_db.is_file():
        return None
    try:
        with duckdb.connect(str(build_db), read_only=True) as con:
            rows = con.execute(
                "select delivery_id, zone_id, wave_id, files from raw.deliveries "
                "where status = 'loaded' order by zone_id, wave_id, delivery_id"
            ).fetchall()
    except duckdb.Error:  # busy, or no raw schema (tests, Spark-only builds)
        return None
    return [
        {
            "delivery_id": delivery_id,
            "zone_id": zone_id,
            "wave_id": wave_id,
            "files": [
                {"name": f["name"], "sha256": f["sha256"]} for f in json.loads(files or "[]")
            ],
        }
        for delivery_id, zone_id, wave_id, files in rows
    ]


def delivery_ids(manifest: dict[str, Any]) -> set[str]:
    """The delivery ids a manifest lists: plain ids (version 1) or delivery records (2)."""
    entries = manifest.get("deliveries") or []
    return {e if isinstance(e, str) else e["delivery_id"] for e in entries}


def dbt_parameters(project_file: Path = DBT_PROJECT_FILE) -> dict[str, Any]:
    """The dbt vars that shape the published figures, as dbt_project.yml sets them.

    Builds pass no --vars (orchestration/defs/assets/dbt.py), so the file is what ran.
    """
    from orchestration.dbt_vars import dbt_vars

    variables = dbt_vars(project_file)
    return {k: v for k, v in sorted(variables.items()) if k not in RUN_SCOPED_DBT_VARS}


def build_parameters() -> dict[str, Any]:
    """What, besides the code and the deliveries, decides the published figures."""
    # The disclosure thresholds are dbt vars; the public release adds its rounding.
    from orchestration.disclosure import ROUND_TO

    return {"dbt_vars": dbt_parameters(), "public": {"round_to": ROUND_TO}}


def code_version(root: Path = PROJECT_ROOT) -> str | None:
    """The commit the code runs from, when it runs from a git checkout."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return (done.stdout.strip() or None) if done.returncode == 0 else None


def build_manifest(
    release_id: str,
    folder: Path,
    row_counts: dict[str, int],
    deliveries: list[dict[str, Any]] | None,
    version: str | None,
    created_at: datetime,
    parameters: dict[str, Any] | None = None,
    revisions: dict[str, Any] | None = None,
    public: dict[str, Any] | None = None,
) -> dict[str, Any]:
    manifest = {
        "manifest_version": MANIFEST_VERSION,
        "release_id": release_id,
        "created_at": created_at.astimezone(UTC).isoformat(timespec="seconds"),
        "code_version": version,
        "deliveries": deliveries,
        "parameters": parameters,
        "revisions": revisions,
        "row_counts": dict(sorted(row_counts.items())),
        "files": file_entries(folder),
    }
    if public is not None:
        manifest["public"] = public
    return manifest


def write_manifest(folder: Path, manifest: dict[str, Any]) -> Path:
    path = folder / MANIFEST
    path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def read_manifest(release: Path) -> dict[str, Any]:
    return json.loads((release / MANIFEST).read_text(encoding="utf-8"))


def make_readable(folder: Path) -> None:
    """0644 files, 0755 folders: analysts under other accounts read releases whatever the umask."""
    for path in [folder, *folder.rglob("*")]:
        if not path.is_symlink():
            path.chmod(DIR_MODE if path.is_dir() else FILE_MODE)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(folder: Path) -> None:
    """Data and directory entries on disk before the rename makes them a release."""
    for path in sorted(folder.rglob("*"), key=lambda p: -len(p.parts)):
        if not path.is_symlink():
            _fsync(path)
    _fsync(folder)


def _rename_to_next_id(pending: Path, releases: Path, manifest_of: Callable[[str], dict]) -> str:
    """Write the manifest for the next free id and rename the pending folder to it.

    Publishing runs one at a time (pool `build_db`); should two ever race, rename
    onto the other's finished (non-empty) folder fails and we take the next number.
    """
    for _ in range(100):
        release_id = next_release_id(releases)
        write_manifest(pending, manifest_of(release_id))
        (pending / MANIFEST).chmod(FILE_MODE)
        _fsync(pending / MANIFEST)
        try:
            os.rename(pending, releases / release_id)
        except OSError:
            if (releases / release_id).exists():
                continue
            raise
        _fsync(releases)
        return release_id
    raise PublishError(f"{releases}: no free release number after 100 attempts")


def switch_current(home: Home, release_id: str) -> None:
    """Point `warehouse/current` at `releases/<id>` with one atomic rename of a new symlink."""
    link = home.warehouse / scratch_name(SWITCH)
    os.symlink(Path(home.releases.name) / release_id, link)
    try:
        os.replace(link, home.current)
    except OSError:
        link.unlink(missing_ok=True)
        raise
    _fsync(home.warehouse)


def prune_releases(home: Home, keep: int) -> tuple[str, ...]:
    """Remove all but the newest `keep` releases, never the current one.

    Each is first renamed out of the numbered namespace, so a crash mid-delete
    leaves a swept `.pruning-*` folder rather than a half release with a number.
    """
    current = current_release_id(home)
    ids = release_ids(home.releases)
    doomed = [i for i in ids[: max(len(ids) - keep, 0)] if i != current]
    for release_id in doomed:
        trash = home.releases / scratch_name(PRUNING)
        os.rename(home.releases / release_id, trash)
        shutil.rmtree(trash)
    return tuple(doomed)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _dead(match: re.Match[str] | None) -> bool:
    if match is None:
        return False
    pid = match.group("pid")
    return pid is None or not process_alive(int(pid))


def sweep_leftovers(home: Home) -> list[Path]:
    """Remove what crashed runs left behind; return what was removed.

    Pending and pruning release folders, unswitched `current` symlinks and landing
    staging folders are removed only when the process named in them is gone:
    another live process may be publishing or landing right now. The temporary
    files of the pre-release publisher are always leftovers.
    """
    candidates: list[Path] = []
    if home.releases.is_dir():
        candidates += [p for p in home.releases.iterdir() if _dead(LEFTOVER.match(p.name))]
    if home.warehouse.is_dir():
        candidates += [p for p in home.warehouse.iterdir() if _dead(LEFTOVER.match(p.name))]
        for pattern in LEGACY_TMP_GLOBS:
            candidates += list(home.warehouse.glob(pattern))
    if home.landing.is_dir():
        candidates += [
            p for p in home.landing.glob("*/*/.incoming-*") if _dead(INCOMING.match(p.name))
        ]
    for path in candidates:
        _remove(path)
    return candidates


@contextmanager
def publish_lock(home: Home) -> Iterator[None]:
    """One publisher at a time per home; the kernel drops the lock when its process dies."""
    home.root.mkdir(parents=True, exist_ok=True)
    # beside warehouse/, not in it: analysts see releases only
    with (home.root / PUBLISH_LOCK).open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def remove_unswitched(home: Home) -> tuple[str, ...]:
    """Remove releases numbered after the current one: their publisher died between the
    rename and the switch, so they never became current. Called under `publish_lock`, so
    no live publisher is about to switch to one; their number is then used again."""
    current = current_release_id(home)
    unswitched = [i for i in release_ids(home.releases) if current is None or int(i) > int(current)]
    for release_id in unswitched:
        trash = home.releases / scratch_name(PRUNING)
        os.rename(home.releases / release_id, trash)
        shutil.rmtree(trash)
    return tuple(unswitched)


def _build_site(public_dir: Path, out_dir: Path) -> object:
    from dashboards.site import build_site

    return build_site(public_dir, out_dir)


def _revisions(
    home: Home, pending: Path, deliveries: list[dict[str, Any]] | None
) -> dict[str, Any]:
    """Write the pending release's revisions against the current release; their summary."""
    previous_id = current_release_id(home)
    previous = home.releases / previous_id if previous_id is not None else None
    if previous is not None and not previous.is_dir():
        previous = None  # `current` dangling (removed by hand): compare with nothing
    previous_ids = delivery_ids(read_manifest(previous)) if previous is not None else set()
    return write_revisions(pending, previous, new_deliveries(deliveries, previous_ids))


def publish_release(
    build_db: Path,
    home: Home,
    *,
    codebook: Codebook | None = None,
    spark_marts: Path | None = None,
    keep: int | None = None,
    site: SiteBuilder | None = _build_site,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Release:
    """Write a complete release from `build_db`, make it current, prune old ones.

    `site`: draws the dashboards from the pending release's own DB into its
    `dashboards/`; None leaves them out (the benchmark times the site on its own).
    `keep`: releases kept after the switch (default `SMESURVEY_KEEP_RELEASES`, 5).
    """
    keep = keep_count() if keep is None else keep
    if keep < 1:
        raise PublishError(f"keep={keep}: at least the current release must be kept")
    with publish_lock(home):
        remove_unswitched(home)
        sweep_leftovers(home)
        home.releases.mkdir(parents=True, exist_ok=True)
        if home.releases.stat().st_mode & DIR_MODE != DIR_MODE:  # chmod only what we must own
            home.releases.chmod(DIR_MODE)
        pending = home.releases / scratch_name(PENDING)
        pending.mkdir()
        try:
            result = write_marts(build_db, pending, codebook=codebook, spark_marts=spark_marts)
            crash_point("publish.marts")
            # from the finished internal DB of this same folder: both products agree
            public = write_public(result.analytics_db, pending / PUBLIC_DIR_NAME).summary()
            if site is not None:  # the public product's site: from public/ alone
                site(pending / PUBLIC_DIR_NAME, pending / DASHBOARDS_DIR_NAME)
                crash_point("publish.dashboards")
            deliveries = loaded_deliveries(build_db)
            # Compared with the release analysts have now (under the lock, and after
            # remove_unswitched, the newest one), inside the pending folder: a crash
            # leaves no release without its revisions.
            revisions = _revisions(home, pending, deliveries)
            crash_point("publish.revisions")
            make_readable(pending)
            fsync_tree(pending)
            # Everything but the id is fixed now; the manifest goes in last, with the id.
            counts, version, created = result.row_counts(), code_version(), now()
            parameters = build_parameters()

            def manifest_of(release_id: str) -> dict[str, Any]:
                return build_manifest(
                    release_id,
                    pending,
                    counts,
                    deliveries,
                    version,
                    created,
                    parameters,
                    revisions,
                    public,
                )

            release_id = _rename_to_next_id(pending, home.releases, manifest_of)
        except BaseException:
            shutil.rmtree(pending, ignore_errors=True)
            raise
        crash_point("publish.renamed")
        switch_current(home, release_id)
        crash_point("publish.switched")
        pruned = prune_releases(home, keep)
        path = home.releases / release_id
        # The tables were written under the pending name: point them at the release.
        tables = tuple(
            replace(t, parquet=path / PARQUET_DIR_NAME / t.parquet.name) for t in result.tables
        )
        return Release(release_id, path, read_manifest(path), tables, pruned)
