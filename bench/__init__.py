"""Benchmarks that print tables; `python -m bench.api --help` lists the API benchmark's options."""
