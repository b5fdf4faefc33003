"""Every file generated from the codebook: `python -m orchestration.codebook.seeds`.

Inputs: the codebook and the two definition files in `dbt_project/definitions/`.
Outputs, one module each:
- `codebook_tables`: the lookup seeds `cb_*.csv` (items, options, crosswalk, ...);
- `indicator_tables`: the indicator catalog's seeds (indicators, terms, breaks, ...);
- `scoring_tables`: the scoring seeds;
- `dbt_macros`: the generated dbt macros (canonical columns, indicator catalog).
The seeds are committed and a test checks they are up to date (`--check`), so run
this (`make generate`) after editing any input. The macros are build output
(`--macros`, run by `make install`), so a questionnaire change commits data only.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from orchestration.codebook import Codebook, load_codebook
from orchestration.codebook.codebook_tables import codebook_tables
from orchestration.codebook.dbt_macros import catalog_macro_text, macro_text
from orchestration.codebook.generation import DefinitionError, read_yaml, report_stale
from orchestration.codebook.indicator_tables import indicator_tables
from orchestration.codebook.scoring_tables import scoring_tables
from orchestration.settings import DBT_PROJECT_DIR

__all__ = ["DefinitionError", "check", "generate", "main", "stale", "write"]

DEFINITIONS_DIR = DBT_PROJECT_DIR / "definitions"
SEEDS_DIR = DBT_PROJECT_DIR / "seeds"
MACRO_PATH = DBT_PROJECT_DIR / "macros" / "generated" / "codebook_columns.sql"
CATALOG_MACRO_PATH = DBT_PROJECT_DIR / "macros" / "generated" / "indicator_catalog.sql"


def generate(cb: Codebook | None = None, definitions_dir: Path = DEFINITIONS_DIR) -> dict[str, str]:
    """Seed file name (or the macro path relative to the dbt project) -> content."""
    cb = cb or load_codebook()
    defs = read_yaml(definitions_dir / "indicators.yaml")
    scoring = read_yaml(definitions_dir / "scoring.yaml")
    files = {f"seeds/{k}": v for k, v in codebook_tables(cb).items()}
    ind = indicator_tables(cb, defs)
    files.update({f"seeds/{k}": v for k, v in ind.items()})
    ids = {spec["id"] for spec in defs["indicators"]}
    files.update({f"seeds/{k}": v for k, v in scoring_tables(scoring, ids).items()})
    files[str(MACRO_PATH.relative_to(DBT_PROJECT_DIR))] = macro_text(cb)
    files[str(CATALOG_MACRO_PATH.relative_to(DBT_PROJECT_DIR))] = catalog_macro_text(cb, files)
    return files


# The macros are build output, not committed (.gitignore): `make install` writes them,
# so a questionnaire change commits data files only (codebook, definitions, seeds).
GENERATED_MACROS = tuple(
    str(p.relative_to(DBT_PROJECT_DIR)) for p in (MACRO_PATH, CATALOG_MACRO_PATH)
)


def write(project_dir: Path = DBT_PROJECT_DIR, macros_only: bool = False) -> list[Path]:
    """Write the generated files whose content changed (an unchanged file keeps its
    mtime, so dbt's partial parsing stays valid); returns the paths written."""
    written = []
    for rel, text in generate().items():
        if macros_only and rel not in GENERATED_MACROS:
            continue
        path = project_dir / rel
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        scratch = path.with_name(f".{path.name}.tmp")
        scratch.write_text(text, encoding="utf-8")
        scratch.replace(path)  # atomic: a concurrent dbt parse never reads half a file
        written.append(path)
    return written


def stale(project_dir: Path = DBT_PROJECT_DIR, files: dict[str, str] | None = None) -> list[str]:
    """Generated files whose committed content differs from a fresh generation (`files`)."""
    files = generate() if files is None else files
    out = []
    for rel, text in files.items():
        path = project_dir / rel
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            out.append(rel)
    return out


def check(project_dir: Path = DBT_PROJECT_DIR, files: dict[str, str] | None = None) -> int:
    """`--check`: 1 and one line naming the stale files, else 0 and silence."""
    return report_stale(project_dir, stale(project_dir, files), __spec__.name)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if any output is stale")
    parser.add_argument(
        "--macros", action="store_true", help="write only the dbt macros (build output)"
    )
    args = parser.parse_args(argv)
    try:
        if args.check:
            return check()
        written = write(macros_only=args.macros)
    except DefinitionError as exc:
        # A definition naming an unknown item or code: the maintainer's typo, one line.
        print(f"{__spec__.name}: {exc}", file=sys.stderr)
        return 1
    for path in written:
        print(path.relative_to(DBT_PROJECT_DIR.parent))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
