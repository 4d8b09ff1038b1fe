"""Benchmarks of DESIGN §8, run by ``make bench``: one JSON line per figure, ratios in one run."""
