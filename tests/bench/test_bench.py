"""Smoke test of the benchmark plumbing on a tiny wave (not a timing test).

Runs the real child processes (generate, ingestion, floor, pandas) without dbt,
which alone takes about a minute, and checks the figures reach the report.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from orchestration.bench.memory import peak_mb, reset_peak
from orchestration.bench.report import render, write_report
from orchestration.bench.runner import RESULTS_FILE, BenchConfig, run_benchmark

pytestmark = pytest.mark.slow

SIZE, ZONES = 120, 2


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    out = tmp_path_factory.mktemp("bench")
    config = BenchConfig(
        out=out,
        sizes=(SIZE,),
        layouts=(ZONES,),
        repeat_up_to=0,
        warehouse=False,
        incremental=None,
        measure_site=False,
        profile=False,
        cli=False,  # `smesurvey ingest --inbox` builds the warehouse: minutes, not seconds
        targets=None,
        command="pytest",
    )
    doc = out / "benchmarks.md"
    results = run_benchmark(config, lambda r: write_report(r, doc), lambda _: None)
    return results, doc


def test_every_stage_is_timed_and_sized(bench: tuple[dict, Path]) -> None:
    results, _ = bench
    (layout,) = results["layouts"]
    run = layout["runs"][0]
    assert run["generate"]["respondents"] == SIZE
    assert run["rows_read"] == SIZE
    for stage in ("land_parse", "gate", "load"):
        assert run["stages"][stage]["seconds"] > 0
        assert run["stages"][stage]["peak_mb"] > 0
    assert run["end_to_end"]["seconds"] >= sum(
        run["stages"][s]["seconds"] for s in ("land_parse", "gate", "load")
    )


def test_baselines_read_the_same_files(bench: tuple[dict, Path]) -> None:
    results, _ = bench
    run = results["layouts"][0]["runs"][0]
    generated = run["generate"]
    # The floor loads the platform CSVs only; paper questionnaires live in the XLSX.
    assert run["floor"]["rows"] == generated["respondents"] - generated["paper"]
    assert run["pandas"]["cells"] > 0
    assert run["floor"]["work_seconds"] > 0 and run["pandas"]["work_seconds"] > 0


def test_report_and_results_are_written(bench: tuple[dict, Path]) -> None:
    results, doc = bench
    text = doc.read_text(encoding="utf-8")
    assert f"| {SIZE:,} x {ZONES} |" in text
    assert "## Targets" in text
    saved = json.loads((doc.parent / RESULTS_FILE).read_text(encoding="utf-8"))
    assert saved["layouts"] == results["layouts"]


def test_rerendering_keeps_the_written_diagnosis(bench: tuple[dict, Path]) -> None:
    results, doc = bench
    edited = doc.read_text(encoding="utf-8").replace(
        "(No diagnosis written yet.)", "the gate dominates"
    )
    assert "the gate dominates" in render(results, edited)


def test_peak_can_be_reset_between_stages() -> None:
    block = bytearray(200 * 2**20)
    block[::4096] = b"x" * len(block[::4096])  # touch every page: resident
    high = peak_mb()
    del block
    if not reset_peak():
        pytest.skip("this kernel does not allow resetting the peak RSS")
    assert peak_mb() < high - 150


def test_spark_build_gets_its_own_row(bench: tuple[dict, Path]) -> None:
    results, _ = bench
    assert "dbt_spark" not in results["layouts"][0]["runs"][0]["stages"]  # spark=False
    with_spark = copy.deepcopy(results)
    stages = with_spark["layouts"][0]["runs"][0]["stages"]
    stages["dbt"] = {"seconds": 10.0, "peak_mb": 500.0}
    stages["dbt_spark"] = {"seconds": 45.0, "peak_mb": 900.0}
    text = render(with_spark)
    assert f"| {SIZE:,} x {ZONES} | 10.0 s / 500 MB | 45.0 s / 900 MB | 4.5x |" in text
    plain = render(results).split("## The same dbt build on Spark (local session)")[1]
    assert plain.split("## ")[0].count("not run") == 1


def test_merge_keeps_earlier_layouts_and_marks_the_header(tmp_path: Path) -> None:
    from orchestration.bench.runner import BenchError, merged_results

    earlier = {
        "started": "then",
        "layouts": [{"size": 10, "zones": 1, "runs": []}],
        "incremental": {"steps": []},
    }
    (tmp_path / "results.json").write_text(json.dumps(earlier), encoding="utf-8")
    merged = merged_results(tmp_path / "results.json", {"started": "now", "layouts": []})
    assert merged["started"] == "now" and merged["merged_from"] == "then"
    assert merged["layouts"] == earlier["layouts"] and merged["incremental"] == {"steps": []}
    with pytest.raises(BenchError, match="no earlier results"):
        merged_results(tmp_path / "missing.json", {})
