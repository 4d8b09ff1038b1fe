"""Benchmarks of docs/architecture.md#performance, run by ``make bench``: one JSON line per figure, ratios in one run."""
