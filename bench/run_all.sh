#!/usr/bin/env bash
# Every benchmark at its default (small) size, one after the other; a few minutes in all.
# Uses DATABASE_URL / REDIS_URL when both are set, else embedded servers (see bench/common.py).
# Extra arguments are ignored; run a single benchmark with its own flags for larger sizes
# (docs/benchmarks.md lists them).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
for bench in ingest_bench read_bench roi_bench ladder_bench otlp_bench reprice_bench; do
    echo "== bench.${bench}"
    "$PY" -m "bench.${bench}"
    echo
done
