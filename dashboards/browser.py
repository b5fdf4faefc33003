"""The one headless Chromium setup shared by the site measurement and the browser tests.

Debian's chromium (`make browser`), driven by Playwright, never a downloaded browser;
flags keep it from phoning home so pages are measured and tested offline.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
MISSING = "chromium not installed (make browser)"


def chromium_available() -> bool:
    return CHROMIUM.exists()


def launch_options() -> dict[str, Any]:
    """Keyword arguments for Playwright's `chromium.launch` / `launch_persistent_context`."""
    return {"executable_path": str(CHROMIUM), "args": list(ARGS), "headless": True}


__all__ = ["ARGS", "CHROMIUM", "MISSING", "chromium_available", "launch_options"]
