"""The Dagster code location, split by concern (assets, partitions, resources, schedules,
sensors, checks, jobs); `orchestration.definitions` assembles it lazily."""
