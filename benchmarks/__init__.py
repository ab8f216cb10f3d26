"""Benchmarks: scripts run as ``python benchmarks/NAME.py`` (docs/benchmarks.md)."""
