"""One demo home for the end-to-end modules: two zones, the 2020 baseline wave, 2021 and
the first wave of every later instrument version, published once per session
(tests/support/demo.py, shared with tests/dagster/test_pipeline.py). Read-only."""

from __future__ import annotations

import pytest

from orchestration.settings import Home


@pytest.fixture(scope="session")
def demo(published_demo: Home) -> Home:
    return published_demo
