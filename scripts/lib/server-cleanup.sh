# Sourced by the suites that start a Parley server of their own
# (tests/clients/run.sh, tests/browser/run.sh, scripts/bench-smoke.sh).
#
# Before sourcing, set SUITE (a label for messages) and SERVER_DIR (the
# server's data directory, removed on exit); set SERVER_PID once the server
# runs (parley_start_retrying below does it). On exit, whatever the reason,
# the server is stopped; when the suite
# failed, the end of "$SERVER_DIR/server.log" is printed first.

SERVER_PID="${SERVER_PID:-}"

parley_cleanup() {
    local status=$?
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    if [ "$status" -ne 0 ] && [ -f "$SERVER_DIR/server.log" ]; then
        echo "== $SUITE: last lines of the server log ($status)"
        tail -n 40 "$SERVER_DIR/server.log" || true
    fi
    rm -rf "$SERVER_DIR"
    exit "$status"
}
trap parley_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Calls the suite's `start_server` (which sets SERVER_PID and waits for the
# server to answer) up to three times: a free port can be taken between
# probing and binding. Before a retry, calls `before_retry` if the suite has one.
parley_start_retrying() {
    local attempt
    for attempt in 1 2 3; do
        if start_server; then
            return 0
        fi
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=""
        if [ "$attempt" -eq 3 ]; then
            echo "== $SUITE: parley did not start" >&2
            cat "$SERVER_DIR/server.log" >&2 || true
            exit 1
        fi
        if declare -F before_retry >/dev/null; then
            before_retry
        fi
    done
}
