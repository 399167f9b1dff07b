#!/usr/bin/env bash
# The Node client suite: Parley against Mastodon client libraries nobody on
# the team wrote, masto.js and megalodon, from Node's built-in test runner.
#
#   bash tests/node-clients/run.sh [node --test args...]
#
# Needs node (20 or later) and npm. Installs the pinned npm packages
# (tests/node-clients/node_modules, reinstalled only when package-lock.json
# changes), builds the binary, starts `parley serve` on a free loopback port
# with a fresh data directory, runs every *.test.mjs and stops the server
# whatever happens.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
HERE="$ROOT/tests/node-clients"

# The server under test starts from its defaults: drop the caller's PARLEY_* settings.
while IFS= read -r var; do
    unset "$var"
done < <(compgen -e | grep '^PARLEY_' || true)

for tool in node npm; do
    command -v "$tool" >/dev/null || { echo "node-clients: $tool is missing (Node.js 20 or later, with npm)" >&2; exit 1; }
done
echo "== node-clients: $(node --version)"

# ---- npm packages (exact versions from package-lock.json) -----------------
STAMP="$HERE/node_modules/.lock.sha256"
want="$(sha256sum "$HERE/package-lock.json" | cut -d' ' -f1)"
if [ "$(cat "$STAMP" 2>/dev/null || true)" != "$want" ]; then
    echo "== node-clients: npm ci"
    (cd "$HERE" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$want" > "$STAMP"
fi

# ---- server ---------------------------------------------------------------
echo "== node-clients: building parley"
cargo build -p parley
# Where cargo put it: CARGO_TARGET_DIR when set (a worktree with its own target dir).
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/parley"
DATA_DIR="$(mktemp -d "${TMPDIR:-/tmp}/parley-node-clients.XXXXXX")"
SUITE=node-clients
SERVER_DIR="$DATA_DIR"
# shellcheck source=../../scripts/lib/server-cleanup.sh
source "$ROOT/scripts/lib/server-cleanup.sh"

# Scheduled statuses may be a second ahead, so a scheduled poll is seen
# published within the test (the default is Mastodon's 5 minutes).
SERVER_ENV=(PARLEY_STATUSES__MIN_SCHEDULE_LEAD_SECS=1)
# shellcheck source=../../scripts/lib/node-suite-server.sh
source "$ROOT/scripts/lib/node-suite-server.sh"
parley_start_retrying
echo "== node-clients: parley is serving $URL"

# ---- tests ----------------------------------------------------------------
export NODE_CLIENTS_URL="$URL"
cd "$HERE"
# A hung stream must fail the run, not eat CI's time: 5 minutes at most.
timeout --signal=TERM --kill-after=30 300 node --test --test-concurrency=1 --test-force-exit "$@" ./*.test.mjs
