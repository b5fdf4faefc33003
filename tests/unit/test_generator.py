"""The demo generator: deterministic bytes, valid keys, a panel, the v2022 switch, encodings."""

from __future__ import annotations

import codecs
import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from orchestration import uscc
from orchestration.codebook import load_codebook
from orchestration.demo.generator import GeneratorConfig, parse_waves, write_deliveries
from orchestration.demo.reference import load_reference

CB = load_codebook()
WAVES = (2020, 2021, 2022, 2023)
SMALL = GeneratorConfig(zones=2, waves=WAVES)
FILES = ("platform_export.csv", "paper_entries.xlsx", "zone_register.csv")


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("small")
    write_deliveries(SMALL, out)
    return out


@pytest.fixture(scope="module")
def frames(small, read_delivery) -> dict[tuple[str, int], pd.DataFrame]:
    return {
        (zone.name, int(wave.name)): read_delivery(wave, int(wave.name))
        for zone in sorted(small.iterdir())
        for wave in sorted(zone.iterdir())
    }


def test_writes_every_zone_wave(small):
    assert sorted(p.name for p in small.iterdir()) == ["JS-01", "SH-01"]
    for zone in ("SH-01", "JS-01"):
        for wave in WAVES:
            assert {p.name for p in (small / zone / str(wave)).iterdir()} == set(FILES)


def test_same_seed_same_bytes(small, tmp_path):
    write_deliveries(SMALL, tmp_path)
    assert _files(tmp_path) == _files(small)


def test_other_seed_other_bytes(small, tmp_path):
    write_deliveries(GeneratorConfig(zones=2, waves=WAVES, seed=SMALL.seed + 1), tmp_path)
    mine, theirs = _files(small), _files(tmp_path)
    assert mine.keys() == theirs.keys()
    for name in mine:
        if not name.endswith("zone_register.csv"):
            assert mine[name] != theirs[name], name


def test_a_wave_does_not_depend_on_the_other_waves_requested(small, tmp_path):
    write_deliveries(GeneratorConfig(zones=2, waves=(2022,)), tmp_path)
    for name, data in _files(tmp_path).items():
        assert (small / name).read_bytes() == data, name


def test_respondent_counts(frames):
    for (zone, wave), frame in frames.items():
        expected = (99, 99) if (zone, wave) == ("SH-01", 2020) else (80, 400)
        assert expected[0] <= len(frame) <= expected[1], (zone, wave)


def test_usccs_valid_unique_and_zone_bound(frames):
    zones_of: dict[str, set[str]] = {}
    for (zone, wave), frame in frames.items():
        codes = frame["A1_uscc"]
        assert codes.map(uscc.is_valid).all(), (zone, wave)
        assert codes.is_unique, (zone, wave)
        for code in codes:
            zones_of.setdefault(code, set()).add(zone)
    assert all(len(z) == 1 for z in zones_of.values()), "an enterprise answers in two zones"


def test_panel_share_and_stable_identity(frames):
    stable = ["A2_name", "A5_industry_section", "A6_industry_division", "A7_founded_year"]
    for zone in ("SH-01", "JS-01"):
        for wave in WAVES[:-1]:
            this = frames[(zone, wave)].set_index("A1_uscc")
            after = frames[(zone, wave + 1)].set_index("A1_uscc")
            both = this.index.intersection(after.index)
            assert 0.60 <= len(both) / len(this) <= 0.75, (zone, wave)
            pd.testing.assert_frame_equal(
                this.loc[both, stable].astype(str), after.loc[both, stable].astype(str)
            )


def _headers(path: Path, encoding: str) -> list[str]:
    with path.open(encoding=encoding, newline="") as fh:
        return next(csv.reader(fh))


def test_each_wave_carries_its_versions_columns(small):
    """Every wave's files have the columns of the instrument version fielded that year:
    items of another version only are absent, options too (B4's erp from v2022)."""
    not_everywhere = [it for it in CB.items if set(it.versions) != set(CB.versions)]
    assert not_everywhere  # the codebook has version-specific items to check
    erp = CB.item("B4_tech").option("erp")
    for wave in WAVES:
        version = CB.version_for_wave(wave)
        folder = small / "SH-01" / str(wave)
        encoding = "utf-8-sig" if wave % 2 == 0 else "gb18030"
        header = set(_headers(folder / "platform_export.csv", encoding))
        assert header == set(CB.platform_headers(version).values())
        paper = set(pd.read_excel(folder / "paper_entries.xlsx", nrows=0).columns)
        paper_items = {it.id for it in not_everywhere if it.in_mode("paper", version)}
        present = {it.id for it in not_everywhere if it.in_version(version)} & paper_items
        absent = {it.id for it in not_everywhere if not it.in_version(version)}
        assert present - {it.id for it in CB.items if it.is_multi} <= paper
        assert not absent & paper
        erp_column = CB.item("B4_tech").option_column("erp")
        assert (erp_column in paper) == erp.in_version(version)


def test_paper_v2022_carries_the_employee_band_only(frames):
    for zone in ("SH-01", "JS-01"):
        frame = frames[(zone, 2022)]
        paper = frame[frame["A12_mode"] == "paper"]
        assert paper["A8_employees"].isna().all()
        bands = {o.code for o in CB.item("A8b_employees_band").options}
        assert paper["A8b_employees_band"].isin(bands).all()
        electronic = frame[frame["A12_mode"] == "electronic"]
        assert electronic["A8_employees"].notna().all()


