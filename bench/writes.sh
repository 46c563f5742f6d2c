#!/usr/bin/env bash
# Write and point-read benchmark: runs crates/cli/tests/bench.rs in release mode on SQLite and, when a
# server answers at CLIENTELE_TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test),
# on PostgreSQL, followed there by the floor of the same server: single-row INSERTs, each its own
# durable transaction, from as many pooled connections (pgbench, in a scratch database dropped
# afterwards). Knobs: BENCH_PRELOAD (5000), BENCH_SECONDS (5), BENCH_CONCURRENCY (16; also the
# PostgreSQL pool size unless BENCH_POOL_SIZE is set), BENCH_BACKENDS ("sqlite postgres": which
# to run), BENCH_BIN (another clientele binary to measure instead of this build's, e.g. a copy of
# the previous build, to compare two builds in one window), BENCH_PG_PARAMS (more parameters of
# the PostgreSQL URL, e.g. `create_groups=0` to write every create on its own).
set -euo pipefail
cd "$(dirname "$0")/.."
run() {
    cargo test --release -q -p clientele --test bench -- --ignored --nocapture 2>&1 |
        grep -E '^(backend|\||skipped)' | grep -v '^| backend' || true
}
echo "| backend | operation | req/s | p50 ms | p99 ms |"
echo "|---|---|---|---|---|"
for backend in ${BENCH_BACKENDS:-sqlite postgres}; do
    CLIENTELE_TEST_BACKEND="$backend" run
done

server="${CLIENTELE_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
conc="${BENCH_CONCURRENCY:-16}"
if command -v pgbench >/dev/null && psql "$server" -qtAc "SELECT 1" >/dev/null 2>&1; then
    raw="clientele_bench_raw"
    raw_url="${server%/*}/$raw"
    script="$(mktemp)"
    trap 'rm -f "$script"; psql "$server" -qc "DROP DATABASE IF EXISTS $raw" >/dev/null 2>&1 || true' EXIT
    psql "$server" -qc "DROP DATABASE IF EXISTS $raw" -c "CREATE DATABASE $raw" >/dev/null
    psql "$raw_url" -qc "CREATE TABLE raw_clients (id TEXT COLLATE \"C\" PRIMARY KEY,
        tenant_id TEXT COLLATE \"C\" NOT NULL, name TEXT COLLATE \"C\" NOT NULL)" >/dev/null
    echo "INSERT INTO raw_clients VALUES (gen_random_uuid()::text, 'bench', 'Raw ' || random());" >"$script"
    tps="$(pgbench -n -c "$conc" -j 2 -T "${BENCH_SECONDS:-5}" -f "$script" "$raw_url" 2>/dev/null |
        sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -n 1)"
    printf '| postgres | raw INSERT, one row per transaction (pgbench -c %s) | %.0f | | |\n' "$conc" "$tps"
fi
