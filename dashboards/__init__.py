"""Plotly dashboards: pure figure builders and the static site builder."""
