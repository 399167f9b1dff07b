# Sourced by the Node suites (tests/browser/run.sh, tests/node-clients/run.sh)
# after scripts/lib/server-cleanup.sh: how they start their Parley server.
#
# Before calling parley_start_retrying, set BIN (the binary), DATA_DIR (the
# data directory's parent) and, if needed, SERVER_ENV (an array of VAR=value
# settings for the server only). Sets PORT, URL and SERVER_PID.

free_port() {
    node -e 'const s = require("net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

start_server() {
    PORT="$(free_port)"
    URL="http://127.0.0.1:$PORT"
    env "${SERVER_ENV[@]}" "$BIN" serve --data-dir "$DATA_DIR/db" --listen "127.0.0.1:$PORT" \
        >"$DATA_DIR/server.log" 2>&1 &
    SERVER_PID=$!
    # Wait for /api/v1/instance (at most 30 s); give up early if the server died.
    node - "$URL" "$SERVER_PID" <<'JS'
const [url, pid] = process.argv.slice(2);
const deadline = Date.now() + 30000;
(async () => {
  while (Date.now() < deadline) {
    try { process.kill(Number(pid), 0); } catch { console.error('parley exited before answering'); process.exit(1); }
    try {
      const r = await fetch(url + '/api/v1/instance');
      if (r.ok) process.exit(0);
    } catch {}
    await new Promise((done) => setTimeout(done, 100));
  }
  console.error('parley did not answer /api/v1/instance within 30 s');
  process.exit(1);
})();
JS
}

before_retry() { rm -rf "$DATA_DIR/db"; }
