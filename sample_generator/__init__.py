"""Seeded sample inbox of invented member submissions: for the demo, tests and benchmarks."""

from sample_generator.generator import generate_sample, main

__all__ = ["generate_sample", "main"]