def test_encodings(small):
    for wave in WAVES:
        raw = (small / "SH-01" / str(wave) / "platform_export.csv").read_bytes()
        if wave % 2 == 0:
            assert raw.startswith(codecs.BOM_UTF8)
            raw[3:].decode("utf-8")
        else:
            assert not raw.startswith(codecs.BOM_UTF8)
            assert "企业" in raw.decode("gb18030")
            with pytest.raises(UnicodeDecodeError):
                raw.decode("utf-8")
        register = (small / "SH-01" / str(wave) / "zone_register.csv").read_bytes()
        register.decode("utf-8")


def test_skip_and_forcing_rules_everywhere(frames):
    for (zone, wave), frame in frames.items():
        version = CB.version_for_wave(wave)
        for item in CB.items_for(version):
            columns = [c for c in item.columns(version) if c in frame]
            if item.asked_if is not None:
                cond = item.asked_if
                asked = frame[cond.item].isin(cond.codes) != cond.negate
                assert frame.loc[~asked, columns].isna().all().all(), (zone, wave, item.id)
                assert frame.loc[asked, columns].notna().all().all(), (zone, wave, item.id)
            if item.forced_if is not None:
                cond = item.forced_if
                forced = frame[cond.item].isin(cond.codes) != cond.negate
                assert frame.loc[forced, item.id].eq(item.forced_value).all(), (zone, wave)


def test_zone_register_consistent_with_sample(frames, small):
    sizes = set(CB.size_class_order)
    sections = {o.code for o in CB.item("A5_industry_section").options}
    for (zone, wave), frame in frames.items():
        register = pd.read_csv(
            small / zone / str(wave) / "zone_register.csv", dtype={"size_class": str}
        )
        assert list(register.columns) == [
            "zone_id",
            "industry_section",
            "size_class",
            "n_enterprises",
        ]
        assert register["zone_id"].eq(zone).all()
        assert set(register["size_class"]) <= sizes
        assert set(register["industry_section"]) <= sections
        assert 1000 <= register["n_enterprises"].sum() <= 100_000
        by_section = register.groupby("industry_section")["n_enterprises"].sum()
        sample = frame["A5_industry_section"].value_counts()
        assert set(by_section.index) == set(sample.index)
        assert (by_section[sample.index] > sample).all(), "weights must exceed 1"


def test_synthetic_zones_beyond_the_reference(tmp_path):
    write_deliveries(GeneratorConfig(zones=9, waves=(2020,), firms_per_zone=30), tmp_path)
    zones = sorted(p.name for p in tmp_path.iterdir())
    assert "Z08-01" in zones and "Z09-01" in zones and len(zones) == 9
    divisions = set()
    for zone in zones:
        with (tmp_path / zone / "2020" / "platform_export.csv").open(encoding="utf-8-sig") as fh:
            rows = list(csv.reader(fh))[1:]
        paper = tmp_path / zone / "2020" / "paper_entries.xlsx"
        n_paper = len(pd.read_excel(paper)) if paper.exists() else 0
        assert len(rows) + n_paper == 30
        divisions |= {r[0][2:8] for r in rows}
    assert len(divisions) == 9, "every zone has its own administrative division"


def test_adoption_drifts_up_and_far_zones_lag(tmp_path, read_delivery):
    config = GeneratorConfig(zones=7, waves=(2020, 2025), firms_per_zone=1500, paper_share=0.0)
    write_deliveries(config, tmp_path)
    digital = [CB.item("B4_tech").option_column(c) for c in ("big_data", "ai", "iot", "5g")]

    def adoption(zone: str, wave: int) -> float:
        frame = read_delivery(tmp_path / zone / str(wave), wave)
        return float(frame[digital].eq(True).to_numpy().mean())

    rates = {
        (z, w): adoption(z, w) for z in ("SH-01", "JS-01", "SC-01", "GS-01") for w in (2020, 2025)
    }
    for zone in ("SH-01", "JS-01", "SC-01", "GS-01"):
        assert rates[(zone, 2025)] > rates[(zone, 2020)], zone
    near = np.mean([rates[("SH-01", 2025)], rates[("JS-01", 2025)]])
    far = np.mean([rates[("SC-01", 2025)], rates[("GS-01", 2025)]])
    assert far < near - 0.03


def test_paper_share_declines(frames):
    for zone in ("SH-01", "JS-01"):
        share = [frames[(zone, w)]["A12_mode"].eq("paper").mean() for w in WAVES]
        assert share[-1] < share[0], zone


def test_reference_model_matches_the_codebook():
    load_reference()  # raises on unknown ids or codes, or a delivered item without a step


@pytest.mark.parametrize(
    ("text", "waves"),
    [
        ("2020-2025", (2020, 2021, 2022, 2023, 2024, 2025)),
        ("2020,2022", (2020, 2022)),
        ("2021", (2021,)),
    ],
)
def test_parse_waves(text, waves):
    assert parse_waves(text) == waves


@pytest.mark.parametrize("text", ["", "2025-2020", "2020;2021", "twenty", "2020,2020", "20-21"])
def test_parse_waves_rejects(text):
    with pytest.raises(ValueError, match="waves"):
        parse_waves(text)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"zones": 0}, "zones"),
        ({"waves": (2019, 2020)}, "2019"),
        ({"waves": ()}, "wave"),
        ({"firms_per_zone": 0}, "firms_per_zone"),
        ({"paper_share": 1.5}, "paper_share"),
        ({"seed": -1}, "seed"),
    ],
)
def test_bad_config_is_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        GeneratorConfig(**kwargs)
