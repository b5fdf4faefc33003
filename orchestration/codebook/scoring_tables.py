"""The scoring seeds (scoring_elements.csv, scoring_levels.csv) from
definitions/scoring.yaml."""

from __future__ import annotations

from typing import Any

from orchestration.codebook.generation import DefinitionError, csv_text


def scoring_tables(scoring: dict[str, Any], indicator_ids: set[str]) -> dict[str, str]:
    elements: list[list[Any]] = []
    for iid in scoring["dii"]["elements"]:
        elements.append(["dii", "dii", iid])
    for dim, ids in scoring["dma"]["dimensions"].items():
        elements += [["dma", dim, iid] for iid in ids]
    unknown = sorted({e[2] for e in elements} - indicator_ids)
    if unknown:
        raise DefinitionError(f"scoring.yaml: unknown indicators {', '.join(unknown)}")
    levels = [
        [measure, lv["level"], rank, lv["min"], lv["max"], lv["label_en"], lv["label_zh"]]
        for measure in ("dii", "dma")
        for rank, lv in enumerate(scoring[measure]["levels"], start=1)
    ]
    return {
        "scoring_elements.csv": csv_text(["measure", "dimension", "indicator_id"], elements),
        "scoring_levels.csv": csv_text(
            ["measure", "level", "level_rank", "min_score", "max_score", "label_en", "label_zh"],
            levels,
        ),
    }
