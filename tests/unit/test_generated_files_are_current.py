"""The committed generated files equal a fresh run of every generator, and the check
that says so can fail.

The generators are the ones `make generate` runs (the Makefile's GENERATORS list, read
here so the two cannot drift apart). Each is run in-process in its `--check` mode: exit
1 and one line naming the stale files. The second half edits a tmp copy of the
codebook and shows each check catching the change, then a regenerated tmp copy of
the outputs passing it again.
"""

from __future__ import annotations

import importlib
import re
import shutil
from pathlib import Path

import pytest

from orchestration.codebook import CODEBOOK_PATH, load_codebook
from orchestration.codebook import seeds as codebook_seeds
from orchestration.quality import suites
from orchestration.settings import DBT_PROJECT_DIR, EXPECTATIONS_DIR

REPO = Path(__file__).resolve().parents[2]


def makefile_generators() -> list[str]:
    text = (REPO / "Makefile").read_text(encoding="utf-8")
    match = re.search(r"^GENERATORS :=(.*)$", text, re.M)
    assert match, "the Makefile lists no GENERATORS for `make generate`"
    return match[1].split()


def test_make_generate_runs_every_known_generator() -> None:
    # A new generator belongs in GENERATORS (and so in this test): these two at least.
    assert {"orchestration.codebook.seeds", "orchestration.quality.suites"} <= set(
        makefile_generators()
    )


@pytest.mark.parametrize("module", makefile_generators())
def test_generated_files_are_current(module: str, capsys: pytest.CaptureFixture[str]) -> None:
    status = importlib.import_module(module).main(["--check"])
    out = capsys.readouterr().out
    assert status == 0, out


def edited_codebook(tmp_path: Path, old: str, new: str) -> Path:
    """A tmp copy of the codebook with one string replaced (exactly once)."""
    text = CODEBOOK_PATH.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path = tmp_path / "codebook.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def test_seeds_check_fails_on_an_edited_label(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cb = load_codebook(edited_codebook(tmp_path, "en: Collective}", "en: Collectively owned}"))
    files = codebook_seeds.generate(cb)

    assert codebook_seeds.check(DBT_PROJECT_DIR, files) == 1
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 and "dbt_project/seeds/cb_options.csv" in lines[0], lines
    assert "make generate" in lines[0]

    # Generated into a tmp copy of the project, the same files are current again.
    project = tmp_path / DBT_PROJECT_DIR.name
    shutil.copytree(DBT_PROJECT_DIR / "seeds", project / "seeds")
    shutil.copytree(DBT_PROJECT_DIR / "macros", project / "macros")
    for rel, text in files.items():
        (project / rel).write_text(text, encoding="utf-8")
    assert codebook_seeds.check(project, files) == 0
    assert capsys.readouterr().out == ""


def test_suites_check_fails_on_an_edited_range(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cb = load_codebook(
        edited_codebook(tmp_path, "range: {min: 1949, max: wave}", "range: {min: 1950, max: wave}")
    )
    files = suites.render(cb)

    assert suites.check(EXPECTATIONS_DIR, files) == 1
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 and "expectations/expectations/raw_responses_v2020.json" in lines[0]

    root = tmp_path / EXPECTATIONS_DIR.name
    shutil.copytree(EXPECTATIONS_DIR, root, ignore=shutil.ignore_patterns("uncommitted"))
    suites.write(root, files)
    assert suites.check(root, files) == 0


def test_a_definition_naming_an_unknown_code_stops_the_generator(tmp_path: Path) -> None:
    definitions = tmp_path / "definitions"
    shutil.copytree(codebook_seeds.DEFINITIONS_DIR, definitions)
    path = definitions / "indicators.yaml"
    text = path.read_text(encoding="utf-8")
    old = "{id: tech_erp, num: {B4_tech: [erp]}}"
    assert text.count(old) == 1
    path.write_text(text.replace(old, "{id: tech_erp, num: {B4_tech: [erp_typo]}}"), "utf-8")
    with pytest.raises(codebook_seeds.DefinitionError, match="B4_tech has no code 'erp_typo'"):
        codebook_seeds.generate(definitions_dir=definitions)
