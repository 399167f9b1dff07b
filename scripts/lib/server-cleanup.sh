# Sourced by the suites that start a Parley server of their own
# (tests/clients/run.sh, tests/browser/run.sh, scripts/bench-smoke.sh).
#
# Before sourcing, set SUITE (a label for messages) and SERVER_DIR (the
# server's data directory, removed on exit); set SERVER_PID once the server
# runs. On exit, whatever the reason, the server is stopped; when the suite
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
