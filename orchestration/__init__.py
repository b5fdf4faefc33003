"""smesurvey orchestration: codebook, ingestion, quality gate, Dagster code location, CLI."""
