#!/usr/bin/env bash
# A short correctness run of parley-bench for CI: builds parley and
# parley-bench (debug), seeds a fresh data directory with a few thousand
# accounts, serves it on a free loopback port, runs `viral-poll` on every
# account and fails if a tally does not equal the votes answered 2xx. Its
# speed is not asserted (a debug build on a shared machine), only that the
# figures are exact.
#
#   bash scripts/bench-smoke.sh
#
# BENCH_SMOKE_ACCOUNTS (default 3000) sets the number of seeded accounts.
# Without `parley admin seed` it registers BENCH_SMOKE_REGISTER (default 200)
# accounts through the API instead, which is slow (Argon2 per account).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

# The server starts from its defaults: drop any PARLEY_* settings from the caller.
while IFS= read -r var; do
    unset "$var"
done < <(compgen -e | grep '^PARLEY_' || true)

echo "== bench-smoke: building parley and parley-bench"
cargo build -p parley -p parley-bench
PARLEY="$ROOT/target/debug/parley"
BENCH="$ROOT/target/debug/parley-bench"

TMP="$(mktemp -d "${TMPDIR:-/tmp}/parley-bench-smoke.XXXXXX")"
SUITE=bench-smoke
SERVER_DIR="$TMP"
# shellcheck source=lib/server-cleanup.sh
source "$ROOT/scripts/lib/server-cleanup.sh"

ACCOUNTS="${BENCH_SMOKE_ACCOUNTS:-3000}"
SEEDED=""
if "$PARLEY" admin seed --help >/dev/null 2>&1; then
    echo "== bench-smoke: seeding $ACCOUNTS accounts"
    "$PARLEY" admin seed --data-dir "$TMP/db" --accounts "$ACCOUNTS" --follows-per-account 10 \
        --statuses 1000 --tokens-out "$TMP/tokens.txt"
    SEEDED=1
else
    echo "== bench-smoke: no 'parley admin seed'; accounts will be registered through the API"
fi

start_server() {
    PORT="$("$BENCH" free-port)"
    URL="http://127.0.0.1:$PORT"
    "$PARLEY" serve --data-dir "$TMP/db" --listen "127.0.0.1:$PORT" >"$TMP/server.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 60); do
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            echo "parley exited before answering" >&2
            return 1
        fi
        if "$BENCH" wait --url "$URL" --timeout 500ms >/dev/null 2>&1; then
            return 0
        fi
    done
    echo "parley did not answer /api/v1/instance within 30 s" >&2
    return 1
}

parley_start_retrying
echo "== bench-smoke: parley is serving $URL"

if [ -z "$SEEDED" ]; then
    "$BENCH" register --url "$URL" --count "${BENCH_SMOKE_REGISTER:-200}" --concurrency 4 \
        --follow-author --out "$TMP/tokens.txt" --quiet
fi

echo "== bench-smoke: viral-poll on $(grep -cv '^#' "$TMP/tokens.txt") tokens"
# Bounded in time whatever the server does; exit 1 if a tally is off.
timeout --signal=TERM --kill-after=30 600 \
    "$BENCH" viral-poll --url "$URL" --tokens "$TMP/tokens.txt" \
    --concurrency 64 --warmup 0 --baseline-duration 1s --read-alone 2s \
    --json "$TMP/viral-poll.json" --quiet
echo "== bench-smoke: ok"
