"""The survey codebook: typed access to `codebook.yaml`.

Everything that needs to know the questionnaire (parsers, the demo generator,
quality suites, dbt seeds, dashboard labels) asks this module; nothing retypes
item ids, headers or labels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

CODEBOOK_PATH = Path(__file__).with_name("codebook.yaml")

MULTI_SEPARATOR = "__"
CHOICE_TYPES = frozenset({"single", "band"})


@dataclass(frozen=True)
class Condition:
    """A skip or forcing rule: `item` takes (or does not take) one of `codes`."""

    item: str
    codes: tuple[str, ...]
    negate: bool = False

    @classmethod
    def from_yaml(cls, raw: dict[str, Any]) -> Condition:
        if "in" in raw:
            return cls(raw["item"], tuple(str(c) for c in raw["in"]), negate=False)
        return cls(raw["item"], tuple(str(c) for c in raw["not_in"]), negate=True)

    def sql(self, quote: str = '"') -> str:
        """The condition as a SQL predicate over canonical code columns."""
        codes = ", ".join("'" + c.replace("'", "''") + "'" for c in self.codes)
        op = "not in" if self.negate else "in"
        return f"{quote}{self.item}{quote} {op} ({codes})"


@dataclass(frozen=True)
class Option:
    code: str
    zh: str
    en: str
    versions: tuple[str, ...] | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def in_version(self, version: str) -> bool:
        return self.versions is None or version in self.versions


@dataclass(frozen=True)
class Crosswalk:
    """How a later version's answer maps onto the comparable item of the first version.

    `versions` names the instrument versions whose answers the crosswalk maps (None:
    every version of the source item after the first instrument version), so a
    revision in one version leaves the versions before it exactly comparable.
    """

    target: str
    mapping: dict[str, str]
    comparability: str
    note_en: str
    note_zh: str
    versions: tuple[str, ...] | None = None

    def map_code(self, code: str) -> str | None:
        return self.mapping.get(code, code)

    def maps(self, version: str, base_version: str) -> bool:
        """Whether answers of `version` go through this crosswalk."""
        if self.versions is not None:
            return version in self.versions
        return version != base_version


@dataclass(frozen=True)
class Item:
    id: str
    section: str
    type: str
    zh: str
    en: str
    header_zh: str | None
    options: tuple[Option, ...]
    versions: tuple[str, ...]
    asked_if: Condition | None
    forced_if: Condition | None
    forced_value: str | None
    range: dict[str, Any]
    restricted: bool
    required: bool
    modes: tuple[str, ...] | None  # modes carrying the item in every version (None: all)
    version_modes: dict[str, tuple[str, ...]]  # narrower modes for the versions named
    source: str | None
    crosswalk: Crosswalk | None
    pattern: str | None
    unit: str | None

    @property
    def is_multi(self) -> bool:
        return self.type == "multi"

    @property
    def is_choice(self) -> bool:
        return self.type in CHOICE_TYPES

    @property
    def is_numeric(self) -> bool:
        return self.type in {"int", "num"}

    def in_version(self, version: str) -> bool:
        return version in self.versions

    def modes_for(self, version: str) -> tuple[str, ...] | None:
        """Delivery modes that carry the item in `version` (None: all modes)."""
        return self.version_modes.get(version, self.modes)

    def in_mode(self, mode: str, version: str) -> bool:
        modes = self.modes_for(version)
        return modes is None or mode in modes

    def options_for(self, version: str) -> tuple[Option, ...]:
        return tuple(o for o in self.options if o.in_version(version))

    def option(self, code: str) -> Option:
        for o in self.options:
            if o.code == code:
                return o
        raise KeyError(f"{self.id} has no option {code!r}")

    def option_column(self, code: str) -> str:
        return f"{self.id}{MULTI_SEPARATOR}{code}"

    def columns(self, version: str) -> tuple[str, ...]:
        """Canonical column names of this item in one instrument version."""
        if self.is_multi:
            return tuple(self.option_column(o.code) for o in self.options_for(version))
        return (self.id,)


@dataclass(frozen=True)
class SizeClassGroup:
    group: str
    zh: str
    divisions: tuple[tuple[int, int], ...]
    bounds: dict[str, dict[str, float]]  # class -> measure -> lower bound


@dataclass(frozen=True)
class Codebook:
    name: str
    instruments: dict[str, dict[str, int]]
    platform: dict[str, str]
    sections: dict[str, dict[str, str]]
    items: tuple[Item, ...]
    size_class_order: tuple[str, ...]
    size_class_labels: dict[str, dict[str, str]]
    size_class_groups: tuple[SizeClassGroup, ...]

    def item(self, item_id: str) -> Item:
        for it in self.items:
            if it.id == item_id:
                return it
        raise KeyError(f"codebook has no item {item_id!r}")

    @property
    def versions(self) -> tuple[str, ...]:
        return tuple(self.instruments)

    def version_for_wave(self, wave: int) -> str:
        """The instrument version fielded in a wave (the newest that had started)."""
        started = [
            (spec["first_wave"], name)
            for name, spec in self.instruments.items()
            if spec["first_wave"] <= wave
        ]
        if not started:
            raise ValueError(f"no instrument version covers wave {wave}")
        return max(started)[1]

    def items_for(self, version: str, mode: str | None = None) -> tuple[Item, ...]:
        return tuple(
            it
            for it in self.items
            if it.in_version(version) and (mode is None or it.in_mode(mode, version))
        )

    def delivered_items(self, version: str, mode: str) -> tuple[Item, ...]:
        """Items that appear as columns in a delivery file of this version and mode."""
        return tuple(it for it in self.items_for(version, mode) if it.source != "delivery")

    def columns(self, version: str, mode: str | None = None) -> tuple[str, ...]:
        """Canonical columns (multi items expanded to ITEM__option) in item order."""
        return tuple(c for it in self.items_for(version, mode) for c in it.columns(version))

    def all_columns(self) -> tuple[str, ...]:
        """The union of canonical columns over all versions and modes, in item order."""
        seen: dict[str, None] = {}
        for it in self.items:
            if it.is_multi:
                for o in it.options:
                    seen[it.option_column(o.code)] = None
            else:
                seen[it.id] = None
        return tuple(seen)

    def platform_headers(self, version: str) -> dict[str, str]:
        """Canonical column -> the platform export's Chinese header (numbered)."""
        prefix = self.platform["question_prefix"]
        multi = self.platform["multi_option_header"]
        headers: dict[str, str] = {}
        for n, it in enumerate(self.delivered_items(version, "electronic"), start=1):
            head = prefix.format(n=n) + (it.header_zh or it.zh)
            if it.is_multi:
                for o in it.options_for(version):
                    headers[it.option_column(o.code)] = multi.format(header=head, option=o.zh)
            else:
                headers[it.id] = head
        return headers


