#!/usr/bin/env bash
# Listing benchmark: seeds a tenant (once, kept in $BENCH_DIR) and prints p50/p99 latency of the
# list queries in bench/cases.tsv over HTTP on 127.0.0.1.
#
#   bench/run.sh                    # 1,000,000 clients (seeding takes a few minutes, once)
#   BENCH_BACKEND=postgres bench/run.sh               # the same on PostgreSQL
#   BENCH_COUNT=2000 BENCH_REQUESTS=20 bench/run.sh   # smoke run, seconds
#   BENCH_COLD=1 bench/run.sh       # every total counted afresh (the server's count cache off)
#
# Environment: BENCH_BACKEND (sqlite or postgres, default sqlite), BENCH_COUNT (clients, default
# 1000000), BENCH_REQUESTS (per case and count mode, default 300), BENCH_DIR (default
# target/bench), BENCH_PORT (default: a free port), CLIENTELE_TEST_POSTGRES_URL (the server for
# BENCH_BACKEND=postgres, default postgres://postgres@127.0.0.1:5432/test), BENCH_BIN (a clientele
# binary to measure instead of building target/release/clientele). The seeded data is
# kept for the next run: the SQLite file in BENCH_DIR, or the PostgreSQL database
# clientele_bench_COUNT (drop it with `dropdb`).
set -euo pipefail
cd "$(dirname "$0")/.."

count="${BENCH_COUNT:-1000000}"
requests="${BENCH_REQUESTS:-300}"
dir="${BENCH_DIR:-target/bench}"
# A free loopback port unless one is given.
port="${BENCH_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
backend="${BENCH_BACKEND:-sqlite}"
bin="${BENCH_BIN:-target/release/clientele}"

[ -n "${BENCH_BIN:-}" ] || cargo build --release -q -p clientele
mkdir -p "$dir"
export CLIENTELE_LOG_FORMAT=json RUST_LOG=warn
case "$backend" in
sqlite)
    db="$dir/bench-$count.db"
    url="sqlite://$db"
    size() { du -h "$db" | cut -f1; }
    if [ ! -s "$db" ]; then
        echo "# seeding $count clients into $db"
        "$bin" --database "$url" seed-demo --tenant bench --count "$count"
    fi
    ;;
postgres)
    pg_server="${CLIENTELE_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
    name="clientele_bench_$count"
    url="${pg_server%/*}/$name"
    size() { psql "$pg_server" -tAc "SELECT pg_size_pretty(pg_database_size('$name'))"; }
    # The marker is written only after a complete seed: an interrupted one is started again.
    marker="$dir/postgres-$count.seeded"
    if [ ! -f "$marker" ]; then
        echo "# seeding $count clients into PostgreSQL database $name"
        psql "$pg_server" -q -c "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name" 2>&1 |
            grep -v NOTICE || true
        "$bin" --database "$url" seed-demo --tenant bench --count "$count"
        psql "$url" -q -c "VACUUM ANALYZE"
        touch "$marker"
    fi
    ;;
*)
    echo "BENCH_BACKEND must be sqlite or postgres, not $backend" >&2
    exit 2
    ;;
esac
key="$("$bin" --database "$url" keys create --tenant bench --permissions clients:read \
    --rate-limit 1000000/min --name bench | tail -n 1)"

if [ "${BENCH_COLD:-0}" = 1 ]; then
    # No total is remembered: every count=true request pays for its total.
    export CLIENTELE_COUNT_CACHE=0
fi
"$bin" --database "$url" serve --bind "127.0.0.1:$port" >"$dir/serve.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
    kill -0 "$server" 2>/dev/null || { cat "$dir/serve.log"; exit 1; }
    if python3 -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$port/healthz', timeout=1)" 2>/dev/null; then
        break
    fi
    sleep 0.1
done

echo "# $(date -u +%FT%TZ) $(nproc) cores, $(uname -sr), $backend, db $(size), count cache ${CLIENTELE_COUNT_CACHE:-on}"
python3 bench/latency.py "http://127.0.0.1:$port" "$key" "$requests" bench/cases.tsv
