"""Deterministic demo deliveries: `write_deliveries(GeneratorConfig(), out)`.

Writes `out/<zone>/<wave>/{platform_export.csv, paper_entries.xlsx, zone_register.csv}`
for every zone and wave of the config. Zone SH-01 in wave 2020 reproduces the
baseline report's counts exactly (orchestration/demo/reference.yaml); the other
zone-waves draw from the same model, shifted by the zone's adoption level and drift.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from orchestration.codebook import load_codebook
from orchestration.demo.panel import Settings, WaveSample, simulate_zone
from orchestration.demo.reference import load_reference
from orchestration.demo.writers import (
    PAPER_FILE,
    PLATFORM_FILE,
    REGISTER_FILE,
    paper_columns,
    platform_encoding,
    platform_table,
    write_paper_xlsx,
    write_platform_csv,
    write_register,
)
from orchestration.demo.zones import FIRST_WAVE, demo_zones

LAST_WAVE = 2099
MAX_ZONES = 3000
MAX_FIRMS_PER_ZONE = 10_000_000
_WAVES_RANGE = re.compile(r"^\s*(\d{4})\s*-\s*(\d{4})\s*$")
_WAVES_LIST = re.compile(r"^\s*\d{4}\s*(,\s*\d{4}\s*)*$")


def parse_waves(text: str) -> tuple[int, ...]:
    """'2020-2025' or '2020,2022' (or one year) as a sorted tuple of distinct years."""
    if m := _WAVES_RANGE.match(text):
        first, last = int(m.group(1)), int(m.group(2))
        if last < first:
            raise ValueError(f"waves {text!r}: the range ends before it starts")
        return tuple(range(first, last + 1))
    if _WAVES_LIST.match(text):
        years = [int(y) for y in text.split(",")]
        if len(set(years)) != len(years):
            raise ValueError(f"waves {text!r}: a year is listed twice")
        return tuple(sorted(years))
    raise ValueError(f"waves {text!r}: expected a range like 2020-2025 or a list like 2020,2022")


@dataclass(frozen=True)
class GeneratorConfig:
    zones: int = 7  # the first are the rows of dbt_project/seeds/ref_zones.csv (SH-01 first)
    waves: tuple[int, ...] = (2020, 2021, 2022, 2023, 2024, 2025)
    firms_per_zone: int | None = None  # None: 80-400 per zone-wave, SH-01 2020 = 99
    seed: int = 20200701
    paper_share: float | None = None  # None: declining from about 60% in 2020

    def __post_init__(self) -> None:
        if not isinstance(self.zones, int) or not 1 <= self.zones <= MAX_ZONES:
            raise ValueError(f"zones must be between 1 and {MAX_ZONES}, got {self.zones}")
        if not self.waves:
            raise ValueError("waves: at least one wave is needed")
        if len(set(self.waves)) != len(self.waves):
            raise ValueError(f"waves {self.waves}: a wave is listed twice")
        bad = [w for w in self.waves if not FIRST_WAVE <= w <= LAST_WAVE]
        if bad:
            raise ValueError(f"waves {bad}: the survey runs from {FIRST_WAVE} to {LAST_WAVE}")
        if self.firms_per_zone is not None and not 1 <= self.firms_per_zone <= MAX_FIRMS_PER_ZONE:
            raise ValueError(
                f"firms_per_zone must be between 1 and {MAX_FIRMS_PER_ZONE}, "
                f"got {self.firms_per_zone}"
            )
        if self.seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {self.seed}")
        if self.paper_share is not None and not 0.0 <= self.paper_share <= 1.0:
            raise ValueError(f"paper_share must be between 0 and 1, got {self.paper_share}")


@dataclass
class GenerationSummary:
    zones: int = 0
    waves: tuple[int, ...] = ()
    respondents: int = 0
    electronic: int = 0
    paper: int = 0
    files: int = 0
    bytes: int = 0
    seconds: float = 0.0

    def describe(self) -> str:
        span = f"{self.waves[0]}-{self.waves[-1]}" if self.waves else "-"
        return "\n".join(
            [
                f"Generated {self.zones} zones x {len(self.waves)} waves ({span})",
                f"  respondents  {self.respondents:,} "
                f"({self.electronic:,} electronic, {self.paper:,} paper)",
                f"  files        {self.files:,} ({self.bytes / 1e6:,.1f} MB)",
                f"  seconds      {self.seconds:.1f}",
            ]
        )


def _write_sample(sample: WaveSample, folder: Path) -> list[Path]:
    """The zone-wave's delivery files (a file is left out when it would be empty)."""
    cb = load_codebook()
    folder.mkdir(parents=True, exist_ok=True)
    for name in (PLATFORM_FILE, PAPER_FILE, REGISTER_FILE):  # no stale file of an earlier run
        (folder / name).unlink(missing_ok=True)
    written = []
    electronic = np.flatnonzero(~sample.paper)
    if electronic.size:
        table = platform_table(cb, sample.version, sample.values, electronic)
        write_platform_csv(table, folder / PLATFORM_FILE, platform_encoding(sample.wave))
        written.append(folder / PLATFORM_FILE)
    paper = np.flatnonzero(sample.paper)
    if paper.size:
        header, columns = paper_columns(cb, sample.version, sample.values, paper)
        write_paper_xlsx(header, columns, folder / PAPER_FILE, sample.wave)
        written.append(folder / PAPER_FILE)
    write_register(sample.register, folder / REGISTER_FILE)
    written.append(folder / REGISTER_FILE)
    return written


def write_deliveries(config: GeneratorConfig, out: Path) -> GenerationSummary:
    """Write every zone-wave delivery of the config under `out` and say what was written."""
    started = time.perf_counter()
    cb, ref = load_codebook(), load_reference()
    settings = Settings(config.seed, config.firms_per_zone, config.paper_share)
    waves = tuple(sorted(config.waves))
    summary = GenerationSummary(zones=config.zones, waves=waves)
    for zone in demo_zones(config.zones, config.seed):
        for sample in simulate_zone(zone, waves, settings, ref, cb):
            files = _write_sample(sample, Path(out) / zone.zone_id / str(sample.wave))
            summary.respondents += sample.size
            summary.paper += int(sample.paper.sum())
            summary.electronic += sample.size - int(sample.paper.sum())
            summary.files += len(files)
            summary.bytes += sum(f.stat().st_size for f in files)
    summary.seconds = time.perf_counter() - started
    return summary