def _options(raw: Any, option_sets: dict[str, list[dict[str, Any]]]) -> tuple[Option, ...]:
    if raw is None:
        return ()
    entries = option_sets[raw] if isinstance(raw, str) else raw
    known = {"code", "zh", "en", "versions"}
    return tuple(
        Option(
            code=str(o["code"]),
            zh=str(o["zh"]),
            en=str(o["en"]),
            versions=tuple(o["versions"]) if "versions" in o else None,
            extra={k: v for k, v in o.items() if k not in known},
        )
        for o in entries
    )


def _crosswalk(raw: dict[str, Any] | None, item_id: str) -> Crosswalk | None:
    if raw is None:
        return None
    return Crosswalk(
        target=raw.get("target", item_id),
        mapping={str(k): str(v) for k, v in (raw.get("map") or {}).items()},
        comparability=raw["comparability"],
        note_en=raw["note_en"],
        note_zh=raw["note_zh"],
        versions=tuple(raw["versions"]) if "versions" in raw else None,
    )


def _version_modes(raw: Any) -> dict[str, tuple[str, ...]]:
    if isinstance(raw, dict):
        return {str(v): tuple(m) for v, m in raw.items()}
    return {}


def _item(raw: dict[str, Any], option_sets: dict[str, Any], all_versions: tuple[str, ...]) -> Item:
    forced = raw.get("forced_if")
    versions = tuple(raw.get("versions", all_versions))
    return Item(
        id=raw["id"],
        section=raw["section"],
        type=raw["type"],
        zh=raw["zh"],
        en=raw["en"],
        header_zh=raw.get("header_zh"),
        options=_options(raw.get("options"), option_sets),
        versions=versions,
        asked_if=Condition.from_yaml(raw["asked_if"]) if "asked_if" in raw else None,
        forced_if=Condition.from_yaml(forced) if forced else None,
        forced_value=str(forced["value"]) if forced else None,
        range=dict(raw.get("range") or {}),
        restricted=bool(raw.get("restricted", False)),
        required=bool(raw.get("required", False)),
        modes=tuple(raw["modes"]) if isinstance(raw.get("modes"), list) else None,
        version_modes=_version_modes(raw.get("modes")),
        source=raw.get("source"),
        crosswalk=_crosswalk(raw.get("crosswalk"), raw["id"]),
        pattern=raw.get("pattern"),
        unit=raw.get("unit"),
    )


def parse_codebook(raw: dict[str, Any]) -> Codebook:
    versions = tuple(raw["instruments"])
    option_sets = raw.get("option_sets", {})
    sizes = raw["size_classes"]
    groups = tuple(
        SizeClassGroup(
            group=g["group"],
            zh=g["zh"],
            divisions=tuple((int(a), int(b)) for a, b in g["divisions"]),
            bounds={c: dict(g[c]) for c in sizes["order"] if c in g},
        )
        for g in sizes["groups"]
    )
    return Codebook(
        name=raw["name"],
        instruments=raw["instruments"],
        platform={k: str(v) for k, v in raw["platform_export"].items()},
        sections=raw["sections"],
        items=tuple(_item(it, option_sets, versions) for it in raw["items"]),
        size_class_order=tuple(sizes["order"]),
        size_class_labels=sizes["labels"],
        size_class_groups=groups,
    )


@cache
def load_codebook(path: Path = CODEBOOK_PATH) -> Codebook:
    """Read and parse the codebook (cached: the file is read once per process)."""
    with path.open(encoding="utf-8") as fh:
        return parse_codebook(yaml.safe_load(fh))
