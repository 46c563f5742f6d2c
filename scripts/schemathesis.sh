#!/usr/bin/env bash
# Runs Schemathesis against the OpenAPI document the server itself serves (/openapi.json): it
# starts `clientele serve` on a scratch SQLite database and a free port, takes the admin API key
# the first start prints, and runs every phase (examples, coverage, fuzzing, stateful) with every
# check, a fixed seed and a time budget. Any failure fails the script. Installs Schemathesis
# (pinned) into a virtual environment under target/ when it is not there yet.
#
# Usage: scripts/schemathesis.sh [path/to/clientele]   (default: target/debug/clientele)
# Environment: SCHEMATHESIS_MAX_TIME (seconds, default 240), SCHEMATHESIS_SEED (default 19),
# SCHEMATHESIS_ARGS (extra arguments, e.g. "--include-path-regex ^/v1/clients$"),
# SCHEMATHESIS_SCOPE (which operations; default all, e.g. "--include-tag-regex ^dialect").
# Reports: target/schemathesis/ (JUnit XML, and the server's log).
set -euo pipefail

SCHEMATHESIS_VERSION=4.32.5
BIN=${1:-target/debug/clientele}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV="$ROOT/target/schemathesis-venv"
REPORTS="$ROOT/target/schemathesis"
MAX_TIME=${SCHEMATHESIS_MAX_TIME:-240}
SEED=${SCHEMATHESIS_SEED:-19}
WAIT_SECONDS=20

fail() {
    echo "schemathesis: FAIL: $*" >&2
    exit 1
}

[[ -x "$BIN" ]] || fail "no executable clientele at $BIN (build it first: cargo build)"
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
command -v python3 >/dev/null 2>&1 || fail "python3 is not installed"

if [[ "$("$VENV/bin/schemathesis" --version 2>/dev/null)" != *"$SCHEMATHESIS_VERSION"* ]]; then
    echo "schemathesis: installing schemathesis==$SCHEMATHESIS_VERSION into $VENV" >&2
    rm -rf "$VENV"
    python3 -m venv "$VENV" || fail "python3 -m venv failed (Debian: apt-get install python3-venv)"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
        "schemathesis==$SCHEMATHESIS_VERSION" || fail "could not install schemathesis"
fi

# shellcheck source=lib/server.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/server.sh"
WORK=$(mktemp -d)
SERVER_PID=""
cleanup() {
    stop_server "$SERVER_PID"
    mkdir -p "$REPORTS"
    cp "$WORK/serve.err" "$REPORTS/server.log" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

# A fresh database: the first start creates tenant `default` and prints its admin key. The rate
# limit is raised so that the run measures the contract, not the limiter (429 is still declared).
: >"$WORK/serve.out"
: >"$WORK/serve.err"
# A JWT secret too: seed 001's routes need a token beside the key (both of tenant `default`).
JWT_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
env -u CLIENTELE_BIND -u CLIENTELE_DATABASE_URL -u DATABASE_URL -u CLIENTELE_JWT_PUBLIC_KEY \
    -u CLIENTELE_REDIS_URL CLIENTELE_JWT_SECRET="$JWT_SECRET" \
    CLIENTELE_RATE_LIMIT=1000000/min CLIENTELE_MAX_KEY_RATE_LIMIT=4294967295/s \
    CLIENTELE_LOG_FORMAT=json \
    "$BIN" --database "sqlite://$WORK/schemathesis.db" serve --bind 127.0.0.1:0 \
    >"$WORK/serve.out" 2>"$WORK/serve.err" &
SERVER_PID=$!

PORT=""
for _ in $(seq $((WAIT_SECONDS * 20))); do
    PORT=$(sed -n 's#^listening on http://127\.0\.0\.1:\([0-9]*\)$#\1#p' "$WORK/serve.out")
    [[ -n "$PORT" ]] && break
    kill -0 "$SERVER_PID" 2>/dev/null ||
        fail "clientele serve exited early: $(tail -n 5 "$WORK/serve.err")"
    sleep 0.05
done
[[ -n "$PORT" ]] || fail "clientele serve printed no 'listening on' line within ${WAIT_SECONDS}s"
KEY=$(sed -n '/admin API key/{n;p;}' "$WORK/serve.out")
[[ -n "$KEY" ]] || fail "clientele serve printed no admin key"
BASE="http://127.0.0.1:$PORT"
# An HS256 token for tenant `default` with `admin`, valid for the run (standard library only).
TOKEN=$(JWT_SECRET="$JWT_SECRET" python3 -c '
import base64, hashlib, hmac, json, os, time
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
claims = {"sub": "schemathesis", "tenant": "default", "exp": int(time.time()) + 3600,
          "permissions": ["admin"]}
body = b64(json.dumps(claims).encode())
sig = hmac.new(os.environ["JWT_SECRET"].encode(), f"{head}.{body}".encode(), hashlib.sha256)
print(f"{head}.{body}.{b64(sig.digest())}")
')

mkdir -p "$REPORTS"
# Schemathesis keeps a cache (`.schemathesis/`, replayed crashes) in its working directory: the
# scratch directory, so every run starts from the same state.
cd "$WORK"
echo "schemathesis: $BASE/openapi.json, seed $SEED, at most ${MAX_TIME}s" >&2
# One worker: with two, CPython 3.11 intermittently fails inside Schemathesis with "AST
# constructor recursion depth mismatch" (compile() racing between threads), an error of the
# tool, not of the service.
# shellcheck disable=SC2086 # SCHEMATHESIS_ARGS is a list of arguments on purpose.
timeout $((MAX_TIME + 120)) "$VENV/bin/schemathesis" \
    --config-file "$ROOT/scripts/schemathesis.toml" run "$BASE/openapi.json" \
    --url "$BASE" \
    --header "X-API-Key: $KEY" \
    --header "Authorization: Bearer $TOKEN" \
    --header "tenant: default" \
    --generation-with-security-parameters false \
    --phases examples,coverage,fuzzing,stateful \
    --mode all \
    --seed "$SEED" \
    ${SCHEMATHESIS_SCOPE:-} \
    --max-time "$MAX_TIME" \
    --workers 1 \
    --request-timeout 10 \
    --no-color \
    --report junit --report-junit-path "$REPORTS/junit.xml" \
    ${SCHEMATHESIS_ARGS:-} ||
    fail "Schemathesis found the document and the service disagreeing (see above; reports in $REPORTS)"
echo "schemathesis: OK" >&2
