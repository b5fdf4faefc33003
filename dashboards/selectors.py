"""What a page can select: the axes present in the marts (waves, zones, domains,
indicators) and the selector widgets over them, with their defaults.

The chunks are cut along the same axes, so a selector's values are keys of the data.
"""

from __future__ import annotations

from dataclasses import dataclass

from dashboards.catalog import MEASURES, POOLED_ZONE, UI, Text
from dashboards.data import MartData
from dashboards.figures import Spec
from dashboards.labels import Labels

DEFAULT_ZONE = "SH-01"
DEFAULT_INDICATOR = "procurement_online_gt50"


@dataclass(frozen=True)
class Selector:
    key: str
    options: list[tuple[str, Text]]
    default: str

    def config(self) -> Spec:
        return {"key": self.key, "default": self.default}


# ---------------------------------------------------------------- axes


def waves(marts: MartData) -> list[int]:
    return [int(w) for w in marts.waves["wave_id"]]


def zones_with_data(marts: MartData) -> list[str]:
    return sorted(set(marts.estimates["zone_id"]) - {POOLED_ZONE})


def zone_axis(marts: MartData) -> list[str]:
    """The pooled zone first, then every zone with estimates: the zone axis of the chunks."""
    return [POOLED_ZONE, *zones_with_data(marts)]


def indicator_ids(marts: MartData) -> list[str]:
    present = set(marts.estimates["indicator_id"])
    return [i for i in marts.indicators["indicator_id"] if i in present]


def domains(marts: MartData, labels: Labels) -> list[str]:
    present = list(dict.fromkeys(marts.estimates["domain"]))
    return [d for d in labels.domains if d in present] + [
        d for d in present if d not in labels.domains
    ]


# ---------------------------------------------------------------- selectors


def zone_selector(marts: MartData, labels: Labels, default: str) -> Selector:
    zones = zone_axis(marts)
    chosen = default if default in zones else zones[min(1, len(zones) - 1)]
    options = [(POOLED_ZONE, UI["pooled"])] + [
        (z, Text(f"{z} · {labels.zones[z].en}", f"{z} · {labels.zones[z].zh}")) for z in zones[1:]
    ]
    return Selector("zone", options, chosen)


def wave_selector(marts: MartData) -> Selector:
    found = waves(marts)
    # The latest wave: readers come for the newest figures (the 2020 report is one wave).
    chosen = found[-1]
    return Selector("wave", [(str(w), Text(str(w), str(w))) for w in found], str(chosen))


def lang_selector() -> Selector:
    return Selector(
        "lang", [("en", Text("English", "English")), ("zh", Text("中文", "中文"))], "en"
    )


def measure_selector() -> Selector:
    return Selector("measure", list(MEASURES.items()), "dma")


def indicator_selector(marts: MartData, labels: Labels) -> Selector:
    ids = indicator_ids(marts)
    options = [
        (
            i,
            Text(
                labels.indicators[i].en.replace("\n", " "),
                labels.indicators[i].zh.replace("\n", ""),
            ),
        )
        for i in ids
    ]
    return Selector("indicator", options, DEFAULT_INDICATOR if DEFAULT_INDICATOR in ids else ids[0])


def domain_selector(marts: MartData, labels: Labels) -> Selector:
    options = [(d, labels.domains.get(d, Text(d, d))) for d in domains(marts, labels)]
    return Selector("domain", options, "all")
