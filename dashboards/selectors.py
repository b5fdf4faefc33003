"""What a page can select: the axes present in the public release (waves, zones, domains,
indicators) and the selector widgets over them, with their defaults.

The chunks are cut along the same axes, so a selector's values are keys of the data.
"""

from __future__ import annotations

from dataclasses import dataclass

from dashboards.catalog import Text
from dashboards.data import PublicData
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


def waves(data: PublicData) -> list[int]:
    return [int(w) for w in data.waves["wave_id"]]


def zones_with_data(data: PublicData) -> list[str]:
    return sorted(set(data.estimates["zone_id"]) - {data.pooled_zone})


def zone_axis(data: PublicData) -> list[str]:
    """The pooled zone first, then every zone with estimates: the zone axis of the chunks."""
    return [data.pooled_zone, *zones_with_data(data)]


def indicator_ids(data: PublicData) -> list[str]:
    present = set(data.estimates["indicator_id"])
    return [i for i in data.indicators["indicator_id"] if i in present]


def domains(data: PublicData, labels: Labels) -> list[str]:
    present = list(dict.fromkeys(data.estimates["domain"]))
    return [d for d in labels.domains if d in present] + [
        d for d in present if d not in labels.domains
    ]


# ---------------------------------------------------------------- selectors


def zone_selector(data: PublicData, labels: Labels, default: str) -> Selector:
    zones = zone_axis(data)
    chosen = default if default in zones else zones[min(1, len(zones) - 1)]
    options = [(data.pooled_zone, labels.zones[data.pooled_zone])] + [
        (z, Text(f"{z} · {labels.zones[z].en}", f"{z} · {labels.zones[z].zh}")) for z in zones[1:]
    ]
    return Selector("zone", options, chosen)


def wave_selector(data: PublicData) -> Selector:
    found = waves(data)
    # The latest wave: readers come for the newest figures (the 2020 report is one wave).
    chosen = found[-1]
    return Selector("wave", [(str(w), Text(str(w), str(w))) for w in found], str(chosen))


def lang_selector() -> Selector:
    return Selector(
        "lang", [("en", Text("English", "English")), ("zh", Text("中文", "中文"))], "en"
    )


def measure_selector(labels: Labels) -> Selector:
    return Selector("measure", list(labels.measures.items()), "dma")


def indicator_selector(data: PublicData, labels: Labels) -> Selector:
    ids = indicator_ids(data)
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


def domain_selector(data: PublicData, labels: Labels) -> Selector:
    options = [(d, labels.domains.get(d, Text(d, d))) for d in domains(data, labels)]
    return Selector("domain", options, "all")
