"""Benchmarks of bakery_io's dump, load and validate against a floor and a naive baseline.

Run ``python -m bench --help`` from the repository root; see ``bench/README.md``.
"""
