"""Releases made by the real `smesurvey ingest --inbox`: the version 2 manifest (deliveries
as landed, build parameters, revisions), the revisions files and `smesurvey releases`."""

from __future__ import annotations

import codecs
import json
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from orchestration.demo.generator import GeneratorConfig, write_deliveries
from orchestration.release import dbt_parameters, delivery_ids, read_manifest
from orchestration.revisions import REVISIONS_CSV, REVISIONS_PARQUET
from orchestration.settings import Home
from tests.recovery.conftest import assert_release_whole, copy_home, drop, smesurvey

pytestmark = pytest.mark.slow


def landed(home: Home, zone: str, wave: int) -> dict:
    [manifest] = (home.landing / zone / str(wave)).glob("*/manifest.json")
    return json.loads(manifest.read_text(encoding="utf-8"))


def revisions(home: Home, release: str) -> list[dict]:
    path = home.releases / release / REVISIONS_PARQUET
    with duckdb.connect() as con:
        return con.execute(f"select * from read_parquet('{path}')").fetch_df().to_dict("records")


def public_diff(old: Path, new: Path) -> set[tuple[str, str, str]]:
    """(table, key, column) of every public figure that differs, computed here with pandas
    (independently of orchestration/revisions.py): a row added or removed, its
    suppression flipped, or a figure changed beyond rounding noise."""
    codebook = json.loads((new / "codebook.json").read_text(encoding="utf-8"))["tables"]
    found = set()
    for table, spec in codebook.items():
        if not spec.get("values"):
            continue
        keys, values = spec["keys"], spec["values"]
        # a table of processing counts has no `suppressed` column: nothing is withheld
        a = pd.read_parquet(old / f"{table}.parquet")
        b = pd.read_parquet(new / f"{table}.parquet")
        a, b = (f if "suppressed" in f else f.assign(suppressed=False) for f in (a, b))
        both = a.merge(b, on=keys, how="outer", suffixes=("_old", "_new"), indicator=True)
        for row in both.to_dict("records"):
            key = _key({k: row[k] for k in keys})
            flipped = row["_merge"] != "both" or row["suppressed_old"] != row["suppressed_new"]
            for column in values:
                o, n = row[f"{column}_old"], row[f"{column}_new"]
                if flipped or _figure_differs(o, n):
                    found.add((table, key, column))
    return found


def _key(values: dict) -> str:
    return json.dumps({k: str(v) for k, v in values.items()}, sort_keys=True)


def _figure_differs(old: object, new: object) -> bool:
    if pd.isna(old) and pd.isna(new):
        return False
    if pd.isna(old) or pd.isna(new):
        return True
    if isinstance(old, int | float) and isinstance(new, int | float):
        return abs(old - new) > 1e-9 * max(abs(old), abs(new))
    return str(old) != str(new)


def assert_revisions_are_the_public_diff(home: Home, old: str, new: str) -> None:
    expected = public_diff(home.releases / old / "public", home.releases / new / "public")
    listed = {
        (r["table_name"], _key(json.loads(r["key"])), r["column_name"])
        for r in revisions(home, new)
    }
    assert expected, "the new release changed no public figure"
    assert listed == expected


def test_real_publishes_record_deliveries_parameters_and_revisions(
    tmp_path: Path, base_home: Home, second_home: Home
) -> None:
    first = read_manifest(base_home.releases / "000001")
    landing = landed(base_home, "SH-01", 2020)
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

    # The next release: JS-01/2020 ingested by the real command on a copy of the base home
    # (the session's second_home, the crash chain's reference too).
    home = copy_home(second_home, tmp_path / "home")
    assert assert_release_whole(home) == "000002"  # the revisions files are listed too
    second = read_manifest(home.current.resolve())
    assert [(d["zone_id"], d["wave_id"]) for d in second["deliveries"]] == [
        ("JS-01", 2020),
        ("SH-01", 2020),
    ]
    # A new zone: its rows are added, the pooled rows revised, and nothing else.
    assert_revisions_are_the_public_diff(home, "000001", "000002")
    assert second["revisions"]["compared_to"] == "000001" and second["revisions"]["rows"] > 0
    assert (home.current / REVISIONS_CSV).read_bytes().startswith(codecs.BOM_UTF8)
    js01 = next(d["delivery_id"] for d in second["deliveries"] if d["zone_id"] == "JS-01")
    assert {r["deliveries"] for r in revisions(home, "000002")} == {js01}

    listing = smesurvey(home, "releases")
    assert listing.returncode == 0, listing.stderr
    lines = listing.stdout.splitlines()
    assert [line[:6] for line in lines] == ["000001", "000002"]
    assert "   1 delivery " in lines[0] and "   2 deliveries" in lines[1]
    assert lines[1].endswith("current") and not lines[0].endswith("current")
    shown = smesurvey(home, "releases", "show", "1")
    assert shown.returncode == 0 and str(home.releases / "000001") in shown.stdout

    # A correction of SH-01/2020 (other answers): release 3 revises exactly the public
    # figures that differ, each naming the corrected delivery.
    corrected = tmp_path / "corrected"
    write_deliveries(GeneratorConfig(zones=2, waves=(2020,), firms_per_zone=40, seed=8), corrected)
    shutil.rmtree(home.inbox / "SH-01" / "2020", ignore_errors=True)
    drop(corrected, home, ("SH-01", 2020))
    result = smesurvey(home, "ingest", "--inbox")
    assert result.returncode == 0, result.stderr
    assert assert_release_whole(home) == "000003"
    assert_revisions_are_the_public_diff(home, "000002", "000003")
    third = read_manifest(home.current.resolve())
    fix = next(
        d["delivery_id"]
        for d in third["deliveries"]
        if d["zone_id"] == "SH-01" and d["delivery_id"] not in delivery_ids(second)
    )
    changed = revisions(home, "000003")
    assert changed and {r["deliveries"] for r in changed} == {fix}
    assert third["revisions"]["rows"] == len(changed)
