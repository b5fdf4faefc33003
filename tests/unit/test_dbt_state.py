"""The dbt target folder of a build and the parse state kept between builds (one home)."""

from __future__ import annotations

from pathlib import Path

from orchestration.dbt_state import PARTIAL_PARSE, keep_parse_state, prepare_run_target


def test_a_first_build_starts_without_parse_state(tmp_path: Path) -> None:
    runs = tmp_path / "build" / "dbt"
    target = prepare_run_target(runs, "r1")
    assert target == runs / "run-r1" and target.is_dir()
    assert not (target / PARTIAL_PARSE).exists()
    assert runs.stat().st_mode & 0o077 == 0  # restricted: the state holds the pseudonym key


def test_the_next_build_starts_from_the_state_the_last_one_left(tmp_path: Path) -> None:
    runs = tmp_path / "dbt"
    first = prepare_run_target(runs, "r1")
    (first / PARTIAL_PARSE).write_bytes(b"state of r1")
    (first / "dbt.log").write_text("log of r1")
    keep_parse_state(first, runs)
    second = prepare_run_target(runs, "r2")
    assert (second / PARTIAL_PARSE).read_bytes() == b"state of r1"
    # the earlier build's folder is gone; the state and the new folder remain
    assert sorted(p.name for p in runs.iterdir()) == [PARTIAL_PARSE, "run-r2"]


def test_a_build_that_left_no_state_keeps_the_previous_one(tmp_path: Path) -> None:
    runs = tmp_path / "dbt"
    runs.mkdir()
    (runs / PARTIAL_PARSE).write_bytes(b"older")
    target = prepare_run_target(runs, "r3")
    (target / PARTIAL_PARSE).unlink()
    keep_parse_state(target, runs)
    assert (runs / PARTIAL_PARSE).read_bytes() == b"older"
    assert not list(runs.glob(".*"))
