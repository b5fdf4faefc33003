"""The generator's answer model (`reference.yaml`), parsed and checked against the codebook."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from orchestration.codebook import Codebook, Condition, load_codebook

REFERENCE_PATH = Path(__file__).with_name("reference.yaml")

# Items the firm and respondent model draws itself (not answer steps).
PROFILE_ITEMS = frozenset(
    {
        "A1_uscc",
        "A2_name",
        "A3_zone",
        "A4_ownership",
        "A5_industry_section",
        "A6_industry_division",
        "A7_founded_year",
        "A8_employees",
        "A8b_employees_band",
        "A9_revenue",
        "A10_assets",
        "A11_respondent_role",
        "A12_mode",
        "A13_respondent_contact",
    }
)


@dataclass(frozen=True)
class Part:
    """k of `of` baseline respondents among those meeting the condition take the flag."""

    k: int
    of: int
    when: Condition | None = None
    when_any: tuple[str, ...] = ()

    @property
    def structural(self) -> bool:
        return self.k == 0 or self.k == self.of

    @property
    def is_remainder(self) -> bool:
        return self.when is None and not self.when_any


@dataclass(frozen=True)
class Step:
    item: str
    kind: str  # ordered | nominal | multi
    base: int
    w_propensity: float
    w_size: float
    drift: float
    counts: tuple[tuple[str, int], ...] = ()  # ordered/nominal, most digital first
    split: tuple[tuple[str, tuple[str, ...]], ...] = ()
    options: tuple[tuple[str, tuple[Part, ...]], ...] = ()  # multi, in drawing order


@dataclass(frozen=True)
class Threshold:
    threshold: float
    below: int


@dataclass(frozen=True)
class Reference:
    wave: int
    respondents: int
    paper: int
    sections: tuple[tuple[str, int], ...]
    divisions: dict[str, tuple[tuple[int, int], ...]]
    ownership: tuple[tuple[str, int], ...]
    employees: Threshold
    revenue: Threshold
    roles: tuple[tuple[str, int], ...]
    steps: tuple[Step, ...]


def _pairs(raw: dict[Any, Any]) -> tuple[tuple[str, int], ...]:
    return tuple((str(k), int(v)) for k, v in raw.items())


def _part(raw: dict[str, Any]) -> Part:
    when = Condition.from_yaml(raw["when"]) if "when" in raw else None
    return Part(
        k=int(raw["k"]),
        of=int(raw["of"]),
        when=when,
        when_any=tuple(str(c) for c in raw.get("when_any", ())),
    )


def _options(raw: dict[str, Any], base: int) -> tuple[tuple[str, tuple[Part, ...]], ...]:
    out = []
    for code, spec in raw.items():
        parts = (Part(k=int(spec), of=base),) if isinstance(spec, int) else tuple(map(_part, spec))
        out.append((str(code), parts))
    return tuple(out)


def _step(raw: dict[str, Any]) -> Step:
    weights = raw.get("weights", {})
    kind = raw["kind"]
    return Step(
        item=raw["item"],
        kind=kind,
        base=int(raw["base"]),
        w_propensity=float(weights.get("propensity", 0.0)),
        w_size=float(weights.get("size", 0.0)),
        drift=float(raw.get("drift", 0.0 if kind == "nominal" else 1.0)),
        counts=_pairs(raw.get("counts", {})),
        split=tuple((str(k), tuple(str(c) for c in v)) for k, v in raw.get("split", {}).items()),
        options=_options(raw.get("options", {}), int(raw["base"])),
    )


def parse_reference(raw: dict[str, Any]) -> Reference:
    prof = raw["profile"]
    return Reference(
        wave=int(raw["reference"]["wave"]),
        respondents=int(raw["reference"]["respondents"]),
        paper=int(raw["reference"]["paper"]),
        sections=_pairs(prof["A5_industry_section"]),
        divisions={
            str(sec): tuple((int(d), int(n)) for d, n in divs.items())
            for sec, divs in prof["A6_industry_division"].items()
        },
        ownership=_pairs(prof["A4_ownership"]),
        employees=Threshold(**prof["A8_employees"]),
        revenue=Threshold(**prof["A9_revenue"]),
        roles=_pairs(raw["respondent"]["A11_respondent_role"]),
        steps=tuple(_step(s) for s in raw["steps"]),
    )


@cache
def load_reference(path: Path = REFERENCE_PATH) -> Reference:
    with path.open(encoding="utf-8") as fh:
        ref = parse_reference(yaml.safe_load(fh))
    validate_reference(ref, load_codebook(), path)
    return ref


def validate_reference(ref: Reference, cb: Codebook, path: Path = REFERENCE_PATH) -> None:
    """Every id and code must exist in the codebook, and every delivered item needs a step."""
    problems: list[str] = []

    def codes_of(item_id: str) -> set[str]:
        try:
            return {o.code for o in cb.item(item_id).options}
        except KeyError:
            problems.append(f"unknown item {item_id}")
            return set()

    def check(item_id: str, codes: Iterable[object]) -> None:
        unknown = {str(c) for c in codes} - codes_of(item_id)
        if unknown:
            problems.append(f"{item_id}: unknown codes {sorted(unknown)}")

    check("A5_industry_section", [c for c, _ in ref.sections])
    check("A5_industry_section", ref.divisions)
    check("A4_ownership", [c for c, _ in ref.ownership])
    check("A11_respondent_role", [c for c, _ in ref.roles])
    for step in ref.steps:
        check(step.item, [c for c, _ in step.counts])
        for code, finer in step.split:
            check(step.item, [code, *finer])
        check(step.item, [c for c, _ in step.options])
        for _, parts in step.options:
            for part in parts:
                check(step.item, part.when_any)
                if part.when is not None:
                    check(part.when.item, part.when.codes)
    stepped = {s.item for s in ref.steps}
    for version in cb.versions:
        for item in cb.delivered_items(version, "electronic"):
            if item.id not in stepped and item.id not in PROFILE_ITEMS:
                problems.append(f"no step for item {item.id}")
    for step in ref.steps:
        if step.kind == "multi":
            missing = {o.code for o in cb.item(step.item).options} - {c for c, _ in step.options}
            if missing:
                problems.append(f"{step.item}: no draw for options {sorted(missing)}")
    if problems:
        raise ValueError(f"{path}: " + "; ".join(problems))
