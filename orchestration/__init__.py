"""smesurvey: the orchestration layer (codebook, ingestion, quality gate, Dagster code location, CLI)."""
