"""The demo's development zones: the reference seeds first, synthetic ones beyond them."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from orchestration.settings import DBT_PROJECT_DIR

SEEDS_DIR = DBT_PROJECT_DIR / "seeds"
FIRST_WAVE = 2020
FAR_KM = 500.0
EARTH_RADIUS_KM = 6371.0
SYNTHETIC_STREAM = 1  # random stream of a synthetic zone's own parameters (waves use >= 2020)

# Provinces for synthetic zones: (two-digit division prefix, name for firm names).
# Synthetic zones get the division <prefix><city 90-99><county>: city codes no real zone uses.
SYNTHETIC_PROVINCES = (
    (11, "北京"), (12, "天津"), (13, "河北"), (14, "山西"), (15, "内蒙古"), (21, "辽宁"),
    (22, "吉林"), (23, "黑龙江"), (31, "上海"), (32, "江苏"), (33, "浙江"), (34, "安徽"),
    (35, "福建"), (36, "江西"), (37, "山东"), (41, "河南"), (42, "湖北"), (43, "湖南"),
    (44, "广东"), (45, "广西"), (46, "海南"), (50, "重庆"), (51, "四川"), (52, "贵州"),
    (53, "云南"), (54, "西藏"), (61, "陕西"), (62, "甘肃"), (63, "青海"), (64, "宁夏"),
    (65, "新疆"),
)  # fmt: skip


@dataclass(frozen=True)
class Zone:
    index: int  # position in the generated list; 0 is the baseline zone
    zone_id: str
    admin_division: int
    place_zh: str  # prefix of the zone's enterprise names
    hub_km: float  # distance to the nearest tech hub

    @property
    def far(self) -> bool:
        return self.hub_km > FAR_KM

    def shift(self, wave: int) -> float:
        """Adoption shift in logits against the baseline: far zones start lower and move slower."""
        km = min(self.hub_km, 2500.0)
        level = -0.5 * max(0.0, km - 200.0) / 1000.0
        rate = 0.28 - 0.07 * km / 1000.0
        return level + rate * (wave - FIRST_WAVE)


def _read_csv(path: Path) -> list[dict[str, str]]:
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            return list(csv.DictReader(fh))
    except OSError as exc:
        raise ValueError(f"{path}: cannot read the reference seed ({exc.strerror})") from exc


def _hub_km(lat: float, lon: float, hubs: np.ndarray) -> float:
    """Great-circle distance to the nearest hub (hubs: rows of latitude, longitude)."""
    la1, lo1 = np.radians(lat), np.radians(lon)
    la2, lo2 = np.radians(hubs[:, 0]), np.radians(hubs[:, 1])
    h = np.sin((la2 - la1) / 2) ** 2 + np.cos(la1) * np.cos(la2) * np.sin((lo2 - lo1) / 2) ** 2
    return float((2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(h))).min())


def _place(province_zh: str) -> str:
    return province_zh.removesuffix("省").removesuffix("市")


def reference_zones(seeds: Path = SEEDS_DIR) -> list[Zone]:
    """The rows of ref_zones.csv in order, with their distance to the nearest tech hub."""
    hubs = np.array(
        [
            [float(r["latitude"]), float(r["longitude"])]
            for r in _read_csv(seeds / "ref_tech_hubs.csv")
        ]
    )
    return [
        Zone(
            index=i,
            zone_id=r["zone_id"],
            admin_division=int(r["admin_division"]),
            place_zh=_place(r["province_zh"]),
            hub_km=_hub_km(float(r["latitude"]), float(r["longitude"]), hubs),
        )
        for i, r in enumerate(_read_csv(seeds / "ref_zones.csv"))
    ]


def synthetic_zone(index: int, seed: int) -> Zone:
    """Zone number index+1 beyond the reference rows: id Z<nn>-01, a made-up division."""
    rng = np.random.default_rng([seed, index, SYNTHETIC_STREAM])
    k = index % len(SYNTHETIC_PROVINCES)
    prefix, place = SYNTHETIC_PROVINCES[k]
    city = 90 + (index // len(SYNTHETIC_PROVINCES)) % 10
    county = 1 + index // (10 * len(SYNTHETIC_PROVINCES))
    return Zone(
        index=index,
        zone_id=f"Z{index + 1:02d}-01",
        admin_division=prefix * 10000 + city * 100 + county,
        place_zh=place,
        hub_km=float(rng.uniform(50.0, 2500.0)),
    )


def demo_zones(count: int, seed: int, seeds: Path = SEEDS_DIR) -> list[Zone]:
    """The first `count` zones: reference rows, then synthetic ones."""
    ref = reference_zones(seeds)[:count]
    return ref + [synthetic_zone(i, seed) for i in range(len(ref), count)]
