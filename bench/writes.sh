#!/usr/bin/env bash
# Write and point-read benchmark: runs crates/cli/tests/bench.rs in release mode on SQLite and, when a
# server answers at CLIENTELE_TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test),
# on PostgreSQL. Knobs: BENCH_PRELOAD (5000), BENCH_SECONDS (5), BENCH_CONCURRENCY (16).
set -euo pipefail
cd "$(dirname "$0")/.."
run() {
    cargo test --release -q -p clientele --test bench -- --ignored --nocapture 2>&1 |
        grep -E '^(backend|\||skipped)' | grep -v '^| backend' || true
}
echo "| backend | operation | req/s | p50 ms | p99 ms |"
echo "|---|---|---|---|---|"
CLIENTELE_TEST_BACKEND=sqlite run
CLIENTELE_TEST_BACKEND=postgres run
