"""The gate in bulk: the same verdicts as GX on the raw suites, and batches of zone-waves.

- conformance: the bulk rules (DuckDB) flag exactly the rows GX flags with the
  checked-in `raw_responses_<version>` suite, on frames with many random defects;
- a batch judges each zone-wave as if alone (rows, reasons, thresholds), except
  that the cross-zone USCC rule sees the other deliveries of the batch;
- one GX validation (one Data Docs page) per run and version, not per zone-wave.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from orchestration.quality.batch import Delivery, failures_by_delivery, judged_batch
from orchestration.quality.gate import judge_gates, record_gates, run_gate, run_gates
from orchestration.quality.results import failures, rule_key
from orchestration.quality.rules import WAVE_PARAMETER
from orchestration.quality.suites import raw_suite_name
from tests.quality.conftest import CB, set_value, valid_frame

NOISE = ["", "x", "0", "1", "2", "true", "-4", "1800.5", "3000", "C", "27", "97", None, " 12 "]


def noisy_frame(version: str, wave: int, seed: int, n: int = 300) -> pa.Table:
    """A valid frame with ~3% of its canonical cells replaced by noise (codes, numbers, junk)."""
    table = valid_frame(version, n, wave_id=wave, seed=seed)
    rng = np.random.default_rng(seed)
    canonical = [c for c in table.column_names if c in set(CB.all_columns())]
    for _ in range(int(0.03 * n * len(canonical))):
        column = canonical[rng.integers(len(canonical))]
        table = set_value(table, column, int(rng.integers(n)), NOISE[rng.integers(len(NOISE))])
    return table


@pytest.mark.parametrize("version, wave", [("v2020", 2020), ("v2022", 2023)])
def test_bulk_rules_flag_the_rows_gx_flags(version: str, wave: int) -> None:
    from orchestration.quality.context import run_suite

    table = noisy_frame(version, wave, seed=wave)
    delivery = Delivery(table, "Z01", wave, version)
    judged, offsets = judged_batch([table], [delivery], CB, None)
    [bulk_found] = failures_by_delivery(judged, offsets, [delivery], [table], CB)
    frame = judged.drop_columns(["gate_part", "gate_zone", "gate_wave"])
    runs = run_suite(
        raw_suite_name(version), frame, run_name="conformance", parameters={WAVE_PARAMETER: wave}
    )
    gx_found = failures(runs)
    assert all(f.error is None for f in gx_found), [f.error for f in gx_found if f.error]

    def flagged(found) -> dict[str, list[int]]:
        return {rule_key(f.rule_id, f.column): sorted(f.rows.tolist()) for f in found}

    ours, theirs = flagged(bulk_found), flagged(gx_found)
    assert len(theirs) > 20  # the noise breaks many rules
    assert ours == theirs


def _zone_frame(zone: str, wave: int, seed: int, n: int = 60) -> pa.Table:
    return valid_frame(CB.version_for_wave(wave), n, wave_id=wave, zone_id=zone, seed=seed)


def test_a_batch_judges_each_zone_wave_as_if_alone(tmp_path: Path) -> None:
    wave = 2022
    version = CB.version_for_wave(wave)
    a = set_value(_zone_frame("Z01", wave, 1), "A4_ownership", 3, "not_an_owner")
    b = _zone_frame("Z02", wave, 2)
    c = set_value(_zone_frame("Z03", 2020, 3), "A8_employees", 0, "lots")
    for row in range(10):  # 10 of 60 rows: over the 5% threshold
        b = set_value(b, "A4_ownership", row, "x")
    batch = [
        Delivery(a, "Z01", wave, version),
        Delivery(b, "Z02", wave, version),
        Delivery(c, "Z03", 2020, "v2020"),
    ]
    together = run_gates(batch, data_docs_dir=tmp_path / "docs")
    alone = [
        run_gate(d.responses, wave_id=d.wave_id, zone_id=d.zone_id, version=d.version)
        for d in batch
    ]
    for t, s in zip(together, alone, strict=True):
        assert (t.passed, t.reason, t.rows_rejected) == (s.passed, s.reason, s.rows_rejected)
        assert t.rejected_rows.equals(s.rejected_rows)
        assert t.accepted.num_rows == s.accepted.num_rows
        assert t.normalizations.equals(s.normalizations)
        ts, ss = t.suite_results[0], s.suite_results[0]
        assert (ts.success, ts.failed_rules, ts.unexpected_counts, ts.top_values) == (
            ss.success,
            ss.failed_rules,
            ss.unexpected_counts,
            ss.top_values,
        )
    assert [t.passed for t in together] == [True, False, True]
    assert together[1].suite_results[0].failed_rules == (
        "code.A4_ownership:A4_ownership",
        "gate.threshold:rejected_share",
    )
    # One validation (one page) per version of the run, shared by its zone-waves.
    pages = [t.suite_results[0].data_docs_pages for t in together]
    assert pages[0] == pages[1] != pages[2] and all(len(p) == 1 for p in pages)
    assert len(list((tmp_path / "docs").rglob("*.html"))) == 2
    stored = list((tmp_path / "docs" / "_validation_results").rglob("*.json"))
    assert len(stored) == 2


def test_deliveries_of_one_batch_see_each_other_across_zones() -> None:
    """A USCC delivered in two zones of one wave is rejected in both (no order decides)."""
    wave = 2022
    version = CB.version_for_wave(wave)
    a, b = _zone_frame("Z01", wave, 1), _zone_frame("Z02", wave, 2)
    shared = a["A1_uscc"][5].as_py()
    b = set_value(b, "A1_uscc", 7, shared)
    other_wave = set_value(_zone_frame("Z03", 2023, 3), "A1_uscc", 2, shared)
    results = run_gates(
        [
            Delivery(a, "Z01", wave, version),
            Delivery(b, "Z02", wave, version),
            Delivery(other_wave, "Z03", 2023, CB.version_for_wave(2023)),
        ]
    )
    lines = [
        [(r["rule_id"], r["source_row"], r["reason"]) for r in res.rejected_rows.to_pylist()]
        for res in results
    ]
    reason = "A1_uscc already answered in zone {} in wave 2022"
    assert lines[0] == [("uscc.other_zone", a["source_row"][5].as_py(), reason.format("Z02"))]
    assert lines[1] == [("uscc.other_zone", b["source_row"][7].as_py(), reason.format("Z01"))]
    assert lines[2] == []  # another wave: the same enterprise may answer again


def test_an_empty_batch_judges_nothing() -> None:
    assert run_gates([]) == []
    assert record_gates(judge_gates([])) == []


def test_the_bulk_rules_decide_before_gx_records(tmp_path: Path) -> None:
    """What the pipeline loads from (`judge_gates`) is decided without GX; its record
    (`record_gates`, run beside the load) adds only the suite results run_gates gives."""
    wave = 2022
    version = CB.version_for_wave(wave)
    broken = _zone_frame("Z02", wave, 2)
    for row in range(10):  # over the threshold: refused
        broken = set_value(broken, "A4_ownership", row, "x")
    batch = [Delivery(_zone_frame("Z01", wave, 1), "Z01", wave, version)]
    batch.append(Delivery(broken, "Z02", wave, version))
    judged = judge_gates(batch)
    assert [r.passed for r in judged.results] == [True, False]
    assert all(r.suite_results == () for r in judged.results)
    recorded = record_gates(judged, data_docs_dir=tmp_path / "docs")
    whole = run_gates(batch)
    for decided, r, w in zip(judged.results, recorded, whole, strict=True):
        assert (r.passed, r.reason, r.rows_rejected) == (
            decided.passed,
            decided.reason,
            decided.rows_rejected,
        )
        assert r.accepted.equals(decided.accepted)
        assert [s.failed_rules for s in r.suite_results] == [
            s.failed_rules for s in w.suite_results
        ]
    assert recorded[1].suite_results[0].failed_rules[-1] == "gate.threshold:rejected_share"
    assert len(list((tmp_path / "docs").rglob("*.html"))) == 1
