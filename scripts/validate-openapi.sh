#!/usr/bin/env bash
# Validates the OpenAPI document printed by `clientele openapi` with openapi-spec-validator
# (installed with pip when missing). Writes the document to target/openapi.json.
#
# Usage: scripts/validate-openapi.sh [path/to/clientele]   (default: target/debug/clientele)
set -euo pipefail

BIN=${1:-target/debug/clientele}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT="$ROOT/target/openapi.json"

fail() {
    echo "validate-openapi: FAIL: $*" >&2
    exit 1
}

[[ -x "$BIN" ]] || fail "no executable clientele at $BIN (build it first: cargo build)"
command -v python3 >/dev/null 2>&1 || fail "python3 is not installed"
if ! python3 -c "import openapi_spec_validator" 2>/dev/null; then
    echo "validate-openapi: installing openapi-spec-validator with pip" >&2
    python3 -m pip install --quiet openapi-spec-validator ||
        fail "could not install openapi-spec-validator"
fi

mkdir -p "$(dirname "$OUT")"
"$BIN" openapi >"$OUT" || fail "'$BIN openapi' exited non-zero"

python3 - "$OUT" <<'PY' || fail "target/openapi.json is not a valid OpenAPI document (see above)"
import json
import sys

import openapi_spec_validator as osv

path = sys.argv[1]
with open(path, encoding="utf-8") as f:
    doc = json.load(f)
try:
    # openapi-spec-validator >= 0.6 has `validate`; older releases only `validate_spec`.
    (getattr(osv, "validate", None) or osv.validate_spec)(doc)
except Exception as e:  # the validator raises its own ValidationError subclasses
    print(f"validate-openapi: {type(e).__name__}: {e}", file=sys.stderr)
    sys.exit(1)
version = doc.get("openapi", "?")
paths = len(doc.get("paths", {}))
schemas = len(doc.get("components", {}).get("schemas", {}))
print(f"validate-openapi: OK: OpenAPI {version}, {paths} paths, {schemas} schemas")
PY
