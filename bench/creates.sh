#!/usr/bin/env bash
# One tenant's creates on PostgreSQL against the raw floor of the same server, alternating in one
# window: `POST /v1/clients` through the release binary (wrk, CONNS connections, one API key, a
# pool of CONNS connections) and pgbench's single-row INSERTs, each its own durable transaction,
# from CONNS connections. Each round measures, in this order: the service with the URL
# parameters of each entry of MODES, then the raw INSERTs. Prints one line per measurement and
# the ratio of each mode's median to the raw median.
#
#   bench/creates.sh                                   # 3 rounds of 8 s, 32 connections
#   MODES="create_groups=0 create_groups=8" bench/creates.sh
#
# Environment: CONNS (32), DUR (8 s), RUNS (3), MODES (default: "create_groups=0 default"),
# BENCH_BIN (a clientele binary to use instead of building this tree's release binary),
# CLIENTELE_TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test). Uses the fresh
# databases clientele_bench_creates and clientele_bench_raw, dropped afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
conns="${CONNS:-32}"; dur="${DUR:-8}"; runs="${RUNS:-3}"
modes="${MODES:-create_groups=0 default}"
server="${CLIENTELE_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
bin="${BENCH_BIN:-target/release/clientele}"
work="$(mktemp -d)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
db="${server%/*}/clientele_bench_creates"
raw="${server%/*}/clientele_bench_raw"
server_pid=""
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    psql "$server" -qc "DROP DATABASE IF EXISTS clientele_bench_creates" \
        -c "DROP DATABASE IF EXISTS clientele_bench_raw" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
[ -n "${BENCH_BIN:-}" ] || cargo build --release -q -p clientele
psql "$server" -qc "DROP DATABASE IF EXISTS clientele_bench_creates" -c "CREATE DATABASE clientele_bench_creates" \
    -c "DROP DATABASE IF EXISTS clientele_bench_raw" -c "CREATE DATABASE clientele_bench_raw" >/dev/null 2>&1
psql "$raw" -qc "CREATE TABLE raw_clients (id TEXT COLLATE \"C\" PRIMARY KEY,
    tenant_id TEXT COLLATE \"C\" NOT NULL, name TEXT COLLATE \"C\" NOT NULL)" >/dev/null
echo "INSERT INTO raw_clients VALUES (gen_random_uuid()::text, 'bench', 'Raw ' || random());" >"$work/raw.sql"
"$bin" --database "$db" migrate >/dev/null 2>&1
"$bin" --database "$db" tenants create bench >/dev/null 2>&1
"$bin" --database "$db" keys create --tenant bench --permissions admin --rate-limit 1000000000/min \
    --name bench 2>/dev/null | tail -n 1 >"$work/key"
cat >"$work/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["X-API-Key"] = io.open("$work/key"):read("*l")
wrk.headers["Content-Type"] = "application/json"
local n = 0
request = function()
  n = n + 1
  return wrk.format(nil, nil, nil, string.format('{"name":"Bench Post %d AB","email":"post%d@bench.example","address":{"city":"Malmö","country":"SE"},"credit":{"limit":50000,"currency":"SEK"}}', n, n))
end
LUA
serve() { # URL parameters
    local url="$db?pool_size=$conns"
    [ "$1" != default ] && url="$url&$1"
    CLIENTELE_LOG_FORMAT=json RUST_LOG=warn CLIENTELE_RATE_LIMIT=1000000000/min \
        "$bin" serve --database "$url" --bind "127.0.0.1:$port" >>"$work/serve.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 1 100); do
        curl -s -o /dev/null "http://127.0.0.1:$port/healthz" && return 0
        sleep 0.1
    done
    echo "no answer from the server" >&2; cat "$work/serve.log" >&2; exit 1
}
stop() { kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""; }
wrk_rate() { # prints "req/s p50 p99", fails on non-2xx
    local out; out="$(wrk -t1 -c"$conns" -d"${dur}s" --latency -s "$work/post.lua" "http://127.0.0.1:$port/v1/clients")"
    if echo "$out" | grep -q 'Non-2xx'; then echo "$out" >&2; exit 1; fi
    echo "$(echo "$out" | awk '/Requests\/sec/ {print $2}') $(echo "$out" | awk '$1=="50%" {print $2}') $(echo "$out" | awk '$1=="99%" {print $2}')"
}
echo "# $(date -u +%FT%TZ) $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $conns connections, $dur s x $runs"
for r in $(seq 1 "$runs"); do
    for m in $modes; do
        serve "$m"
        wrk -t1 -c"$conns" -d2s -s "$work/post.lua" "http://127.0.0.1:$port/v1/clients" >/dev/null
        res="$(wrk_rate)"
        stop
        echo "$m $res" >>"$work/results"
        printf 'round %s %-18s POST /v1/clients %8.0f req/s  p50 %s  p99 %s  (load %s)\n' "$r" "$m" ${res} "$(cut -d' ' -f1 /proc/loadavg)"
    done
    tps="$(pgbench -n -c "$conns" -j 2 -T "$dur" -f "$work/raw.sql" "$raw" 2>/dev/null |
        sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -n 1)"
    echo "raw $tps" >>"$work/results"
    printf 'round %s %-18s raw INSERT        %8.0f tps    (load %s)\n' "$r" "pgbench" "$tps" "$(cut -d' ' -f1 /proc/loadavg)"
done
python3 - "$work/results" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
by = {}
for r in rows:
    by.setdefault(r[0], []).append(float(r[1]))
raw = statistics.median(by.pop("raw"))
print(f"median raw INSERT {raw:.0f} tps")
for m, v in by.items():
    med = statistics.median(v)
    print(f"median {m}: {med:.0f} creates/s = {med / raw:.2f} of raw")
PY
