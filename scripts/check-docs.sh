#!/usr/bin/env bash
# Checks that /docs renders the OpenAPI document in Swagger UI with no network access beyond the
# server itself: starts `clientele serve` on a scratch SQLite database and a free port, loads
# /docs/ in headless Chromium (every host name except 127.0.0.1 made unresolvable), and checks the
# rendered DOM. Saves a screenshot to target/docs-screenshot.png.
#
# Usage: scripts/check-docs.sh [path/to/clientele]   (default: target/debug/clientele)
# Builds nothing; needs chromium and curl.
set -euo pipefail

BIN=${1:-target/debug/clientele}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT_DIR="$ROOT/target"
SCREENSHOT="$OUT_DIR/docs-screenshot.png"
WAIT_SECONDS=10

fail() {
    echo "check-docs: FAIL: $*" >&2
    exit 1
}

[[ -x "$BIN" ]] || fail "no executable clientele at $BIN (build it first: cargo build)"
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
command -v chromium >/dev/null 2>&1 ||
    fail "chromium is not installed (Debian: apt-get install -y chromium)"
command -v curl >/dev/null 2>&1 || fail "curl is not installed"

# shellcheck source=lib/server.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/server.sh"
WORK=$(mktemp -d)
SERVER_PID=""
cleanup() {
    stop_server "$SERVER_PID"
    rm -rf "$WORK"
}
trap cleanup EXIT

# Start the server on a fresh database and a port the kernel picks; it prints the port.
# The output files exist before the server starts, so polling them never races their creation.
: >"$WORK/serve.out"
: >"$WORK/serve.err"
env -u CLIENTELE_BIND -u CLIENTELE_DATABASE_URL -u DATABASE_URL \
    "$BIN" --database "sqlite://$WORK/docs.db" serve --bind 127.0.0.1:0 \
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
BASE="http://127.0.0.1:$PORT"

HEALTHY=""
for _ in $(seq $((WAIT_SECONDS * 20))); do
    if curl -fsS --max-time 2 "$BASE/healthz" >/dev/null 2>&1; then
        HEALTHY=1
        break
    fi
    sleep 0.05
done
[[ -n "$HEALTHY" ]] || fail "$BASE/healthz did not answer 200 within ${WAIT_SECONDS}s"

# The page is served with its Content-Security-Policy and frame protection, so the rendering
# checked below is the rendering under that policy.
HEADERS=$(curl -fsS --max-time 5 -D - -o /dev/null "$BASE/docs/") || fail "GET /docs/ failed"
grep -qi "^content-security-policy:.*script-src 'self'" <<<"$HEADERS" ||
    fail "/docs/ has no Content-Security-Policy restricting scripts"
grep -qi "^content-security-policy:.*frame-ancestors 'none'" <<<"$HEADERS" ||
    fail "/docs/ does not forbid framing (frame-ancestors)"
grep -qi "^x-frame-options: *DENY" <<<"$HEADERS" || fail "/docs/ has no X-Frame-Options: DENY"

# The page and its initializer must name no other host: everything is served by clientele.
for asset in /docs/ /docs/swagger-initializer.js; do
    curl -fsS --max-time 5 "$BASE$asset" >"$WORK/asset" || fail "GET $asset failed"
    if grep -Eo 'https?://[^"'"'"' )<>]+' "$WORK/asset" | grep -Ev '^https?://127\.0\.0\.1([:/]|$)' >"$WORK/external"; then
        fail "$asset references an external URL: $(head -n 3 "$WORK/external" | tr '\n' ' ')"
    fi
done

# Every host except 127.0.0.1 is unresolvable, so a CDN reference would fail to load.
chromium_run() {
    timeout 90 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --disable-dev-shm-usage \
        --host-resolver-rules="MAP * ~NOTFOUND , EXCLUDE 127.0.0.1" \
        --user-data-dir="$(mktemp -d -p "$WORK")" \
        --virtual-time-budget=10000 "$@" 2>>"$WORK/chromium.err"
}

chromium_run --dump-dom "$BASE/docs/" >"$WORK/dom.html" ||
    fail "chromium --dump-dom failed: $(tail -n 5 "$WORK/chromium.err")"

DOM="$WORK/dom.html"
grep -q 'class="swagger-ui' "$DOM" || fail "the DOM has no Swagger UI root: the viewer did not start"
grep -q 'Clientele API' "$DOM" || fail "the DOM lacks the title 'Clientele API': the spec was not rendered"
grep -q 'opblock' "$DOM" || fail "the DOM has no operation blocks (opblock): the spec was not rendered"
grep -q '/v1/clients' "$DOM" || fail "the DOM does not show /v1/clients"
if grep -qi 'Failed to load API definition' "$DOM"; then
    fail "Swagger UI reports 'Failed to load API definition'"
fi
# Anything the rendered page loads (scripts, stylesheets, images) must come from the server.
if grep -Eo '<(script|img|iframe)[^>]* src="https?://[^"]*"|<link[^>]* href="https?://[^"]*"' "$DOM" |
    grep -Ev '"https?://127\.0\.0\.1[:/"]' >"$WORK/external"; then
    fail "the rendered page loads an external resource: $(head -n 3 "$WORK/external" | tr '\n' ' ')"
fi

mkdir -p "$OUT_DIR"
rm -f "$SCREENSHOT"
(cd "$WORK" && chromium_run --window-size=1280,2000 --screenshot="$SCREENSHOT" "$BASE/docs/" >/dev/null) ||
    fail "chromium --screenshot failed: $(tail -n 5 "$WORK/chromium.err")"
[[ -s "$SCREENSHOT" ]] || fail "no screenshot was written to $SCREENSHOT"

OPS=$(grep -o 'class="opblock opblock-' "$DOM" | wc -l)
echo "check-docs: OK: /docs rendered 'Clientele API' with $OPS operations, offline; screenshot at ${SCREENSHOT#"$ROOT"/}"
