"""The dbt target folder of a build and the parse state kept between builds (one home)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from orchestration.dbt_state import (
    PARSE_LOCK,
    PARSE_PREFIX,
    PARTIAL_PARSE,
    keep_parse_state,
    parse_beside,
    prepare_run_target,
)


def test_a_first_build_starts_without_parse_state(tmp_path: Path) -> None:
    runs = tmp_path / "build" / "dbt"
    target = prepare_run_target(runs, "r1")
    assert target == runs / "run-r1" and target.is_dir()
    assert not (target / PARTIAL_PARSE).exists()
    assert runs.stat().st_mode & 0o077 == 0  # restricted: the state holds the pseudonym key


def test_the_next_build_starts_from_the_state_the_last_one_left(tmp_path: Path) -> None:
    runs = tmp_path / "dbt"
    first = prepare_run_target(runs, "r1")
    (first / PARTIAL_PARSE).write_bytes(b"state of r1")
    (first / "dbt.log").write_text("log of r1")
    keep_parse_state(first, runs)
    second = prepare_run_target(runs, "r2")
    assert (second / PARTIAL_PARSE).read_bytes() == b"state of r1"
    # the earlier build's folder is gone; the state and the new folder remain
    assert sorted(p.name for p in runs.iterdir()) == [PARSE_LOCK, PARTIAL_PARSE, "run-r2"]


def test_a_build_that_left_no_state_keeps_the_previous_one(tmp_path: Path) -> None:
    runs = tmp_path / "dbt"
    runs.mkdir()
    (runs / PARTIAL_PARSE).write_bytes(b"older")
    target = prepare_run_target(runs, "r3")
    (target / PARTIAL_PARSE).unlink()
    keep_parse_state(target, runs)
    assert (runs / PARTIAL_PARSE).read_bytes() == b"older"
    assert [p.name for p in runs.glob(".*")] == [PARSE_LOCK]


# A parse running beside the ingestion, played by a child process holding the home's
# parse lock (orchestration.dbt_state.parse_lock) until the test lets it go.
HOLDER = """
import sys, time
from pathlib import Path
from orchestration.dbt_state import PARTIAL_PARSE, parse_lock
runs, ready, go = (Path(a) for a in sys.argv[1:4])
with parse_lock(runs, wait=0.0) as held:
    assert held
    (runs / f"parse-{__import__('os').getpid()}").mkdir()
    ready.touch()
    while not go.exists():
        time.sleep(0.05)
    (runs / PARTIAL_PARSE).write_bytes(b"state of the parse beside")
"""


def _holder(runs: Path, tmp_path: Path) -> tuple[subprocess.Popen, Path]:
    runs.mkdir(parents=True)
    ready, go = tmp_path / "ready", tmp_path / "go"
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(runs), str(ready), str(go)],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])},
    )
    while not ready.exists():
        assert child.poll() is None, "the lock holder died"
        threading.Event().wait(0.05)
    return child, go


def test_a_build_waits_for_the_parse_running_beside_it(tmp_path: Path) -> None:
    runs = tmp_path / "dbt"
    child, go = _holder(runs, tmp_path)
    targets: list[Path] = []
    build = threading.Thread(target=lambda: targets.append(prepare_run_target(runs, "r1")))
    build.start()
    build.join(timeout=1.0)
    assert build.is_alive()  # held up by the parse, however long it takes
    go.touch()
    build.join()
    assert child.wait() == 0
    assert (targets[0] / PARTIAL_PARSE).read_bytes() == b"state of the parse beside"


def test_a_killed_parse_leaves_nothing_that_blocks_the_build(tmp_path: Path) -> None:
    runs = tmp_path / "dbt"
    child, _ = _holder(runs, tmp_path)
    child.send_signal(signal.SIGKILL)
    child.wait()
    target = prepare_run_target(runs, "r1")
    assert not (target / PARTIAL_PARSE).exists()
    assert not list(runs.glob(f"{PARSE_PREFIX}*"))  # its folder is garbage now


def test_no_parse_beside_a_home_that_has_its_state(tmp_path: Path) -> None:
    runs = tmp_path / "dbt"
    runs.mkdir()
    (runs / PARTIAL_PARSE).write_bytes(b"state")
    # a bad executable would fail loudly if a process were started
    parse_beside(runs, "duckdb", {"PATH": ""})
    assert sorted(p.name for p in runs.iterdir()) == [PARTIAL_PARSE]
