"""Where a build's `dbt build` writes its target folder, and the parse state kept between builds.

dagster-dbt gives every run a new target folder under `dbt_project/target` and seeds it
with the project's `partial_parse.msgpack`. Two things go wrong with that: the folders
pile up in the project (hundreds of MB), and dbt stores the pseudonym key in the parse
state, so the key ends up outside restricted storage. And the project's parse state was
made under another profile (the `dbt parse` of whichever home prepared the manifest):
dbt finds "profile has changed" and parses the whole project again, seconds per build.

So each build gets its folder in the home's restricted build area, seeded with the parse
state its home's previous build left; the folder of the previous build is removed (one
build at a time per home: the build_db pool). Nothing here needs Dagster.

A home's first build has no state and parses the whole project (about 6 CPU-s). So once
the gate has passed a zone-wave (a build will follow), the run starts that parse beside
the loads and the gate's GX record (`parse_beside`: a `dbt parse` in a child process),
and the build waits for it and starts from its state. The child holds a lock while it
parses; killed, it leaves only a folder the next build removes. A build that finds no
parse running parses itself.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

# dbt's saved parse state (dagster-dbt names it the same)
PARTIAL_PARSE = "partial_parse.msgpack"
RUN_PREFIX = "run-"
# `parse_beside`: the child's lock and its target folder (parse-<pid>)
PARSE_LOCK = ".parse.lock"
PARSE_PREFIX = "parse-"
# How long a build waits for a parse running beside it; past that it parses itself
# (a parse takes seconds: a longer one is stuck, not slow).
PARSE_WAIT_SECONDS = 300.0


def prepare_run_target(runs: Path, run_id: str) -> Path:
    """A new target folder for run `run_id`, holding the home's saved parse state if any
    (after the parse running beside the ingestion, if one is, has saved it)."""
    runs.mkdir(mode=0o700, parents=True, exist_ok=True)
    for earlier in runs.glob(f"{RUN_PREFIX}*"):
        shutil.rmtree(earlier, ignore_errors=True)
    target = runs / f"{RUN_PREFIX}{run_id}"
    target.mkdir(mode=0o700)
    with parse_lock(runs, wait=PARSE_WAIT_SECONDS) as held:
        if held:  # no parse is running: what one left is garbage (it was killed)
            for stale in runs.glob(f"{PARSE_PREFIX}*"):
                shutil.rmtree(stale, ignore_errors=True)
        saved = runs / PARTIAL_PARSE
        if saved.is_file():
            shutil.copyfile(saved, target / PARTIAL_PARSE)
    return target


def parse_beside(runs: Path, dbt_target: str, env: Mapping[str, str]) -> None:
    """A home without parse state: start `dbt parse` in a child process that saves its
    state for the build to come (dbt's environment `env`, the build's `dbt_target`)."""
    if (runs / PARTIAL_PARSE).is_file():
        return
    runs.mkdir(mode=0o700, parents=True, exist_ok=True)
    subprocess.Popen(
        [sys.executable, "-m", "orchestration.dbt_state", str(runs), dbt_target],
        env={**env, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def parse_into_state(runs: Path, dbt_target: str) -> None:
    """The child of `parse_beside`: one parse per home at a time, none once a state exists."""
    from orchestration.dbt_command import dbt_command

    with parse_lock(runs, wait=0.0) as held:
        if not held or (runs / PARTIAL_PARSE).is_file():
            return
        target = runs / f"{PARSE_PREFIX}{os.getpid()}"
        try:
            command = dbt_command(
                ["parse", "--quiet", "--no-write-json"], target, dbt_target=dbt_target
            )
            done = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True)
            if done.returncode == 0:
                keep_parse_state(target, runs)
        finally:
            shutil.rmtree(target, ignore_errors=True)


@contextmanager
def parse_lock(runs: Path, *, wait: float) -> Iterator[bool]:
    """The home's parse lock, waiting up to `wait` seconds; yields whether it is held
    (the lock goes with its holder: a killed parse leaves it free)."""
    deadline = time.monotonic() + wait
    with (runs / PARSE_LOCK).open("a") as lock:
        while not _try_lock(lock.fileno()):
            if time.monotonic() >= deadline:
                yield False
                return
            time.sleep(0.1)
        try:
            yield True
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def keep_parse_state(target: Path, runs: Path) -> None:
    """After a build dbt finished: its parse state becomes the one the next build starts from.

    A copy renamed into place: a crash leaves the old state or the new one, never a torn file
    (and a state dbt cannot use only costs a full parse)."""
    produced = target / PARTIAL_PARSE
    if not produced.is_file():
        return
    scratch = runs / f".{PARTIAL_PARSE}.{os.getpid()}"
    shutil.copyfile(produced, scratch)
    os.replace(scratch, runs / PARTIAL_PARSE)


if __name__ == "__main__":
    parse_into_state(Path(sys.argv[1]), sys.argv[2])
