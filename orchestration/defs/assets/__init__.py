"""Assets: ingestion (raw_delivery), the dbt project, publish (analytics_db: a release)."""
