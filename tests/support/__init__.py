"""Helpers and fixtures shared by several test folders (imported as `tests.support.*`)."""
