"""The bad-input corpus (tests/corpus/cases.yaml) through the real ingestion, fast part:
every case goes through `orchestration.pipeline.ingest_zone_wave` in its own
SMESURVEY_HOME and must end as the case says (blocked with its one-line message,
quarantined under its rule, or accepted after normalization), with the accounting
invariant holding for every delivery and the landed files byte-identical to what was
delivered. The same cases through the real command: test_corpus_cli.py (the slow cases
alone) and test_corpus_batches.py (every case, in two `ingest --inbox` batches)."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration.codebook import load_codebook
from orchestration.settings import Home
from tests.corpus.build import Case
from tests.corpus.outcomes import (
    CASES,
    SLOW_CASES,
    assert_accepted,
    assert_accounting,
    assert_blocked,
    assert_nothing_lost,
    assert_quarantined,
    assert_refused,
)
from tests.corpus.run import CaseRun, run_cases


@pytest.fixture(scope="session")
def corpus_runs(
    request: pytest.FixtureRequest, clean_root: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, CaseRun]:
    """The selected cases, each ingested in its own home (in a small process pool)."""
    selected = {
        item.callspec.params["case"].id
        for item in request.session.items
        if getattr(item, "originalname", "") == "test_case" and hasattr(item, "callspec")
    }
    cases = [c for c in CASES if c.id in selected]
    return run_cases(cases, clean_root, tmp_path_factory.mktemp("corpus-homes"))


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case: Case, corpus_runs: dict[str, CaseRun]) -> None:
    run = corpus_runs[case.id]
    assert run.error is None, run.error
    home = Home(run.home)
    outcome = case.expect["outcome"]
    if outcome == "refused":
        assert_refused(case, home, run)
        return
    if outcome == "blocked":
        assert_blocked(case, home, run)
    elif outcome == "quarantined":
        assert_quarantined(case, home, run)
    else:
        assert outcome == "accepted", outcome
        assert_accepted(case, home, run)
    assert_accounting(home.build_db)
    assert_nothing_lost(home, case, run)


def test_corpus_covers_every_outcome_and_enough_defects() -> None:
    outcomes = {c.expect["outcome"] for c in CASES}
    assert outcomes == {"refused", "blocked", "quarantined", "accepted"}
    assert len(CASES) >= 25
    # Alone through the CLI: a refusal and a publish (the batch runs every case).
    assert {c.expect["outcome"] for c in SLOW_CASES} == {"blocked", "accepted"}


def test_injected_text_columns_are_restricted() -> None:
    """Free text never leaves the build DB: the injection cases only target restricted items."""
    cb = load_codebook()
    for case in CASES:
        if "injection" in case.id or "script" in case.id:
            for step in case.steps:
                assert cb.item(step["column"]).restricted, (case.id, step["column"])
