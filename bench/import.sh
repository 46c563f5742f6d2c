#!/usr/bin/env bash
# Bulk import/export benchmark (docs/performance.md, "Bulk import and export"): end-to-end runs
# of the release binary, each timed with its peak resident memory (/usr/bin/time):
#   1. the source: `clientele seed-demo` of BENCH_COUNT clients into target/bench/import-src.db
#      (made once, kept; about 5-6 minutes for 1,000,000 on an idle machine);
#   2. export of the source to NDJSON (and to CSV) on SQLite;
#   3. import of that NDJSON into an empty tenant of a new SQLite file;
#   4. the same import into a new PostgreSQL database (when one answers at
#      CLIENTELE_TEST_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/test), then its
#      export; the database is dropped at the end.
# Knobs: BENCH_COUNT (1000000). Files live in target/bench/ and are removed at the end, except
# the source database.
set -euo pipefail
cd "$(dirname "$0")/.."

COUNT="${BENCH_COUNT:-1000000}"
PG_SERVER="${CLIENTELE_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
DIR=target/bench
BIN=target/release/clientele
SRC="$DIR/import-src-$COUNT.db"
DATA="$DIR/import-$COUNT.ndjson"
DST="$DIR/import-dst-$COUNT.db"
PG_DB="clientele_import_bench_$$"
mkdir -p "$DIR"

cargo build --release -q -p clientele
for var in $(env | grep -o '^CLIENTELE_[A-Z_]*' || true); do unset "$var"; done
unset DATABASE_URL

# Runs a command under /usr/bin/time; prints "<label>: <seconds> s, <peak RSS> MiB".
measure() {
    local label="$1"
    shift
    local stats
    stats="$(mktemp)"
    /usr/bin/time -f '%e %M' -o "$stats" "$@"
    read -r secs kib <"$stats"
    rm -f "$stats"
    printf '%-44s %8s s  %6d MiB peak RSS\n' "$label" "$secs" "$((kib / 1024))" >&2
}

cleanup() {
    rm -f "$DATA" "$DATA.csv" "$DST" "$DST-wal" "$DST-shm"
    if [[ -n "${PG_CREATED:-}" ]]; then
        psql -q "$PG_SERVER" -c "DROP DATABASE IF EXISTS $PG_DB" >/dev/null 2>&1 || true
    fi
}
trap cleanup EXIT

echo "# $(date -u +%FT%TZ), $COUNT clients, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
if [[ ! -f "$SRC" ]]; then
    "$BIN" --database "sqlite://$SRC" seed-demo --tenant bench --count "$COUNT" --quiet >&2
fi

measure "export SQLite → NDJSON" sh -c "'$BIN' --database 'sqlite://$SRC' export --tenant bench --format ndjson > '$DATA'"
measure "export SQLite → CSV" sh -c "'$BIN' --database 'sqlite://$SRC' export --tenant bench --format csv > '$DATA.csv'"
echo "  NDJSON $(wc -l <"$DATA") lines, $(($(stat -c %s "$DATA") / 1048576)) MiB; CSV $(($(stat -c %s "$DATA.csv") / 1048576)) MiB" >&2

rm -f "$DST" "$DST-wal" "$DST-shm"
"$BIN" --database "sqlite://$DST" tenants create copy >/dev/null
measure "import NDJSON → SQLite (empty tenant)" "$BIN" --database "sqlite://$DST" import "$DATA" --tenant copy
rm -f "$DST" "$DST-wal" "$DST-shm"
"$BIN" --database "sqlite://$DST" tenants create copy >/dev/null
measure "import CSV → SQLite (empty tenant)" "$BIN" --database "sqlite://$DST" import "$DATA.csv" --tenant copy
measure "import NDJSON again, --mode upsert (unchanged)" "$BIN" --database "sqlite://$DST" import "$DATA" --tenant copy --mode upsert

if psql -q "$PG_SERVER" -c "CREATE DATABASE $PG_DB" >/dev/null 2>&1; then
    PG_CREATED=1
    PG_URL="${PG_SERVER%/*}/$PG_DB"
    "$BIN" --database "$PG_URL" tenants create copy >/dev/null
    measure "import NDJSON → PostgreSQL (empty tenant)" "$BIN" --database "$PG_URL" import "$DATA" --tenant copy
    measure "export PostgreSQL → NDJSON" sh -c "'$BIN' --database '$PG_URL' export --tenant copy --format ndjson > /dev/null"
else
    echo "skipped PostgreSQL: no server at $PG_SERVER" >&2
fi
