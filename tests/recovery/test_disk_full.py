"""A full disk: one line naming the path and the cause, nothing published changes, and the
same command succeeds once space is freed. On a real (small) tmpfs, mounted by the test."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestration.settings import Home

from .conftest import SECOND, assert_release_whole, copy_home, drop, published_content, smesurvey

pytestmark = pytest.mark.slow
TMPFS_BYTES = 256 << 20
LEFT_FREE = 2 << 20  # enough to start the command, not enough to finish it


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={TMPFS_BYTES}", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path, leave: int) -> Path:
    """A file taking all the space of `disk` but `leave` bytes."""
    filler = disk / "filler"
    stats = os.statvfs(disk)
    size = stats.f_bavail * stats.f_frsize - leave
    with filler.open("wb") as out:
        block = b"\0" * (1 << 20)
        while size > 0:
            size -= out.write(block[: min(len(block), size)])
    return filler


def test_full_disk_fails_cleanly_and_the_same_command_then_succeeds(
    small_disk: Path, base_home: Home, deliveries: Path, reference: dict
) -> None:
    home = copy_home(base_home, small_disk / "home")
    drop(deliveries, home, SECOND)
    filler = fill(small_disk, LEFT_FREE)

    failed = smesurvey(home, "ingest", "--inbox")
    lines = [line for line in failed.stderr.splitlines() if line.strip()]
    assert failed.returncode == 1, failed.stderr
    assert len(lines) == 1, failed.stderr
    assert "no space left on device" in lines[0]
    assert str(small_disk) in lines[0]  # names a path on the full disk
    assert assert_release_whole(home) == "000001"  # nothing published changed

    filler.unlink()
    again = smesurvey(home, "ingest", "--inbox")
    assert again.returncode == 0, again.stderr
    assert assert_release_whole(home) == "000002"
    assert published_content(home) == reference
