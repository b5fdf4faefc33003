"""Rejected-share thresholds per zone-wave (`expectations/thresholds.yaml`)."""

from __future__ import annotations

from pathlib import Path

import yaml

from orchestration.settings import EXPECTATIONS_DIR

THRESHOLDS_PATH = EXPECTATIONS_DIR / "thresholds.yaml"
DEFAULT_THRESHOLD = 0.05


def threshold_for(zone_id: str, wave_id: int, path: Path = THRESHOLDS_PATH) -> float:
    """The share of rejected rows above which a zone-wave is blocked.

    The file maps `default` and `zone_waves: {"ZONE/WAVE": share}`; a missing
    file means the default of 5%.
    """
    if not path.is_file():
        return DEFAULT_THRESHOLD
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: expected a mapping with `default` and `zone_waves`")
    share = (raw.get("zone_waves") or {}).get(f"{zone_id}/{wave_id}", raw.get("default"))
    share = DEFAULT_THRESHOLD if share is None else float(share)
    if not 0 <= share <= 1:
        raise ValueError(f"{path}: threshold {share} for {zone_id}/{wave_id} is not in [0, 1]")
    return share
