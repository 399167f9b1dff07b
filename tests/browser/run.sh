#!/usr/bin/env bash
# The browser suite: Parley's web interface in Debian's Chromium, driven by
# playwright-core from Node's built-in test runner.
#
#   bash tests/browser/run.sh [node --test args...]
#
# Needs node (20 or later) and npm, which the machine has, and Debian's
# Chromium at /usr/bin/chromium (or $CHROMIUM): `apt-get install -y chromium`
# (.ci/run installs it). Nothing downloads a browser of its own. Installs
# the pinned npm packages (tests/browser/node_modules, reinstalled only when
# package-lock.json changes), builds the binary, starts `parley serve` on a
# free loopback port with a fresh data directory, runs every *.test.mjs and
# stops the server whatever happens. Screenshots go to target/screenshots/.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
HERE="$ROOT/tests/browser"

# The server under test starts from its defaults: drop the caller's PARLEY_* settings.
while IFS= read -r var; do
    unset "$var"
done < <(compgen -e | grep '^PARLEY_' || true)

CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM" ]; then
    echo "browser: no Chromium at $CHROMIUM (apt-get install -y chromium, or set CHROMIUM)" >&2
    exit 1
fi
export CHROMIUM
for tool in node npm; do
    command -v "$tool" >/dev/null || { echo "browser: $tool is missing (Node.js 20 or later, with npm)" >&2; exit 1; }
done
echo "== browser: $(node --version), $("$CHROMIUM" --version 2>/dev/null | tail -n 1)"

# ---- npm packages (exact versions from package-lock.json) -----------------
STAMP="$HERE/node_modules/.lock.sha256"
want="$(sha256sum "$HERE/package-lock.json" | cut -d' ' -f1)"
if [ "$(cat "$STAMP" 2>/dev/null || true)" != "$want" ]; then
    echo "== browser: npm ci"
    (cd "$HERE" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$want" > "$STAMP"
fi

# ---- server ---------------------------------------------------------------
echo "== browser: building parley"
cargo build -p parley
# Where cargo put it: CARGO_TARGET_DIR when set (a worktree with its own target dir).
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/parley"
DATA_DIR="$(mktemp -d "${TMPDIR:-/tmp}/parley-browser.XXXXXX")"
SUITE=browser
SERVER_DIR="$DATA_DIR"
# shellcheck source=../../scripts/lib/server-cleanup.sh
source "$ROOT/scripts/lib/server-cleanup.sh"

# Short polls are allowed, so that a test can watch one end.
SERVER_ENV=(PARLEY_POLLS__MIN_EXPIRATION=1)
# shellcheck source=../../scripts/lib/node-suite-server.sh
source "$ROOT/scripts/lib/node-suite-server.sh"
parley_start_retrying
echo "== browser: parley is serving $URL"

# ---- tests ----------------------------------------------------------------
export PARLEY_URL="$URL"
# For tests that act as the operator (`parley admin …` on the same data directory).
export PARLEY_TEST_BIN="$BIN" PARLEY_TEST_DATA_DIR="$DATA_DIR/db"
export SCREENSHOT_DIR="$ROOT/target/screenshots"
mkdir -p "$SCREENSHOT_DIR"
cd "$HERE"
# A hung browser must fail the run, not eat CI's time: 10 minutes at most.
timeout --signal=TERM --kill-after=30 600 node --test --test-concurrency=1 "$@" ./*.test.mjs
echo "== browser: screenshots in $SCREENSHOT_DIR"
