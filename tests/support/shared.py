"""Fixtures built once per test session, whichever pytest-xdist worker asks first.

A session-scoped fixture is per process: under pytest-xdist each worker would build
its own. `built_once` builds into a folder of the session's base temp directory
shared by every worker, under an exclusive lock: the first worker builds, the others
wait for the lock and reuse the folder. Without xdist it is a plain folder of the
session's temp directory. Users must not change what is in the folder: a test that
mutates a fixture copies it first (`copy_tree`).
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest


def session_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The temp folder every worker of this session sees (basetemp's parent under xdist)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def built_once(
    tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]
) -> Path:
    """`build(folder)` once per session; the folder, complete, to every worker that asks.

    A build that raises leaves no mark: the next worker asking tries again (and fails the
    same way, with its own traceback)."""
    root = session_root(tmp_path_factory)
    folder, done = root / f"shared-{name}", root / f"shared-{name}.built"
    with (root / f"shared-{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not done.is_file():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            build(folder)
            done.touch()
    return folder


def copy_tree(source: Path, target: Path) -> Path:
    """A private copy of a shared fixture folder (symlinks kept as links), to mutate."""
    shutil.copytree(source, target, symlinks=True)
    return target
