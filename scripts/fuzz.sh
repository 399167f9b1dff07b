#!/usr/bin/env bash
# Fuzzes Parley's parsers of untrusted input with cargo-fuzz (libFuzzer):
# the status text pipeline (counter, mentions, hashtags, HTML), the HTML
# sanitiser, request parameters (query + JSON/form/multipart bodies) and the
# pagination parameters with their Link header. Targets: fuzz/fuzz_targets/.
#
#   bash scripts/fuzz.sh [SECONDS]     # each target for SECONDS (default 60)
#   FUZZ_TARGETS="params pagination" bash scripts/fuzz.sh 600
#
# Works on a stable toolchain: cargo-fuzz passes nightly-only flags
# (-Zsanitizer, -Cpasses=sancov), which RUSTC_BOOTSTRAP=1 lets stable accept.
# Installs cargo-fuzz from crates.io when missing. The corpus grows in
# fuzz/corpus/TARGET (not committed), starting from fuzz/seeds/TARGET; a
# crasher is written to fuzz/artifacts/TARGET/ and the script fails. Turn a
# crasher into a unit test beside the code it broke, then fix the code.
# Builds go to $CARGO_TARGET_DIR/fuzz (default target/fuzz).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT/fuzz"
SECONDS_EACH="${1:-60}"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}/fuzz"
export RUSTC_BOOTSTRAP=1

if ! command -v cargo-fuzz >/dev/null; then
    cargo install cargo-fuzz --locked
fi

echo "== fuzz: building the targets"
start=$(date +%s)
cargo fuzz build --target-dir "$TARGET_DIR"
echo "== fuzz: built in $(( $(date +%s) - start ))s"

targets="${FUZZ_TARGETS:-$(cargo fuzz list)}"
summary=""
failed=0
for target in $targets; do
    echo "== fuzz: $target for ${SECONDS_EACH}s"
    mkdir -p "corpus/$target"
    log="$(mktemp)"
    if cargo fuzz run --target-dir "$TARGET_DIR" "$target" "corpus/$target" "seeds/$target" -- \
        -max_total_time="$SECONDS_EACH" -max_len=4096 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        >"$log" 2>&1; then
        result=ok
    else
        result="FAILED (see fuzz/artifacts/$target/)"
        failed=1
        tail -n 60 "$log"
    fi
    execs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -n 1)"
    rate="$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -n 1)"
    summary+="$(printf '%-15s %12s executions %8s/s  %s' "$target" "${execs:-?}" "${rate:-?}" "$result")"$'\n'
    rm -f "$log"
done
echo "== fuzz: summary (${SECONDS_EACH}s each)"
printf '%s' "$summary"
exit "$failed"
