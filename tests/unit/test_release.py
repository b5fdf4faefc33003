"""A publication is one unit: release folders, the atomic `current` switch, pruning,
sweeping crashed runs' leftovers, live readers, and a publish killed half-way."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
import yaml

from orchestration.disclosure import ROUND_TO
from orchestration.faults import CRASH_ENV
from orchestration.publish import PublishError, read_published_tables
from orchestration.release import (
    MANIFEST,
    current_release_id,
    delivery_ids,
    keep_count,
    publish_release,
    release_ids,
    sha256_of,
    sweep_leftovers,
)
from orchestration.revisions import PUBLIC_CODEBOOK, PUBLIC_DIR_NAME, REVISIONS_PARQUET
from orchestration.settings import PROJECT_ROOT, Home
from tests.support.timeouts import HANG_GUARD

DELIVERIES = ("d-loaded-1", "d-loaded-2")
# (delivery id, zone, wave, status) of raw.deliveries: one delivery superseded
DELIVERY_ROWS = (
    (DELIVERIES[0], "SH-01", 2020, "loaded"),
    ("d-old", "JS-01", 2020, "superseded"),
    (DELIVERIES[1], "JS-01", 2020, "loaded"),
)


def landed_files(delivery_id: str) -> str:
    """raw.deliveries.files as landing records it (name, bytes, sha256, ...)."""
    sha = hashlib.sha256(delivery_id.encode()).hexdigest()
    return json.dumps([{"name": "platform_export.csv", "bytes": 3, "sha256": sha, "kind": "x"}])


def make_build_db(
    path: Path,
    n_enterprises: int,
    deliveries: tuple[tuple[str, str, int, str], ...] = DELIVERY_ROWS,
) -> None:
    """A small build DB: two marts and raw.deliveries."""
    path.unlink(missing_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute("create schema raw; create schema marts")
        con.execute(
            "create table raw.deliveries (delivery_id varchar, zone_id varchar, "
            "wave_id integer, files varchar, status varchar)"
        )
        for delivery_id, zone, wave, status in deliveries:
            con.execute(
                "insert into raw.deliveries values (?, ?, ?, ?, ?)",
                [delivery_id, zone, wave, landed_files(delivery_id), status],
            )
        con.execute(
            "create table marts.fct_enterprise_wave as select 'k' || i as enterprise_key, "
            f"2020 as wave_id, 0.5 as maturity_score from range({n_enterprises}) t(i)"
        )
        con.execute(
            f"create table marts.dim_wave as select 2020 as wave_id, {n_enterprises} as respondents"
        )


def tiny_site(public_dir: Path, out_dir: Path) -> None:
    """A one-page site drawn from the given release's public folder: it counts the rows
    of that release's DB beside it, enough to see which release a site drew from."""
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = read_published_tables(public_dir.parent / "analytics.duckdb")["fct_enterprise_wave"]
    (out_dir / "index.html").write_text(f"<p>{rows} enterprises</p>", encoding="utf-8")


def publish(home: Home, n_enterprises: int, deliveries=DELIVERY_ROWS, **options):
    make_build_db(home.build_db, n_enterprises, deliveries)
    options.setdefault("site", tiny_site)
    return publish_release(home.build_db, home, **options)


@pytest.fixture
def home(tmp_path: Path) -> Home:
    home = Home(tmp_path / "home").ensure()
    return home


def dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(child.stdout)


