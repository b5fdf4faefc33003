"""A publication is one unit: release folders, the atomic `current` switch, pruning,
sweeping crashed runs' leftovers, live readers, and a publish killed half-way."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from orchestration.faults import CRASH_ENV
from orchestration.publish import PublishError, read_published_tables
from orchestration.release import (
    MANIFEST,
    current_release_id,
    keep_count,
    publish_release,
    release_ids,
    sha256_of,
    sweep_leftovers,
)
from orchestration.settings import PROJECT_ROOT, Home

DELIVERIES = ("d-loaded-1", "d-loaded-2")


def make_build_db(path: Path, n_enterprises: int) -> None:
    """A small build DB: two marts and raw.deliveries (one superseded delivery)."""
    path.unlink(missing_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute("create schema raw; create schema marts")
        con.execute(
            "create table raw.deliveries as select * from (values "
            f"('{DELIVERIES[0]}', 'loaded'), ('d-old', 'superseded'), "
            f"('{DELIVERIES[1]}', 'loaded')) t(delivery_id, status)"
        )
        con.execute(
            "create table marts.fct_enterprise_wave as select 'k' || i as enterprise_key, "
            f"2020 as wave_id, 0.5 as maturity_score from range({n_enterprises}) t(i)"
        )
        con.execute(
            f"create table marts.dim_wave as select 2020 as wave_id, {n_enterprises} as respondents"
        )


def tiny_site(analytics_db: Path, out_dir: Path) -> None:
    """A one-page site drawn from the given DB: enough to see which DB a release drew from."""
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = read_published_tables(analytics_db)["fct_enterprise_wave"]
    (out_dir / "index.html").write_text(f"<p>{rows} enterprises</p>", encoding="utf-8")


def publish(home: Home, n_enterprises: int, **options):
    make_build_db(home.build_db, n_enterprises)
    return publish_release(home.build_db, home, site=tiny_site, **options)


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
    assert manifest["deliveries"] == sorted(DELIVERIES)
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
        out, err = reader.communicate(timeout=60)
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

    def site(analytics_db, out_dir):
        out_dir.mkdir()
        (out_dir / "index.html").write_text("site")

    home = Home(Path(sys.argv[1]))
    publish_release(home.build_db, home, site=site)
    """
)
PUBLISH_STEPS = ("publish.marts", "publish.dashboards", "publish.renamed", "publish.switched")


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
        timeout=120,
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
