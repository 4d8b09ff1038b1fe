"""Benchmarks (docs/architecture.md#performance), run by ``make bench``: one JSON line per figure,
ratios measured in one run."""
