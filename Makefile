# Two verbs do all set-up: `make demo` and `make test`. Both build the virtual
# environment from uv.lock with the system Python 3.11 (no Python downloads).
PYTHON ?= python3.11
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
export UV_PYTHON_DOWNLOADS := never
# Compiled once here: where PYTHONDONTWRITEBYTECODE is set (CI shells), every command
# would otherwise compile its ~600 imported modules on each start (seconds per command).
export UV_COMPILE_BYTECODE := 1
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)

.PHONY: install demo test lint generate bench clean browser java r strace

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: $(UV) uv.lock pyproject.toml Makefile
	$(UV) sync --frozen --all-extras --python $(PYTHON)
	$(VENV)/bin/python -m compileall -q orchestration dashboards
	touch $@

# The dbt macros generated from the codebook are build output, not committed: a
# questionnaire change commits data files only (docs/changing-the-questionnaire.md).
GENERATED_MACROS := dbt_project/macros/generated/codebook_columns.sql \
	dbt_project/macros/generated/indicator_catalog.sql
MACRO_INPUTS := orchestration/codebook/codebook.yaml $(wildcard dbt_project/definitions/*.yaml) \
	$(wildcard orchestration/codebook/*.py)

$(GENERATED_MACROS) &: $(VENV)/.synced $(MACRO_INPUTS)
	$(VENV)/bin/python -m orchestration.codebook.seeds --macros
	touch $(GENERATED_MACROS)

install: $(VENV)/.synced $(GENERATED_MACROS)

demo: install
	$(VENV)/bin/smesurvey demo

# Debian's chromium serves the browser tests; installed here, never by hand.
browser:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)

# Java runs the local Spark session of the Spark parity test (the `spark` extra).
java:
	@command -v java >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq openjdk-17-jre-headless >/dev/null)

# R's survey package is the reference the design-based variances are tested against
# (tests/estimation); Debian's packages, installed here, never by hand. Without the
# recommended packages (r-base-dev, r-recommended, r-doc-html: about 630 packages and a
# minute of a new machine's `make test`), but with MASS, which survey's calibrate() loads.
R_PACKAGES := r-base-core r-cran-survey r-cran-mass
r:
	@Rscript -e 'library(survey); library(MASS)' >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq --no-install-recommends $(R_PACKAGES) >/dev/null)

# strace records the files the dashboards build opens (tests/dashboards: the site reads
# the public release alone).
strace:
	@command -v strace >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq strace >/dev/null)

# The models and the singular data tests (the macros and generic tests render to
# nothing on their own; every model renders through them). Jinja templater: .sqlfluff.
SQLFLUFF_PATHS := dbt_project/models dbt_project/tests/singular

# The tests' temporary folders (homes, DuckDB files, Dagster's SQLite storage, dbt
# targets: gigabytes written and fsynced per run) on the RAM-backed /dev/shm where the
# machine has one: the same files and syscalls, without waiting on the disk.
TEST_TMPDIR := $(shell test -d /dev/shm -a -w /dev/shm && echo /dev/shm/smesurvey-tests)

# sqlfluff (about 46 CPU-s) runs beside pytest, not half a minute of its own before the
# tests. At the same priority: the suite is CPU-bound, so its CPU-seconds cost the same
# wall time wherever they fall, and at a lower one a machine loaded by other work starved
# it (nice 19 beside two busy processes: no CPU at all in 15 minutes, `make test` waiting).
# Its output follows pytest's; either failing fails `make test`.
test: install browser java r strace
	$(VENV)/bin/ruff check .
	@lint_log=$$(mktemp); \
	$(VENV)/bin/sqlfluff lint $(SQLFLUFF_PATHS) --processes 2 >$$lint_log 2>&1 & lint=$$!; \
	$(if $(TEST_TMPDIR),mkdir -p $(TEST_TMPDIR) && TMPDIR=$(TEST_TMPDIR)) $(VENV)/bin/pytest; tests=$$?; \
	wait $$lint; linted=$$?; \
	echo "sqlfluff lint $(SQLFLUFF_PATHS) (beside pytest): exit $$linted"; cat $$lint_log; rm -f $$lint_log; \
	test $$tests -eq 0 -a $$linted -eq 0

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/sqlfluff lint $(SQLFLUFF_PATHS) --processes 2

# Every generator of the project: files derived from the codebook and
# dbt_project/definitions/, committed (but the dbt macros, see GENERATED_MACROS), and checked current by
# tests/unit/test_generated_files_are_current.py (which reads this list).
# Each takes --check: exit 1 and one line naming the stale files.
GENERATORS := orchestration.codebook.seeds orchestration.quality.suites

generate: install
	@for module in $(GENERATORS); do $(VENV)/bin/python -m $$module || exit 1; done

bench: install
	$(VENV)/bin/smesurvey bench

clean:
	rm -rf $(VENV) $(TOOLS) data dbt_project/target dbt_project/logs
