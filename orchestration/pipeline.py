"""The pipeline as plain function calls, used by `smesurvey demo` and the tests."""

from __future__ import annotations

from orchestration.settings import Home


def run_demo(home: Home) -> str:
    """Generate the demo deliveries into the inbox and report what was produced."""
    from orchestration.demo.generator import GeneratorConfig, write_deliveries

    summary = write_deliveries(GeneratorConfig(), home.inbox)
    lines = [summary.describe(), "", "Produced:"]
    lines += [f"  inbox        {home.inbox}"]
    return "\n".join(lines)
