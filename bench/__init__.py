"""Benchmark of the weekly INS batch at scale: synthetic farm sets, real Airflow runs, measured results.

``python -m bench`` (``make bench``) runs it; see docs/performance.md.
"""
