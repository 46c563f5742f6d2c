# Sourced by the scripts that start `clientele serve` for a check (check-docs.sh,
# schemathesis.sh): stopping that server without ever waiting unbounded.

# stop_server PID: SIGTERM, then at most 10 s for a clean exit, then SIGKILL. No-op without a PID.
stop_server() {
    local pid=$1
    [[ -n "$pid" ]] || return 0
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
