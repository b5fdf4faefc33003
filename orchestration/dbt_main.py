"""`smesurvey-dbt`: dbt Core's own command line, with the collector of `smesurvey`.

The project runs dbt through this entry point (orchestration/dbt_command.py): every
build, parse and test of the pipeline, the benchmark and the tests. It adds nothing to
dbt's arguments or output; only the garbage collector is set (orchestration/gc_tuning.py),
which saves about a second of dbt's eight on a no-change build (docs/benchmarks.md).
"""

from __future__ import annotations

from orchestration.gc_tuning import large_heap_collector


def main() -> None:
    with large_heap_collector():
        from dbt.cli.main import cli

        cli()


if __name__ == "__main__":
    main()
