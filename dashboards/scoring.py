"""The maturity measures as the warehouse defines them: dbt_project/definitions/scoring.yaml.

Dimension ids, level ids, their order and score ranges are read from the file the
dbt seeds are generated from, never retyped here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from orchestration.settings import DBT_PROJECT_DIR

SCORING_FILE = DBT_PROJECT_DIR / "definitions" / "scoring.yaml"
MEASURES = ("dma", "dii")


class ScoringFileError(ValueError):
    """scoring.yaml lacks what the dashboards need; the message is one line."""


@dataclass(frozen=True)
class Level:
    level: str
    min: int
    max: int
    label_en: str
    label_zh: str


@dataclass(frozen=True)
class Scoring:
    dimensions: tuple[str, ...]  # dma dimensions in file order
    levels: dict[str, tuple[Level, ...]]  # measure -> levels, lowest first
    score_max: dict[str, int]  # measure -> highest score


def load_scoring(path: Path = SCORING_FILE) -> Scoring:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        levels = {
            m: tuple(
                Level(str(x["level"]), int(x["min"]), int(x["max"]), x["label_en"], x["label_zh"])
                for x in raw[m]["levels"]
            )
            for m in MEASURES
        }
        dimensions = tuple(raw["dma"]["dimensions"])
    except (OSError, KeyError, TypeError, ValueError, yaml.YAMLError) as exc:
        raise ScoringFileError(f"{path}: cannot read measures and levels ({exc})") from exc
    return Scoring(dimensions, levels, {m: max(x.max for x in lv) for m, lv in levels.items()})
