"""The prepared dbt manifest is dated when its parse began, not when it was written.

A model saved while `dbt parse` runs may be missing from that parse's manifest. Dated
by its own write time, such a manifest looked newer than the model and was reused by
every later run, which then failed on the model's events (KeyError in dagster-dbt).
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

from orchestration.defs.assets.dbt import dbt_project, manifest_is_stale, parse_project
from orchestration.settings import DBT_PROJECT_DIR


def test_the_manifest_is_dated_at_the_start_of_its_parse(tmp_path: Path) -> None:
    root = tmp_path / "project"
    shutil.copytree(DBT_PROJECT_DIR, root, ignore=shutil.ignore_patterns("target", "logs"))
    project = dbt_project(root)
    before = time.time()
    manifest = parse_project(project)
    after = time.time()
    stamped = manifest.stat().st_mtime
    # Closer to the start than to the end of the call: a file saved during the parse
    # is newer than the manifest. (A ratio of the call's own duration, not a time limit.)
    assert before - 1e-3 <= stamped and stamped - before < (after - before) / 2
    assert not manifest_is_stale(project)
    assert "model.smesurvey.dim_wave" in json.loads(manifest.read_text(encoding="utf-8"))["nodes"]
    # A model saved after the parse began makes the manifest stale.
    (root / "models" / "marts" / "zz_new.sql").write_text("select 1 as x\n", encoding="utf-8")
    assert manifest_is_stale(project)
