#!/usr/bin/env bash
# Listing benchmark: seeds a tenant (once, kept in $BENCH_DIR) and prints p50/p99 latency of the
# list queries in bench/cases.tsv over HTTP on 127.0.0.1.
#
#   bench/run.sh                    # 1,000,000 clients (seeding takes a few minutes, once)
#   BENCH_COUNT=2000 BENCH_REQUESTS=20 bench/run.sh   # smoke run, seconds
#
# Environment: BENCH_COUNT (clients, default 1000000), BENCH_REQUESTS (per case and count mode,
# default 300), BENCH_DIR (default target/bench), BENCH_PORT (default: a free port).
set -euo pipefail
cd "$(dirname "$0")/.."

count="${BENCH_COUNT:-1000000}"
requests="${BENCH_REQUESTS:-300}"
dir="${BENCH_DIR:-target/bench}"
# A free loopback port unless one is given.
port="${BENCH_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
db="$dir/bench-$count.db"
bin=target/release/clientele

cargo build --release -q -p clientele
mkdir -p "$dir"
export CLIENTELE_LOG_FORMAT=json RUST_LOG=warn
if [ ! -s "$db" ]; then
    echo "# seeding $count clients into $db"
    "$bin" --database "sqlite://$db" seed-demo --tenant bench --count "$count"
fi
key="$("$bin" --database "sqlite://$db" keys create --tenant bench --permissions clients:read \
    --rate-limit 1000000/min --name bench | tail -n 1)"

"$bin" --database "sqlite://$db" serve --bind "127.0.0.1:$port" >"$dir/serve.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
    kill -0 "$server" 2>/dev/null || { cat "$dir/serve.log"; exit 1; }
    if python3 -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$port/healthz', timeout=1)" 2>/dev/null; then
        break
    fi
    sleep 0.1
done

echo "# $(date -u +%FT%TZ) $(nproc) cores, $(uname -sr), db $(du -h "$db" | cut -f1)"
python3 bench/latency.py "http://127.0.0.1:$port" "$key" "$requests" bench/cases.tsv
