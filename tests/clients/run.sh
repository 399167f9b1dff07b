#!/usr/bin/env bash
# The real-client suite: Mastodon.py and toot against a running Parley.
#
#   bash tests/clients/run.sh [pytest args...]
#
# Creates target/clients-venv (reused across runs; reinstalled only when
# tests/clients/requirements.txt changes), builds the binary, starts
# `parley serve` on a free loopback port with a fresh data directory, runs
# pytest against it and stops the server whatever happens.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"

# The server under test starts from its defaults (open registrations on
# loopback, no password grant): drop any PARLEY_* settings from the caller.
while IFS= read -r var; do
    unset "$var"
done < <(compgen -e | grep '^PARLEY_' || true)

VENV="$ROOT/target/clients-venv"
REQS="$ROOT/tests/clients/requirements.txt"
STAMP="$VENV/.requirements.sha256"

# ---- Python clients -------------------------------------------------------
pick_python() {
    for candidate in "${PYTHON:-}" python3.11 python3; do
        if [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1; then
            echo "$candidate"
            return
        fi
    done
    echo "run.sh: no python3 found" >&2
    exit 1
}

want="$(sha256sum "$REQS" | cut -d' ' -f1)"
have="$(cat "$STAMP" 2>/dev/null || true)"
if [ ! -x "$VENV/bin/python" ]; then
    py="$(pick_python)"
    echo "== clients: creating $VENV with $($py --version 2>&1)"
    mkdir -p "$ROOT/target"
    "$py" -m venv --clear "$VENV"
    have=""
fi
if [ "$want" != "$have" ]; then
    echo "== clients: installing $(grep -v '^#' "$REQS" | tr '\n' ' ')"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQS"
    echo "$want" > "$STAMP"
else
    echo "== clients: $VENV is up to date"
fi

# ---- Server ---------------------------------------------------------------
echo "== clients: building parley"
cargo build -p parley
# Where cargo put it: CARGO_TARGET_DIR when set (a worktree with its own target dir).
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/parley"

DATA_DIR="$(mktemp -d "${TMPDIR:-/tmp}/parley-clients.XXXXXX")"
SUITE=clients
SERVER_DIR="$DATA_DIR"
# shellcheck source=../../scripts/lib/server-cleanup.sh
source "$ROOT/scripts/lib/server-cleanup.sh"

free_port() {
    "$VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

start_server() {
    PORT="$(free_port)"
    URL="http://127.0.0.1:$PORT"
    "$BIN" serve --data-dir "$DATA_DIR/db" --listen "127.0.0.1:$PORT" >"$DATA_DIR/server.log" 2>&1 &
    SERVER_PID=$!
    # Wait for /api/v1/instance (at most 30 s); give up early if the server died.
    "$VENV/bin/python" - "$URL" "$SERVER_PID" <<'PY'
import os, sys, time, urllib.request
url, pid = sys.argv[1], int(sys.argv[2])
deadline = time.monotonic() + 30
while time.monotonic() < deadline:
    try:
        with open(f"/proc/{pid}/stat") as f:
            exited = f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except OSError:
        exited = True
    if exited:
        sys.exit("parley exited before answering")
    try:
        with urllib.request.urlopen(url + "/api/v1/instance", timeout=2) as r:
            if r.status == 200:
                sys.exit(0)
    except OSError:
        pass
    time.sleep(0.1)
sys.exit("parley did not answer /api/v1/instance within 30 s")
PY
}

before_retry() { rm -rf "$DATA_DIR/db"; }
parley_start_retrying
echo "== clients: parley is serving $URL (log: $DATA_DIR/server.log)"

# ---- Tests ----------------------------------------------------------------
export CLIENT_TESTS_URL="$URL"
export CLIENT_TESTS_BIN="$BIN"
cd "$ROOT/tests/clients"
# A hung client must fail the run, not eat CI's time: 15 minutes at most.
timeout --signal=TERM --kill-after=30 900 "$VENV/bin/python" -m pytest "$@"
