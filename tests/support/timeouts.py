"""Hang guards for the tests, never wall-time budgets.

A correct run on a loaded machine can take many times what it takes on an idle one,
so no test fails because something was slow: a timeout only stops what will never
finish (a hung subprocess, a server that never answers, a page that never draws), so
that CI fails with a name instead of hanging. The same guard bounds every test
(pytest-timeout, pyproject.toml).
"""

from __future__ import annotations

HANG_GUARD = 30 * 60  # seconds
HANG_GUARD_MS = HANG_GUARD * 1000  # Playwright counts in milliseconds