def test_publish_makes_one_complete_release_current(home: Home) -> None:
    old_umask = os.umask(0o077)  # a strict umask must not hide releases from analysts
    try:
        release = publish(home, n_enterprises=5)
    finally:
        os.umask(old_umask)
    assert release.id == "000001"
    assert home.current.is_symlink()
    assert os.readlink(home.current) == "releases/000001"  # relative: the home can move
    assert home.analytics_db.resolve() == release.analytics_db.resolve()
    manifest = json.loads((home.current / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["release_id"] == "000001"
    assert manifest["created_at"].endswith("+00:00")
    assert manifest["manifest_version"] == 2
    assert manifest["deliveries"] == [
        {
            "delivery_id": DELIVERIES[1],
            "zone_id": "JS-01",
            "wave_id": 2020,
            "files": [
                {
                    "name": "platform_export.csv",
                    "sha256": hashlib.sha256(DELIVERIES[1].encode()).hexdigest(),
                }
            ],
        },
        {
            "delivery_id": DELIVERIES[0],
            "zone_id": "SH-01",
            "wave_id": 2020,
            "files": [
                {
                    "name": "platform_export.csv",
                    "sha256": hashlib.sha256(DELIVERIES[0].encode()).hexdigest(),
                }
            ],
        },
    ]
    assert delivery_ids(manifest) == set(DELIVERIES)
    # The build parameters are dbt_project.yml's vars, less those scoping one invocation.
    project = yaml.safe_load((PROJECT_ROOT / "dbt_project" / "dbt_project.yml").read_text())
    dbt_vars = manifest["parameters"]["dbt_vars"]
    assert dbt_vars["min_base"] == project["vars"]["min_base"]
    assert set(dbt_vars) == set(project["vars"]) - {
        "wave_id",
        "zone_id",
        "zone_waves",
        "test_all_rows",
    }
    assert manifest["parameters"]["public"] == {"round_to": ROUND_TO}
    assert manifest["revisions"] == {
        "compared_to": None,
        "rows": 0,
        "tables": [],
        "note": "first release: nothing to compare",
    }
    assert manifest["row_counts"] == read_published_tables(home.analytics_db)
    assert manifest["row_counts"] == {"dim_wave": 1, "fct_enterprise_wave": 5}
    on_disk = sorted(
        p.relative_to(release.path).as_posix()
        for p in release.path.rglob("*")
        if p.is_file() and p.name != MANIFEST
    )
    assert [f["path"] for f in manifest["files"]] == on_disk
    assert "analytics.duckdb" in on_disk and "parquet/fct_enterprise_wave.parquet" in on_disk
    assert "dashboards/index.html" in on_disk
    assert "revisions.parquet" in on_disk and "revisions.csv" in on_disk
    # the public product sits in the release and in its manifest (labels only here:
    # these marts have no estimates; tests/e2e/test_public_release.py checks a real one)
    assert {"public/codebook.json", "public/README.md", "public/dim_wave.csv"} <= set(on_disk)
    assert manifest["public"]["row_counts"]["dim_wave"] == 1
    for entry in manifest["files"]:
        path = release.path / entry["path"]
        assert (path.stat().st_size, sha256_of(path)) == (entry["bytes"], entry["sha256"])
    # The site was drawn from the release's own DB.
    assert (home.dashboards / "index.html").read_text(encoding="utf-8") == "<p>5 enterprises</p>"
    for path in [release.path, *release.path.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o755 if path.is_dir() else 0o644), path
    assert [p.name for p in home.releases.iterdir()] == ["000001"]
    assert not [p for p in home.warehouse.iterdir() if p.name.startswith(".")]


def test_each_publish_is_a_new_release_and_old_ones_are_pruned(home: Home) -> None:
    publish(home, n_enterprises=5, keep=2)
    second = publish(home, n_enterprises=7, keep=2)
    assert second.id == "000002" and second.pruned == ()
    assert current_release_id(home) == "000002"
    assert release_ids(home.releases) == ["000001", "000002"]
    # The kept release is unchanged and still opens on its own.
    assert read_published_tables(home.releases / "000001" / "analytics.duckdb") == {
        "dim_wave": 1,
        "fct_enterprise_wave": 5,
    }
    third = publish(home, n_enterprises=9, keep=2)
    assert third.pruned == ("000001",)
    assert release_ids(home.releases) == ["000002", "000003"]
    assert read_published_tables(home.analytics_db)["fct_enterprise_wave"] == 9
    assert [p.name for p in home.releases.iterdir() if p.name.startswith(".")] == []


def test_keep_count_comes_from_the_environment(home: Home, monkeypatch) -> None:
    assert keep_count({}) == 5
    monkeypatch.setenv("SMESURVEY_KEEP_RELEASES", "1")
    publish(home, n_enterprises=3)
    publish(home, n_enterprises=4)
    assert release_ids(home.releases) == ["000002"]
    monkeypatch.setenv("SMESURVEY_KEEP_RELEASES", "none")
    with pytest.raises(PublishError, match="SMESURVEY_KEEP_RELEASES"):
        publish(home, n_enterprises=5)
    assert current_release_id(home) == "000002"


def test_a_failed_publish_leaves_current_and_no_pending_folder(home: Home) -> None:
    publish(home, n_enterprises=5)
    home.build_db.unlink()
    duckdb.connect(str(home.build_db)).close()  # no marts: write_marts refuses
    with pytest.raises(PublishError, match="no tables"):
        publish_release(home.build_db, home, site=tiny_site)
    assert current_release_id(home) == "000001"
    assert release_ids(home.releases) == ["000001"]
    assert not [p for p in home.releases.iterdir() if p.name.startswith(".")]


def test_sweep_removes_dead_runs_leftovers_only(home: Home) -> None:
    dead, live = dead_pid(), os.getpid()
    dead_pending = home.releases / f".pending-{dead}-abc123"
    live_pending = home.releases / f".pending-{live}-abc123"
    dead_pruning = home.releases / f".pruning-{dead}-def456"
    for folder in (dead_pending, live_pending, dead_pruning):
        (folder / "parquet").mkdir(parents=True)
        (folder / "parquet" / "x.parquet").write_bytes(b"half")
    dead_switch = home.warehouse / f".current-{dead}-abc123"
    dead_switch.symlink_to("releases/000001")  # dangling: must still be removed
    legacy_tmp = home.warehouse / ".analytics.0f0f.duckdb.tmp"
    legacy_tmp.write_bytes(b"x")
    wave = home.landing / "SH-01" / "2024"
    legacy_incoming = wave / ".incoming-0123456789abcdef"
    dead_incoming = wave / f".incoming-{dead}-0123abcd"
    live_incoming = wave / f".incoming-{live}-0123abcd"
    landed = wave / ("ab" * 32)  # a finished landing is never a leftover
    for folder in (legacy_incoming, dead_incoming, live_incoming, landed):
        folder.mkdir(parents=True)
    removed = set(sweep_leftovers(home))
    assert removed == {
        dead_pending,
        dead_pruning,
        dead_switch,
        legacy_tmp,
        legacy_incoming,
        dead_incoming,
    }
    assert live_pending.is_dir() and live_incoming.is_dir() and landed.is_dir()
    assert not dead_pending.exists() and not dead_switch.is_symlink()


READER = textwrap.dedent(
    """
    import json, sys, time, pathlib, duckdb
    db, flag = sys.argv[1], pathlib.Path(sys.argv[2])
    query = ("select (select count(*) from marts.fct_enterprise_wave), "
             "(select respondents from marts.dim_wave)")
    con = duckdb.connect(db, read_only=True)
    seen, errors = set(), []
    print("ready", flush=True)
    deadline = time.time() + 60
    while not flag.exists() and time.time() < deadline:
        try:
            seen.add(tuple(con.execute(query).fetchone()))
        except Exception as exc:  # the test fails on any error
            errors.append(repr(exc))
    old_after_switch = list(con.execute(query).fetchone())
    con.close()
    con = duckdb.connect(db, read_only=True)
    new = list(con.execute(query).fetchone())
    print(json.dumps({"seen": sorted(seen), "errors": errors,
                      "old_after_switch": old_after_switch, "reconnected": new}))
    """
)


def test_a_live_reader_keeps_its_release_until_it_reconnects(home: Home) -> None:
    publish(home, n_enterprises=5, keep=1)
    flag = home.root / "switched"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(home.analytics_db), str(flag)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert reader.stdout.readline().strip() == "ready"
        time.sleep(0.2)  # let the reader query the old release a few times
        # keep=1: the reader's release is even pruned under it.
        second = publish(home, n_enterprises=9, keep=1)
        time.sleep(0.2)  # and keep querying after the switch
        flag.touch()
        out, err = reader.communicate(timeout=HANG_GUARD)
    finally:
        reader.kill()
    assert reader.returncode == 0, err
    report = json.loads(out.strip().splitlines()[-1])
    assert report["errors"] == []
    assert report["seen"] == [[5, 5]]  # never a mix of two releases
    assert report["old_after_switch"] == [5, 5]
    assert report["reconnected"] == [9, 9]
    assert second.pruned == ("000001",)


KILLED_PUBLISH = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from orchestration.release import publish_release
    from orchestration.settings import Home

    def site(public_dir, out_dir):
        out_dir.mkdir()
        (out_dir / "index.html").write_text("site")

    home = Home(Path(sys.argv[1]))
    publish_release(home.build_db, home, site=site)
    """
)
PUBLISH_STEPS = (
    "publish.marts",
    "publish.dashboards",
    "publish.revisions",
    "publish.renamed",
    "publish.switched",
)


@pytest.mark.parametrize("point", PUBLISH_STEPS)
def test_a_publish_killed_at_each_step_is_old_or_new_and_the_next_one_finishes(
    home: Home, point: str
) -> None:
    publish(home, n_enterprises=5)
    make_build_db(home.build_db, 8)
    child = subprocess.run(
        [sys.executable, "-c", KILLED_PUBLISH, str(home.root)],
        cwd=PROJECT_ROOT,
        env={**os.environ, CRASH_ENV: point},
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
        start_new_session=True,
    )
    assert child.returncode == -9, child.stderr
    switched = point == "publish.switched"
    # the switch is the commit point: before it nothing changed, after it all did
    assert current_release_id(home) == ("000002" if switched else "000001")
    rows = read_published_tables(home.analytics_db)["fct_enterprise_wave"]
    assert rows == (8 if switched else 5)

    release = publish_release(home.build_db, home, site=tiny_site)
    # an unswitched release never became current: its number is used again
    assert release.id == ("000003" if switched else "000002")
    assert current_release_id(home) == release.id
    assert read_published_tables(home.analytics_db)["fct_enterprise_wave"] == 8
    assert [p.name for p in home.releases.iterdir() if p.name.startswith(".")] == []
    assert release_ids(home.releases) == ["000001", "000002", "000003"][: int(release.id)]


def site_with_public(n_estimate: float) -> Callable[[Path, Path], None]:
    """The tiny site, plus a `public/` folder per the public-table contract beside it
    (the publish's own public step finds no estimates in these tiny marts; the site's
    hook, which runs after it, replaces its codebook with one naming `est` only)."""

    def build(public_dir: Path, out_dir: Path) -> None:
        tiny_site(public_dir, out_dir)
        public = out_dir.parent / PUBLIC_DIR_NAME
        public.mkdir(exist_ok=True)
        with duckdb.connect() as con:
            con.execute(
                "copy (select * from (values (2020, 'SH-01', 0.5::double, false), "
                f"(2020, 'JS-01', {n_estimate}::double, false), "
                f"(2020, 'ALL', {n_estimate}::double / 2, false)) "
                "t(wave_id, zone_id, estimate, suppressed)) "
                f"to '{public / 'est.parquet'}' (format parquet)"
            )
        codebook = {
            "tables": {
                "est": {
                    "description": "an estimate",
                    "keys": ["wave_id", "zone_id"],
                    "values": ["estimate"],
                    "columns": {},
                }
            }
        }
        (public / PUBLIC_CODEBOOK).write_text(json.dumps(codebook), encoding="utf-8")

    return build


def test_a_publish_writes_the_revisions_against_the_current_release(home: Home) -> None:
    publish(home, n_enterprises=5, site=site_with_public(0.4))
    # JS-01/2020 delivered again: only its figures and the pooled ones may change.
    redelivered = (
        (DELIVERIES[0], "SH-01", 2020, "loaded"),
        (DELIVERIES[1], "JS-01", 2020, "superseded"),
        ("d-js-again", "JS-01", 2020, "loaded"),
    )
    second = publish(home, n_enterprises=5, deliveries=redelivered, site=site_with_public(0.6))

    assert second.manifest["revisions"] == {
        "compared_to": "000001",
        "rows": 2,
        "tables": ["est"],
        "note": None,
    }
    with duckdb.connect() as con:
        rows = con.execute(
            "select key, old_value, new_value, change, deliveries "
            f"from read_parquet('{second.path / REVISIONS_PARQUET}') order by key"
        ).fetchall()
    assert rows == [
        ('{"wave_id":2020,"zone_id":"ALL"}', "0.2", "0.3", "changed", "d-js-again"),
        ('{"wave_id":2020,"zone_id":"JS-01"}', "0.4", "0.6", "changed", "d-js-again"),
    ]
    listed = {f["path"] for f in second.manifest["files"]}
    assert {"revisions.parquet", "revisions.csv", "public/est.parquet"} <= listed
