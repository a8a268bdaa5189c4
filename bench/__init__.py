"""Benchmarks that measure the engine against its anchors, with ratios measured side by side.

Run ``python -m bench`` (``--quick`` for the smoke version, ``--only NAME`` for one benchmark,
``--profile`` to see where the time goes).  Each benchmark is one module listed in
``bench.runner.BENCHMARK_MODULES``; see ``bench.figures`` for what a benchmark returns.
"""
