"""docs/benchmarks.md from results: issue 13's targets, met or missed, from the CLI figures.

Rendering only (no measurement): the figures are made up so that each target's verdict
is known in advance.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from orchestration.bench.report import render, targets


def cli_run(seconds: float, peak: float, tree: float) -> dict[str, Any]:
    return {"seconds": seconds, "peak_mb": peak, "tree_peak_mb": tree, "returncode": 0}


def layout(size: int, zones: int, e2e: float, floor: float, pandas: float, tree: float) -> dict:
    run = {
        "load_average": [1.0, 1.0, 1.0],
        "started": "2026-12-02 02:00:00 UTC",
        "generate": {
            "seconds": 1.0,
            "peak_mb": 100.0,
            "respondents": size,
            "paper": 0,
            "bytes": 1e6,
        },
        "cli": cli_run(e2e, tree / 2, tree),
        "floor": {"seconds": 1.0, "work_seconds": floor, "peak_mb": 200.0, "rows": size},
        "pandas": {"seconds": 1.0, "work_seconds": pandas, "peak_mb": 300.0, "cells": 92},
        "agreement": {"cells": 92, "equal": 92, "only_pandas": 0, "only_marts": 0},
    }
    return {"size": size, "zones": zones, "runs": [run]}


@pytest.fixture
def results() -> dict[str, Any]:
    return {
        "started": "2026-12-02 02:00:00 UTC",
        "finished": "2026-12-02 03:00:00 UTC",
        "load_average_end": [2.0, 2.0, 2.0],
        "command": "smesurvey bench --targets",
        "machine": {
            "cores": 2,
            "cpu": "test cpu",
            "ram_gb": 8.0,
            "kernel": "6",
            "load_average": [1.0, 1.0, 1.0],
        },
        "versions": {"python": "3.11"},
        "config": {
            "sizes": [10_000, 1_000_000],
            "layouts": [1, 50],
            "wave": 2020,
            "seed": 1,
            "repeat_up_to": 0,
            "skipped": [],
            "spark": False,
        },
        "layouts": [
            # 10k x 50: 20 s <= 30 s, but 20 / 5 = 4x pandas > 3x
            layout(10_000, 50, e2e=20.0, floor=1.0, pandas=5.0, tree=900.0),
            # 1M x 1: 50 s <= 3 x 8 + 30 = 54 s, < pandas 60 s, 3,000 MB < 4 GB
            layout(1_000_000, 1, e2e=50.0, floor=8.0, pandas=60.0, tree=3000.0),
            # 1M x 50: 100 s > 3 x 9 + 30 = 57 s, > pandas 50 s, 5,000 MB >= 4 GB
            layout(1_000_000, 50, e2e=100.0, floor=9.0, pandas=50.0, tree=5000.0),
        ],
        "targets": {
            "started": "2026-12-02 02:10:00 UTC",
            "load_average": [1.5, 1.5, 1.5],
            "load_average_end": [1.6, 1.6, 1.6],
            "zones": 50,
            "waves": [2020, 2021, 2022, 2023, 2024, 2025],
            "firms_per_zone": 200,
            "added": {"zone": "Z51-01", "wave": 2025, "rows": 400},
            "large": {
                "zone_waves": 300,
                "build": cli_run(900.0, 800.0, 1200.0),
                "add": cli_run(12.0, 500.0, 700.0),
            },
            "small": {
                "zone_waves": 1,
                "build": cli_run(40.0, 500.0, 700.0),
                "add": cli_run(11.0, 500.0, 700.0),
            },
            "add_ratio": round(12.0 / 11.0, 3),
            "refusal": {**cli_run(0.9, 80.0, 80.0), "message": "smesurvey: empty.csv: empty"},
            "status": {
                "seconds": 2.5,
                "all_seconds": [2.5, 2.4, 2.6],
                "peak_mb": 80.0,
                "runs_in_home": 302,
            },
            "demo": cli_run(85.0, 900.0, 1500.0),
        },
    }


def verdicts(results: dict[str, Any]) -> dict[str, bool | None]:
    return {name: ok for name, _, _, ok in targets(results)}


def test_every_issue_13_target_is_judged_from_the_cli_figures(results: dict[str, Any]) -> None:
    v = verdicts(results)
    assert v["10,000 x 50 end to end at most 3x the pandas script"] is False
    assert v["10,000 x 50 end to end at most 30 s"] is True
    assert v["1,000,000 x 1 end to end within 3x the DuckDB floor + 30 s"] is True
    assert v["1,000,000 x 1 end to end faster than pandas"] is True
    assert v["1,000,000 x 1 peak RSS under 4 GB"] is True
    assert v["1,000,000 x 50 end to end within 3x the DuckDB floor + 30 s"] is False
    assert v["1,000,000 x 50 end to end faster than pandas"] is False
    assert v["1,000,000 x 50 peak RSS under 4 GB"] is False  # the tree's sum counts
    assert v["adding one 400-row zone-wave to a 50 x 6 warehouse"] is True
    assert v["... at most 1.2x adding it to a 1-wave warehouse"] is True
    assert v["a zero-byte file refused"] is True
    assert v["`smesurvey status` (302 runs in the home)"] is False
    assert v["`smesurvey demo` in an empty home"] is True


def test_targets_table_has_target_and_met_columns(results: dict[str, Any]) -> None:
    text = render(results)
    section = text[text.index("## Targets") : text.index("## Diagnosis")]
    assert "| target | measured | target | met? |" in section
    assert "| 10,000 x 50 end to end at most 30 s | 20.00 s | <= 30 s | **met** |" in section
    assert "4.0x (20.0 s vs pandas 5.0 s)" in section
    assert "| <= 57.0 s | **missed** |" in section  # 1M x 50: 3 x 9 + 30
    assert "1.09x (12.0 s vs 11.0 s)" in section
    assert "PYTHONDONTWRITEBYTECODE" not in text
    results["machine"]["no_bytecode_cache"] = True
    text = render(results)
    assert "PYTHONDONTWRITEBYTECODE was set" in text
    # load average at start and end of the run, as before
    assert "load average at start 1.0 / 1.0 / 1.0" in text and "at end 2.0 / 2.0 / 2.0" in text


def test_unmeasured_targets_say_so(results: dict[str, Any]) -> None:
    partial = copy.deepcopy(results)
    partial["layouts"] = partial["layouts"][:1]
    del partial["targets"]
    v = verdicts(partial)
    assert v["1,000,000 x 1 peak RSS under 4 GB"] is None
    assert v["a zero-byte file refused"] is None
    assert v["`smesurvey demo` in an empty home"] is None
    text = render(partial)
    assert "not measured" in text and "Not measured in this run." in text


def test_layouts_without_stage_breakdown_render(results: dict[str, Any]) -> None:
    results["layouts"][0]["runs"][0]["stages_error"] = "ingest: exit 1 (moved)"
    text = render(results)
    assert "ingest: exit 1 (moved)" in text  # the breakdown failed; the targets stand
    assert "| 10,000 x 50 | 1.0 s / 200 MB | 5.0 s / 300 MB | 20.0 s |" in text


def test_older_results_without_cli_figures_still_render(results: dict[str, Any]) -> None:
    old = copy.deepcopy(results)
    run = old["layouts"][1]["runs"][0]
    del run["cli"]
    run["stages"] = {"dbt": {"seconds": 40.0, "peak_mb": 3500.0}}
    run["end_to_end"] = {"seconds": 45.0, "peak_mb": 3500.0}
    run |= {"rows_read": 1_000_000, "rows_rejected": 0}
    v = verdicts(old)
    assert v["1,000,000 x 1 end to end within 3x the DuckDB floor + 30 s"] is True
    assert "(45.0 s, stage sum)" in render(old)
