"""sktransfer's benchmarks: one module per study, one harness, one entry point.

Run from the project root (see ``python -m benchmarks`` for the commands and
``benchmarks/results/README.md`` for what the committed results show).
"""
