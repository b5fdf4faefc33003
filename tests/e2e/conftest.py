"""One demo home for the end-to-end modules: two zones, three waves, published once per
session (tests/support/demo.py, shared with tests/dagster/test_pipeline.py). Read-only."""

from __future__ import annotations

import pytest

from orchestration.settings import Home


@pytest.fixture(scope="session")
def demo(published_demo: Home) -> Home:
    return published_demo
