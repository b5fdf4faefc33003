"""The corpus's slow cases (tests/corpus/cases.yaml, `slow: true`) alone through
`smesurvey ingest FILE... --zone --wave`, each on a copy of a published home: a refusal
publishes nothing, an accepted delivery is judged by the same gate and published
without its injected text."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from orchestration.settings import PROJECT_ROOT, Home
from tests.corpus.build import ZONE, Case, copy_clean, make_delivery
from tests.corpus.outcomes import (
    INJECTED,
    SLOW_CASES,
    assert_accounting,
    fmt,
    published_text,
    query,
    sha256,
    tree_digest,
)
from tests.support.timeouts import HANG_GUARD

CLI = PROJECT_ROOT / ".venv" / "bin" / "smesurvey"


def run_cli(home: Path, files: list[Path], wave: int) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("SMESURVEY_HOME", "DAGSTER_HOME")}
    command = [str(CLI), "--home", str(home), "ingest", *map(str, files)]
    return subprocess.run(
        [*command, "--zone", ZONE, "--wave", str(wave)],
        capture_output=True,
        text=True,
        env=env,
        cwd=PROJECT_ROOT,
        timeout=HANG_GUARD,
    )


@pytest.fixture(scope="module")
def published_home(clean_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home that ingested and published the clean delivery of every slow case's wave."""
    home = tmp_path_factory.mktemp("published") / "home"
    for wave in sorted({c.filed_wave for c in SLOW_CASES}):
        files = copy_clean(clean_root, wave, tmp_path_factory.mktemp(f"clean-{wave}"))
        done = run_cli(home, files, wave)
        assert done.returncode == 0, done.stderr[-2000:]
    assert Home(home).analytics_db.is_file()
    return home


def assert_judged_by_the_gate(case: Case, build_db: Path) -> None:
    """The CLI's run went through the same gate: the newest delivery is loaded as judged."""
    expect = case.expect
    quarantined = expect["outcome"] == "quarantined"
    status, rejected, delivery_id = query(
        build_db,
        "select status, rows_rejected, delivery_id from raw.deliveries "
        "order by received_at desc limit 1",
    )[0]
    assert status == "loaded"
    assert rejected == expect.get("rows_rejected", 1 if quarantined else 0)
    if quarantined:
        lines = query(
            build_db,
            "select count(*) from raw.rejected_rows where delivery_id = ? and rule_id = ?",
            [delivery_id, expect["rule"]],
        )
        assert lines[0][0] >= 1
    if "normalized" in expect:
        norm = expect["normalized"]
        logged = query(
            build_db,
            "select before, after from raw.normalizations where delivery_id = ? and rule = ?",
            [delivery_id, norm["rule"]],
        )
        assert (norm["before"], str(norm["after"])) in logged


@pytest.mark.slow
@pytest.mark.parametrize("case", SLOW_CASES, ids=[c.id for c in SLOW_CASES])
def test_case_through_the_cli(
    case: Case, clean_root: Path, published_home: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    shutil.copytree(published_home, home, symlinks=True)
    # Through `current`: after a publish these name the new release's files.
    analytics, site = Home(home).analytics_db, Home(home).dashboards
    before_db, before_pages = sha256(analytics), tree_digest(site)
    delivery = make_delivery(case, clean_root)
    files = delivery.write(tmp_path / "delivery")

    done = run_cli(home, files, case.filed_wave)

    if case.expect["outcome"] == "blocked":
        assert done.returncode == 1
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1, done.stderr[-3000:]
        assert lines[0].startswith("smesurvey: ")
        assert re.search(fmt(case.expect["message"], case), lines[0]), lines[0]
        # Nothing published: the analysts' DB and the pages are the previous good ones.
        assert sha256(analytics) == before_db
        assert tree_digest(site) == before_pages
        status = query(
            Home(home).build_db,
            "select status from raw.deliveries order by received_at desc limit 1",
        )
        assert status == [("blocked",)]
    else:
        assert done.returncode == 0, done.stderr[-3000:]
        lines = done.stdout.splitlines()
        assert lines[0].startswith(f"{ZONE}/{case.filed_wave}: ingested "), done.stdout
        assert lines[1].startswith("warehouse built and published (run "), done.stdout
        assert sha256(analytics) != before_db
        assert_judged_by_the_gate(case, Home(home).build_db)
        leaked = [t for t in published_text(home) if any(s in t for s in INJECTED)]
        assert leaked == []
        pages = [p for p in site.rglob("*") if p.is_file()]
        assert not [p for p in pages if any(s.encode() in p.read_bytes() for s in INJECTED[:2])]
    assert_accounting(Home(home).build_db)
