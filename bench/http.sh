#!/usr/bin/env bash
# Throughput benchmark of the hot paths with wrk over HTTP on 127.0.0.1: the point read at rising
# concurrency (the sweep), lists and search at 32 connections, the same one connection at a time
# (latency), and the resident memory of the server after the load.
#
#   bench/http.sh                                   # SQLite, 100,000 clients
#   BENCH_COUNT=1000000 bench/http.sh               # 1,000,000 clients
#   BENCH_BACKEND=postgres bench/http.sh            # the same on PostgreSQL
#
# Environment: BENCH_BACKEND (sqlite or postgres, default sqlite), BENCH_COUNT (clients, default
# 100000), BENCH_BIN (a clientele binary to measure instead of building target/release/clientele),
# BENCH_SECONDS (per wrk run, default 8), BENCH_SWEEP (connection counts of the point
# read sweep, default "1 8 32 64 128 256"), BENCH_DIR (default target/bench), BENCH_PORT
# (default: a free port), CLIENTELE_TEST_POSTGRES_URL (the server for BENCH_BACKEND=postgres,
# default postgres://postgres@127.0.0.1:5432/test). wrk is installed (Debian package) when
# missing. The seeded data is kept for the next run: the SQLite file in BENCH_DIR, or the
# PostgreSQL database clientele_http_COUNT (drop it with `dropdb`).
set -euo pipefail
cd "$(dirname "$0")/.."

count="${BENCH_COUNT:-100000}"
secs="${BENCH_SECONDS:-8}"
sweep="${BENCH_SWEEP:-1 8 32 64 128 256}"
dir="${BENCH_DIR:-target/bench}"
port="${BENCH_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
backend="${BENCH_BACKEND:-sqlite}"
bin="${BENCH_BIN:-target/release/clientele}"

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
[ -n "${BENCH_BIN:-}" ] || cargo build --release -q -p clientele
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
export CLIENTELE_LOG_FORMAT=json RUST_LOG=warn
case "$backend" in
sqlite)
    db="$dir/http-$count.db"
    url="sqlite://$db"
    if [ ! -s "$db" ]; then
        echo "# seeding $count clients into $db"
        "$bin" --database "$url" seed-demo --tenant bench --count "$count" >/dev/null
    fi
    ids_sql() { python3 -c "import sqlite3,sys; [print(r[0]) for r in sqlite3.connect(sys.argv[1]).execute('select id from clients order by random() limit 20000')]" "$db"; }
    ;;
postgres)
    pg_server="${CLIENTELE_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
    name="clientele_http_$count"
    url="${pg_server%/*}/$name"
    # The marker is written only after a complete seed: an interrupted one is started again.
    marker="$dir/postgres-http-$count.seeded"
    if [ ! -f "$marker" ]; then
        echo "# seeding $count clients into PostgreSQL database $name"
        psql "$pg_server" -q -c "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name" 2>&1 |
            grep -v NOTICE || true
        "$bin" --database "$url" seed-demo --tenant bench --count "$count" >/dev/null
        psql "$url" -q -c "VACUUM ANALYZE"
        touch "$marker"
    fi
    ids_sql() { psql "$url" -tAc "select id from clients order by random() limit 20000"; }
    ;;
*)
    echo "BENCH_BACKEND must be sqlite or postgres, not $backend" >&2
    exit 2
    ;;
esac
key="$("$bin" --database "$url" keys create --tenant bench --permissions clients:read \
    --rate-limit 1000000000/min --name http-bench | tail -n 1)"
ids_sql >"$dir/http-ids.txt"

cat >"$dir/http-get.lua" <<LUA
local ids = {}
for l in io.lines("$dir/http-ids.txt") do ids[#ids + 1] = l end
math.randomseed(12345)
wrk.headers["X-API-Key"] = "$key"
request = function() return wrk.format("GET", "/v1/clients/" .. ids[math.random(1, #ids)]) end
LUA
cat >"$dir/http-path.lua" <<LUA
wrk.headers["X-API-Key"] = "$key"
LUA

"$bin" --database "$url" serve --bind "127.0.0.1:$port" >"$dir/http-serve.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
    kill -0 "$server" 2>/dev/null || { cat "$dir/http-serve.log"; exit 1; }
    curl -s -o /dev/null "http://127.0.0.1:$port/healthz" && break
    sleep 0.1
done
base="http://127.0.0.1:$port"

# wrk CONNECTIONS LUA PATH -> "req/s p50 p99" (exits on any non-2xx answer)
run() {
    local out
    out=$(wrk -t1 -c"$1" -d"${secs}s" --latency -s "$2" "$base$3")
    if echo "$out" | grep -q 'Non-2xx'; then
        echo "non-2xx answers from $3: $(echo "$out" | grep Non-2xx)" >&2
        exit 1
    fi
    echo "$out" | awk '/Requests\/sec/ {r=$2} $1=="50%" {p50=$2} $1=="99%" {p99=$2} END {print r, p50, p99}'
}
rss() { awk '/VmRSS/ {printf "%.0f MiB", $2/1024}' "/proc/$server/status"; }
hwm() { awk '/VmHWM/ {printf "%.0f MiB", $2/1024}' "/proc/$server/status"; }

echo "# $(date -u +%FT%TZ) $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $backend, $count clients, wrk -t1 ${secs}s per run"
wrk -t1 -c32 -d2s -s "$dir/http-get.lua" "$base/" >/dev/null
echo "## GET /v1/clients/{id}, connection sweep"
printf '%-12s %10s %9s %9s\n' connections "req/s" p50 p99
for c in $sweep; do
    read -r r p50 p99 < <(run "$c" "$dir/http-get.lua" /)
    printf '%-12s %10s %9s %9s\n' "$c" "$r" "$p50" "$p99"
done
echo "## lists and search"
printf '%-48s %10s %9s %9s | %9s %9s\n' case "req/s c32" p50 p99 "p50 c1" "p99 c1"
while IFS=$'\t' read -r label path; do
    wrk -t1 -c8 -d1s -s "$dir/http-path.lua" "$base$path" >/dev/null
    read -r r p50 p99 < <(run 32 "$dir/http-path.lua" "$path")
    read -r _ s50 s99 < <(run 1 "$dir/http-path.lua" "$path")
    printf '%-48s %10s %9s %9s | %9s %9s\n' "$label" "$r" "$p50" "$p99" "$s50" "$s99"
done <<'CASES'
default list	/v1/clients
search, common word (andersson)	/v1/clients?search=andersson
search, common word (bygg)	/v1/clients?search=bygg
status+country, sort -updated_at	/v1/clients?status=active&country=SE&sort=-updated_at
CASES
echo "## memory: resident now $(rss), peak $(hwm)"
