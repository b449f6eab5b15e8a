"""Benchmarks: each prints its figures beside its target. Run all with `make bench`."""
