"""Paths that validate nothing must not import Great Expectations (10-16 s of CPU).

Each check runs in a fresh interpreter, does the work, and reports whether
`great_expectations` ended up in `sys.modules`.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from orchestration.settings import PROJECT_ROOT
from tests.support.timeouts import HANG_GUARD

PREAMBLE = """
import json, sys
from pathlib import Path
home_root = Path(sys.argv[1])
"""
EPILOGUE = """
print(json.dumps({"gx": "great_expectations" in sys.modules, "out": out}))
"""


def run_fresh(body: str, home: Path) -> dict:
    code = PREAMBLE + textwrap.dedent(body) + EPILOGUE
    done = subprocess.run(
        [sys.executable, "-c", code, str(home)],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=HANG_GUARD,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_delivery_refused_at_parse_imports_no_gx(tmp_path: Path) -> None:
    """A zero-byte platform export is blocked by the parser; the gate is never reached."""
    found = run_fresh(
        """
        from orchestration.pipeline import IngestError, Work, ingest_zone_waves
        from orchestration.settings import Home
        home = Home(home_root).ensure()
        folder = home.inbox / "SH-01" / "2022"
        folder.mkdir(parents=True)
        (folder / "platform_export.csv").write_bytes(b"")
        outcome = ingest_zone_waves(home, [Work("SH-01", 2022)])[Work("SH-01", 2022)]
        assert isinstance(outcome, IngestError), outcome
        out = str(outcome)
        """,
        tmp_path / "home",
    )
    assert "empty" in found["out"]
    assert not found["gx"], "refusing a delivery at parse imported great_expectations"


def test_status_and_report_code_import_no_gx(tmp_path: Path) -> None:
    """The library behind `status`, `sql` and `dashboards`, and the gate's own modules."""
    found = run_fresh(
        """
        import dashboards.site
        import orchestration.cli
        import orchestration.run_report
        import orchestration.pipeline
        import orchestration.quality
        import orchestration.quality.gate
        import orchestration.quality.bulk
        import orchestration.quality.outcomes
        from orchestration.pipeline import delivery_rows, judge_deliveries
        from orchestration.settings import Home
        home = Home(home_root).ensure()
        assert judge_deliveries(home, []) == []
        out = [str(r) for r in delivery_rows(home.build_db)]
        """,
        tmp_path / "home",
    )
    assert not found["gx"], "a path that validates nothing imported great_expectations"


@pytest.mark.parametrize("command", [["status"], ["sql"], ["dashboards"]])
def test_cli_commands_that_validate_nothing_import_no_gx(tmp_path: Path, command) -> None:
    """`smesurvey status` / `sql` / `dashboards` in-process (click's runner); they may fail on
    an empty home, but must not have imported GX on the way."""
    found = run_fresh(
        f"""
        from click.testing import CliRunner
        from orchestration.cli import cli
        home_root.mkdir(parents=True, exist_ok=True)
        args = ["--home", str(home_root), *{command!r}]
        if args[-1] == "dashboards":
            args += ["--out", str(home_root / "preview")]
        result = CliRunner().invoke(cli, args)
        out = result.output[-500:]
        """,
        tmp_path / "home",
    )
    assert not found["gx"], (command, found["out"])
