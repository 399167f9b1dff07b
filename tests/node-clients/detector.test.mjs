// megalodon 10's detector() decides which API a server speaks from its
// nodeinfo: an unknown `software.name` is accepted only with
// `metadata.upstream.name` "mastodon". Parley keeps its own name and says
// it speaks Mastodon's API, so megalodon-based clients pick that API.
import { test } from "node:test";
import assert from "node:assert/strict";
import { detector } from "megalodon";

const URL = process.env.NODE_CLIENTS_URL;
assert.ok(URL, "NODE_CLIENTS_URL is not set (run tests/node-clients/run.sh)");

test("megalodon's detector sees a Mastodon-compatible server", async () => {
  assert.equal(await detector(URL), "mastodon");
});
