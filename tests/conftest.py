"""Shared fixtures: an independent reader of generated deliveries (codebook only), and
the session-wide fixtures built once for every suite that reads them (tests/support):
the fixture warehouse (dbt) and the published demo home."""

from __future__ import annotations

import codecs
import io
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from orchestration.codebook import Codebook, load_codebook
from orchestration.settings import Home
from tests.support import demo, warehouse
from tests.support.dbt_harness import DbtBuild


def _platform_frame(path: Path, cb: Codebook, version: str) -> pd.DataFrame:
    raw = path.read_bytes()
    if raw.startswith(codecs.BOM_UTF8):
        text = raw[len(codecs.BOM_UTF8) :].decode("utf-8")
    else:
        text = raw.decode("gb18030")
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    by_header = {header: column for column, header in cb.platform_headers(version).items()}
    unknown = set(frame.columns) - set(by_header)
    assert not unknown, f"{path}: headers not in the codebook: {sorted(unknown)}"
    frame = frame.rename(columns=by_header)
    skipped = cb.platform["skipped"]
    flags = {cb.platform["multi_selected"]: True, cb.platform["multi_not_selected"]: False}
    for item in cb.delivered_items(version, "electronic"):
        if item.is_multi:
            labels = {**flags, skipped: None}
        elif item.is_choice:
            labels = {o.zh: o.code for o in item.options_for(version)} | {skipped: None}
        elif item.is_numeric:
            frame[item.id] = pd.to_numeric(frame[item.id])
            continue
        else:
            continue
        for column in item.columns(version):
            bad = set(frame[column]) - set(labels)
            assert not bad, f"{path}: {column} holds labels outside the codebook: {bad}"
            frame[column] = frame[column].map(labels).astype(object)
    frame["A12_mode"] = "electronic"
    return frame


def _paper_frame(path: Path, cb: Codebook, version: str) -> pd.DataFrame:
    sheet = openpyxl.load_workbook(path, read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    frame = pd.DataFrame(rows[1:], columns=rows[0], dtype=object)
    for item in cb.delivered_items(version, "paper"):
        if item.is_multi:
            for column in item.columns(version):
                frame[column] = frame[column].map({1: True, 0: False, None: None}).astype(object)
        elif item.is_choice:
            codes = {o.code for o in item.options_for(version)}
            bad = set(frame[item.id].dropna()) - codes
            assert not bad, f"{path}: {item.id} holds codes outside the codebook: {bad}"
        elif item.is_numeric:
            frame[item.id] = pd.to_numeric(frame[item.id])
    frame["A12_mode"] = "paper"
    return frame


def read_delivery_folder(folder: Path, wave: int) -> pd.DataFrame:
    """Platform CSV and paper XLSX of one zone-wave as canonical columns and codes."""
    cb = load_codebook()
    version = cb.version_for_wave(wave)
    frames = []
    if (folder / "platform_export.csv").exists():
        frames.append(_platform_frame(folder / "platform_export.csv", cb, version))
    if (folder / "paper_entries.xlsx").exists():
        frames.append(_paper_frame(folder / "paper_entries.xlsx", cb, version))
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="session")
def read_delivery() -> Callable[[Path, int], pd.DataFrame]:
    return read_delivery_folder


@pytest.fixture(scope="session")
def fixture_warehouse(tmp_path_factory: pytest.TempPathFactory) -> DbtBuild:
    """The synthetic raw DB after one `dbt build` (tests/support/warehouse.py); read-only."""
    return warehouse.fixture_warehouse(tmp_path_factory)


@pytest.fixture(scope="session")
def published_demo(tmp_path_factory: pytest.TempPathFactory) -> Home:
    """A demo home (two zones, three waves) after one published run; read-only."""
    return demo.published_demo(tmp_path_factory)


# --------------------------------------------------------------------------- xdist groups

# `make test` runs pytest-xdist (pyproject.toml's addopts: --dist loadscope): the scheduler
# below hands out whole groups. Every test module is a group (its module-scoped fixtures
# are built once, its tests keep their order), and modules sharing a session fixture
# that is not built once per session on disk (tests/support/shared.py) form one group.
# (xdist_group marks cannot do it: under pytest 9 xdist's loadgroup suffix no longer
# reaches the node ids the scheduler reads.)
SHARED_GROUPS = {
    "tests/estimation/": "estimation",  # estimation_build: a dbt build and R
    "tests/dashboards/test_site_": "dashboards-site",  # built_site: publish and the site
}
# The longest groups first (with --no-loadscope-reorder xdist hands groups out in
# collection order), so that no worker starts one of them when the others are finishing.
# The published demo's two readers (tests/e2e, test_pipeline) are kept apart: handed
# out one after the other, the second waited for the first to build the demo, a core
# idle for half a minute.
LONGEST_FIRST = (
    "tests/recovery/test_crash_points.py",
    "tests/quality/test_corpus_batches.py",
    "tests/spark/test_spark_parity.py",
    "tests/service/test_dagster_service.py",
    "tests/recovery/test_releases.py",
    "tests/e2e/",
    "tests/service/test_ui_refusals.py",
    "tests/dbt/test_incremental.py",
    "tests/recovery/test_disk_full.py",
    "tests/estimation/",
    "tests/dagster/test_pipeline.py",
    "tests/quality/test_corpus_cli.py",
    "tests/quality/test_corpus.py",
)


def group_of(nodeid: str) -> str:
    path = nodeid.split("::")[0]
    return next((group for p, group in SHARED_GROUPS.items() if path.startswith(p)), path)


def _rank(nodeid: str) -> int:
    path = nodeid.split("::")[0]
    return next(
        (i for i, prefix in enumerate(LONGEST_FIRST) if path.startswith(prefix)),
        len(LONGEST_FIRST),
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: _rank(item.nodeid))  # stable: file order otherwise


@pytest.hookimpl(optionalhook=True, tryfirst=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    if config.getvalue("dist") not in ("loadscope", "loadgroup"):
        return None
    from xdist.scheduler import LoadScopeScheduling

    class Groups(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return group_of(nodeid)

    return Groups(config, log)
