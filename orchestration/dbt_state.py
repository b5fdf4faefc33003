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
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

# dbt's saved parse state (dagster-dbt names it the same)
PARTIAL_PARSE = "partial_parse.msgpack"
RUN_PREFIX = "run-"


def prepare_run_target(runs: Path, run_id: str) -> Path:
    """A new target folder for run `run_id`, holding the home's saved parse state if any."""
    runs.mkdir(mode=0o700, parents=True, exist_ok=True)
    for earlier in runs.glob(f"{RUN_PREFIX}*"):
        shutil.rmtree(earlier, ignore_errors=True)
    target = runs / f"{RUN_PREFIX}{run_id}"
    target.mkdir(mode=0o700)
    saved = runs / PARTIAL_PARSE
    if saved.is_file():
        shutil.copyfile(saved, target / PARTIAL_PARSE)
    return target


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
