"""Suites generation, normalization, sanitizing, thresholds and the vectorized USCC check."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from orchestration import uscc
from orchestration.quality import normalize, sanitize_text, threshold_for
from orchestration.quality.derived import uscc_check_ok
from orchestration.quality.suites import render, stale_files
from orchestration.settings import EXPECTATIONS_DIR
from tests.quality.conftest import CB, set_value, valid_frame


def test_checked_in_context_equals_a_fresh_generation():
    assert stale_files(EXPECTATIONS_DIR, render(CB)) == []


def test_generation_is_deterministic_and_covers_every_version():
    first, second = render(CB), render(CB)
    assert first == second
    for version in CB.versions:
        assert f"expectations/raw_responses_{version}.json" in first


def test_suite_value_sets_come_from_the_codebook():
    import json

    suite = json.loads(render(CB)["expectations/raw_responses_v2020.json"])
    by_rule = {e["meta"]["rule_id"]: e for e in suite["expectations"]}
    c1 = by_rule["code.C1_online_procurement_share"]["kwargs"]["value_set"]
    assert c1 == [o.code for o in CB.item("C1_online_procurement_share").options_for("v2020")]
    assert by_rule["range.A7_founded_year"]["kwargs"]["max_value"] == {"$PARAMETER": "wave_year"}


@pytest.mark.parametrize(
    "raw, expected, rules",
    [
        ("1,200", "1200", ["thousands_separator"]),
        ("１２００", "1200", ["fullwidth"]),
        ("１，２００", "1200", ["fullwidth", "thousands_separator"]),
        (" 12 ", "12", ["trim"]),
        ("12.0", "12", ["excel_integer"]),
        ("  ", None, ["trim", "empty_to_null"]),
        ("12", "12", []),
    ],
)
def test_normalization_is_logged(raw, expected, rules):
    table = set_value(valid_frame("v2022", 5, wave_id=2022), "A8_employees", 2, raw)
    fixed, log = normalize(table, CB)
    assert fixed["A8_employees"][2].as_py() == expected
    entries = log.to_pylist()
    assert [e["rule"] for e in entries] == rules
    for e in entries:
        assert e["column_name"] == "A8_employees"
        assert (e["source_file"], e["source_row"]) == (
            table["source_file"][2].as_py(),
            table["source_row"][2].as_py(),
        )
    if entries:
        assert entries[0]["before"] == raw and entries[-1]["after"] == expected


def test_text_columns_keep_their_decimal_point():
    table = set_value(valid_frame("v2022", 3, wave_id=2022), "A9_revenue", 0, "12.0")
    fixed, log = normalize(table, CB)
    assert fixed["A9_revenue"][0].as_py() == "12.0" and log.num_rows == 0


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("=SUM(A1:A9)", "'=SUM(A1:A9)"),
        ("+86 21 5555", "'+86 21 5555"),
        ("-1+1", "'-1+1"),
        ("@cmd", "'@cmd"),
        ("<script>alert('x')</script>", "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;"),
        ('A & B "Ltd"', "A &amp; B &quot;Ltd&quot;"),
        ("=<b>", "'=&lt;b&gt;"),
        ("上海某某科技有限公司", "上海某某科技有限公司"),
        (None, None),
    ],
)
def test_sanitize_text_neutralizes_formulas_and_markup(raw, expected):
    assert sanitize_text(pa.array([raw], pa.string())).to_pylist() == [expected]
    series = sanitize_text(pd.Series([raw], index=[7], name="A2_name"))
    assert series.tolist() == [expected] and series.index.tolist() == [7]


def test_threshold_file(tmp_path: Path):
    path = tmp_path / "thresholds.yaml"
    assert threshold_for("Z01", 2022, path) == 0.05
    path.write_text('default: 0.1\nzone_waves:\n  "Z01/2022": 0.2\n', encoding="utf-8")
    assert threshold_for("Z01", 2022, path) == 0.2
    assert threshold_for("Z01", 2023, path) == 0.1
    path.write_text('zone_waves:\n  "Z01/2022": 3\n', encoding="utf-8")
    with pytest.raises(ValueError, match="not in"):
        threshold_for("Z01", 2022, path)


def test_vectorized_uscc_check_agrees_with_the_scalar_one():
    rng = np.random.default_rng(3)
    good = uscc.generate(rng, 500)
    flipped = np.array([c[:17] + ("0" if c[17] != "0" else "1") for c in good[:100]])
    odd = np.array(["", "91310000ABCDEFGHIO", "9131000002779092X", "９１３１0000027790920"])
    codes = np.concatenate([good, flipped, odd])
    arrow = pa.array([*codes.tolist(), None], pa.string())
    expected = [uscc.is_valid(c) for c in codes] + [False]
    assert uscc_check_ok(arrow).tolist() == expected
    assert sum(expected) == 500
