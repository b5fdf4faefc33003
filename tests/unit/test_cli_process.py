"""What `smesurvey`'s entry point sets for the process around every command."""

from __future__ import annotations

import gc
import os

import pytest

from orchestration import cli
from orchestration.gc_tuning import GC_THRESHOLDS


def test_main_raises_the_gc_thresholds_and_freezes_the_heap_at_exit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: dict[str, int | tuple[int, ...]] = {}

    def command(prog_name: str) -> None:
        seen["thresholds"] = gc.get_threshold()
        seen["frozen"] = gc.get_freeze_count()
        raise SystemExit(0)  # as click ends a command

    monkeypatch.setattr(cli, "cli", command)
    thresholds, umask = gc.get_threshold(), os.umask(0o022)
    os.umask(umask)
    try:
        with pytest.raises(SystemExit):
            cli.main()
        assert seen["thresholds"] == GC_THRESHOLDS
        assert gc.get_freeze_count() > seen["frozen"]  # frozen on the way out, exit or not
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
        os.umask(umask)
