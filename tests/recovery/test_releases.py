"""Releases made by the real `smesurvey ingest --inbox`: the version 2 manifest (deliveries
as landed, build parameters, revisions), the revisions files and `smesurvey releases`."""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import duckdb

from orchestration.release import dbt_parameters, read_manifest
from orchestration.revisions import REVISIONS_CSV, REVISIONS_PARQUET
from orchestration.settings import Home
from tests.recovery.conftest import SECOND, assert_release_whole, copy_home, drop, smesurvey


def landed(home: Home, zone: str, wave: int) -> dict:
    [manifest] = (home.landing / zone / str(wave)).glob("*/manifest.json")
    return json.loads(manifest.read_text(encoding="utf-8"))


def test_real_publishes_record_deliveries_parameters_and_revisions(
    tmp_path: Path, base_home: Home, deliveries: Path
) -> None:
    home = copy_home(base_home, tmp_path / "home")
    first = read_manifest(home.releases / "000001")
    landing = landed(home, "SH-01", 2020)
    assert first["manifest_version"] == 2
    assert first["deliveries"] == [
        {
            "delivery_id": landing["delivery_id"],
            "zone_id": "SH-01",
            "wave_id": 2020,
            "files": [{"name": f["name"], "sha256": f["sha256"]} for f in landing["files"]],
        }
    ]
    assert first["parameters"]["dbt_vars"] == dbt_parameters()
    assert first["revisions"]["compared_to"] is None and first["revisions"]["rows"] == 0

    drop(deliveries, home, SECOND)
    result = smesurvey(home, "ingest", "--inbox")
    assert result.returncode == 0, result.stderr
    assert assert_release_whole(home) == "000002"  # the revisions files are listed too
    second = read_manifest(home.current.resolve())
    assert [(d["zone_id"], d["wave_id"]) for d in second["deliveries"]] == [
        ("JS-01", 2020),
        ("SH-01", 2020),
    ]
    # No public/ tables are published yet: nothing compared, and the manifest says why.
    assert second["revisions"] == {
        "compared_to": "000001",
        "rows": 0,
        "tables": [],
        "note": "no public/ tables in this release",
    }
    assert (home.current / REVISIONS_CSV).read_bytes().startswith(codecs.BOM_UTF8)
    with duckdb.connect() as con:
        count = con.execute(
            f"select count(*) from read_parquet('{home.current / REVISIONS_PARQUET}')"
        ).fetchone()
    assert count == (0,)

    listing = smesurvey(home, "releases")
    assert listing.returncode == 0, listing.stderr
    lines = listing.stdout.splitlines()
    assert [line[:6] for line in lines] == ["000001", "000002"]
    assert "   1 delivery " in lines[0] and "   2 deliveries" in lines[1]
    assert lines[1].endswith("current") and not lines[0].endswith("current")
    shown = smesurvey(home, "releases", "show", "1")
    assert shown.returncode == 0 and str(home.releases / "000001") in shown.stdout
