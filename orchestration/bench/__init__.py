"""`smesurvey bench`: the pipeline's stages timed on generated waves, against two baselines.

The parent (`runner.run_benchmark`) plans the layouts and starts one child process
per measured step (`python -m orchestration.bench.stage SPEC RESULT`, or dbt
itself), reading each child's peak RSS from `os.wait4`. `report.render` turns the
collected figures into docs/benchmarks.md.
"""
