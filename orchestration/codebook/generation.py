"""What the codebook generators share: the error a definition file raises, reading a
definition file, CSV text as the seeds are written, each version's waves, and the
one-line report of a `--check` (the GX suites generator uses it too)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml

from orchestration.codebook import Codebook


class DefinitionError(ValueError):
    """A definition file refers to something the codebook does not know."""


def read_yaml(path: Path) -> dict[str, Any]:
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.safe_load(fh)
    except (OSError, yaml.YAMLError) as exc:
        raise DefinitionError(f"{path}: cannot read definitions ({exc})") from exc


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return buf.getvalue()


def version_waves(cb: Codebook) -> dict[str, tuple[int, int | None]]:
    return {v: (spec["first_wave"], spec.get("last_wave")) for v, spec in cb.instruments.items()}


def report_stale(root: Path, stale: Sequence[str], module: str) -> int:
    """A generator's `--check` result: 1 and one line naming the stale files under
    `root`, else 0 and silence."""
    if not stale:
        return 0
    names = ", ".join(f"{root.name}/{rel}" for rel in stale)
    print(f"stale: {names}: run `make generate` (python -m {module})")
    return 1
