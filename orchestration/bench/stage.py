"""Child entry: `python -m orchestration.bench.stage SPEC.json RESULT.json`.

Runs one step named by the spec's `stage` in this fresh interpreter and writes
its figures as JSON; the parent reads the process's peak RSS from wait4.
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

Step = Callable[[dict[str, Any]], dict[str, Any]]
# Only the named step's module is imported: the child's start-up is part of its
# wall time, and importing GX or pandas for nothing would inflate it.
STEPS = {
    "generate": "orchestration.bench.steps:generate",
    "ingest": "orchestration.bench.ingestion:ingest",
    "publish": "orchestration.bench.steps:publish",
    "dashboards": "orchestration.bench.steps:dashboards",
    "floor": "orchestration.bench.baselines:floor",
    "pandas": "orchestration.bench.baselines:pandas_estimates",
}


def _step(name: str) -> Step | None:
    if name not in STEPS:
        return None
    module, function = STEPS[name].split(":")
    return getattr(importlib.import_module(module), function)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m orchestration.bench.stage SPEC.json RESULT.json", file=sys.stderr)
        return 2
    spec = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    step = _step(spec.get("stage", ""))
    if step is None:
        print(f"{argv[0]}: unknown stage {spec.get('stage')!r}", file=sys.stderr)
        return 2
    result = step(spec)
    Path(argv[1]).write_text(json.dumps(result, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
