"""The codebook is self-consistent: labels in both languages, rules and crosswalks resolve."""

import re

import pytest

from orchestration.codebook import load_codebook

CB = load_codebook()


def test_item_ids_are_unique():
    ids = [it.id for it in CB.items]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("item", CB.items, ids=lambda it: it.id)
def test_every_item_is_labelled_and_typed(item):
    assert item.type in {"id", "text", "int", "num", "single", "multi", "band"}
    assert item.zh and item.en and item.section in CB.sections
    assert set(item.versions) <= set(CB.versions) and item.versions
    if item.source != "delivery":
        assert item.header_zh, "the platform export needs a Chinese header"
    if item.is_choice or item.is_multi:
        assert item.options, "choice items need codes"
        for version in item.versions:
            codes = [o.code for o in item.options_for(version)]
            assert len(codes) == len(set(codes)), f"duplicate codes in {version}"
            zh = [o.zh for o in item.options_for(version)]
            assert len(zh) == len(set(zh)), f"duplicate Chinese labels in {version}"
        for option in item.options:
            assert option.zh.strip() and option.en.strip()
            assert re.fullmatch(r"[A-Za-z0-9_]+", option.code)


@pytest.mark.parametrize("item", [it for it in CB.items if it.asked_if or it.forced_if], ids=str)
def test_rules_refer_to_existing_codes(item):
    for cond in (item.asked_if, item.forced_if):
        if cond is None:
            continue
        target = CB.item(cond.item)
        assert set(cond.codes) <= {o.code for o in target.options}
        assert set(item.versions) <= set(target.versions)
    if item.forced_if:
        assert item.forced_value in {o.code for o in item.options}


@pytest.mark.parametrize("item", [it for it in CB.items if it.crosswalk], ids=str)
def test_crosswalk_targets_exist(item):
    cw = item.crosswalk
    base = CB.versions[0]
    target = CB.item(cw.target)
    assert base in target.versions
    assert cw.comparability in {"exact", "approximate", "none"}
    assert cw.note_en and cw.note_zh
    assert set(cw.versions or ()) <= set(item.versions)
    mapped = [v for v in item.versions if cw.maps(v, base)]
    assert mapped and base not in mapped
    base_codes = {o.code for o in target.options_for(base)}
    later_codes = {o.code for v in mapped for o in item.options_for(v)}
    for source_code, target_code in cw.mapping.items():
        assert source_code in later_codes
        assert target_code in base_codes


def test_changed_share_bands_map_back_to_v2020():
    c1 = CB.item("C1_online_procurement_share")
    for version in CB.versions[1:]:
        mapped = {c1.crosswalk.map_code(o.code) for o in c1.options_for(version)}
        assert mapped == {o.code for o in c1.options_for("v2020")}


def test_a_crosswalk_maps_only_the_versions_it_names():
    from orchestration.codebook import Crosswalk

    default = Crosswalk("X", {}, "exact", "n", "n")
    assert [v for v in ("v1", "v2", "v3") if default.maps(v, "v1")] == ["v2", "v3"]
    revised = Crosswalk("X", {}, "approximate", "n", "n", versions=("v3",))
    assert [v for v in ("v1", "v2", "v3") if revised.maps(v, "v1")] == ["v3"]


def test_version_for_wave():
    starts = sorted((spec["first_wave"], v) for v, spec in CB.instruments.items())
    for (first, version), after in zip(starts, [*starts[1:], None], strict=True):
        assert CB.version_for_wave(first) == version
        if after is not None:
            assert CB.version_for_wave(after[0] - 1) == version
            assert CB.instruments[version].get("last_wave") == after[0] - 1
    assert CB.version_for_wave(2021) == "v2020"
    with pytest.raises(ValueError):
        CB.version_for_wave(starts[0][0] - 1)


def test_platform_headers_are_unique_and_numbered():
    for version in CB.versions:
        headers = CB.platform_headers(version)
        assert len(set(headers.values())) == len(headers)
        assert headers["A1_uscc"] == "1、企业统一社会信用代码"


def test_sections_divisions_do_not_overlap():
    seen: dict[int, str] = {}
    for option in CB.item("A5_industry_section").options:
        for lo, hi in option.extra["divisions"]:
            for d in range(lo, hi + 1):
                assert d not in seen, f"division {d} in {seen.get(d)} and {option.code}"
                seen[d] = option.code


def test_size_class_groups_cover_every_division_once():
    covered = [d for g in CB.size_class_groups for lo, hi in g.divisions for d in range(lo, hi + 1)]
    assert sorted(covered) == list(range(1, 98))
    for g in CB.size_class_groups:
        assert set(g.bounds) == {"large", "medium", "small"}


def test_no_yaml_flow_mapping_lost_a_value():
    """An unquoted comma inside a `{...}` mapping silently splits a label into a null key."""
    import yaml

    from orchestration.codebook import CODEBOOK_PATH

    def nulls(node, path=""):
        if isinstance(node, dict):
            for key, value in node.items():
                if value is None:
                    yield f"{path}/{key}"
                yield from nulls(value, f"{path}/{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                yield from nulls(value, f"{path}[{i}]")

    assert list(nulls(yaml.safe_load(CODEBOOK_PATH.read_text(encoding="utf-8")))) == []
