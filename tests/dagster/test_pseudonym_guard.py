"""A build under a key other than the warehouse's stops before dbt, with one line."""

from __future__ import annotations

import pytest

from orchestration.dagster_runs import home_instance, run_rebuild_all
from orchestration.defs.partitions import ZoneWave, register_partitions
from orchestration.pseudonym import KEY_ENV, PseudonymKey, key_fingerprint, record_fingerprint
from orchestration.settings import Home

BUILT_WITH = "cd" * 32
CURRENT = "ab" * 32


def test_a_changed_key_stops_the_build(home: Home, monkeypatch: pytest.MonkeyPatch) -> None:
    from orchestration.definitions import build_definitions

    record_fingerprint(home, PseudonymKey(BUILT_WITH, "test"))
    monkeypatch.setenv(KEY_ENV, CURRENT)
    with home_instance(home) as instance:
        defs = build_definitions()
        register_partitions(instance, [ZoneWave(wave_id=2021, zone_id="SH-01")])
        outcome = run_rebuild_all(defs, instance)
    assert not outcome.success
    assert outcome.failure == (
        f"pseudonym key changed (fingerprint {key_fingerprint(CURRENT)}, the warehouse was "
        f"built with {key_fingerprint(BUILT_WITH)}): every enterprise_key would change; "
        "run `smesurvey key accept` to rebuild with the new key"
    )
    assert not home.analytics_db.exists(), "nothing published"
