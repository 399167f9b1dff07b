// What every Node client suite needs before its story: the server's URL, a
// JSON POST, an app token, and new accounts with both libraries' clients.
import assert from "node:assert/strict";
import { createRestAPIClient } from "masto";
import generator from "megalodon";

export const URL = process.env.NODE_CLIENTS_URL;
assert.ok(URL, "NODE_CLIENTS_URL is not set (run tests/node-clients/run.sh)");

let counter = 0;
export const unique = (prefix) => `${prefix}_${process.pid}_${Date.now() % 1e6}_${counter++}`;

export async function post(path, body, token) {
  const headers = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  const r = await fetch(URL + path, { method: "POST", headers, body: JSON.stringify(body) });
  const json = await r.json();
  assert.ok(r.ok, `${path}: ${r.status} ${JSON.stringify(json)}`);
  return json;
}

let appToken;
/** A client-credentials token of one app, made on first use. */
function app() {
  appToken ??= (async () => {
    const made = await post("/api/v1/apps", {
      client_name: "node clients", redirect_uris: "urn:ietf:wg:oauth:2.0:oob", scopes: "read write follow push",
    });
    const token = await post("/oauth/token", {
      grant_type: "client_credentials", client_id: made.client_id, client_secret: made.client_secret,
      scope: "read write follow push",
    });
    return token.access_token;
  })();
  return appToken;
}

/** A new account: its token, ID and username, and both libraries' clients. */
export async function user(prefix) {
  const username = unique(prefix);
  const { access_token: token } = await post("/api/v1/accounts", {
    username, email: `${username}@example.org`, password: "correct horse battery", agreement: true,
  }, await app());
  const masto = createRestAPIClient({ url: URL, accessToken: token });
  const me = await masto.v1.accounts.verifyCredentials();
  return { token, id: me.id, username, masto, megalodon: generator("mastodon", URL, token) };
}
