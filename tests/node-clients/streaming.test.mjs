// Mastodon's streaming API through masto.js 8 and megalodon 10, each with
// its own calls: what arrives for actions taken through the API, and what
// never arrives (a followers-only post to a stranger, a direct message to a
// third party).
import { test } from "node:test";
import assert from "node:assert/strict";
import WebSocket from "ws";
import { createRestAPIClient, createStreamingAPIClient } from "masto";
import generator from "megalodon";
import { URL, post, user } from "./accounts.mjs";

// masto.js 8 expects a newer runtime than this machine's Node 20: the
// platform's WebSocket and Promise.withResolvers (both in Node 22).
globalThis.WebSocket ??= WebSocket;
Promise.withResolvers ??= () => {
  let resolve;
  let reject;
  const promise = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

/** Collects what a stream delivers; `next(match)` waits for a matching event. */
function collector() {
  const seen = [];
  const waiting = [];
  return {
    seen,
    push(event, payload) {
      seen.push({ event, payload });
      for (const w of [...waiting]) {
        if (w.match(event, payload)) {
          waiting.splice(waiting.indexOf(w), 1);
          w.resolve(payload);
        }
      }
    },
    next(match, ms = 10000) {
      const found = seen.find((e) => match(e.event, e.payload));
      if (found) return Promise.resolve(found.payload);
      return new Promise((resolve, reject) => {
        const w = { match, resolve };
        waiting.push(w);
        setTimeout(() => reject(new Error(`no matching event in ${ms} ms; saw ${seen.map((e) => e.event)}`)), ms);
      });
    },
  };
}

const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

/** Posts probes until every collector has seen one, then forgets what they saw. */
async function untilFlowing(collectors, postProbe) {
  for (let attempt = 0; attempt < 20; attempt++) {
    const probe = await postProbe();
    try {
      await Promise.all(collectors.map((c) => c.next((event, s) => event === "update" && s.id === probe.id, 500)));
      for (const c of collectors) c.seen.length = 0;
      return;
    } catch {
      // Not connected yet.
    }
  }
  throw new Error("the streams never started to flow");
}

test("masto.js: user, public and hashtag streams", { timeout: 60000 }, async () => {
  const [alice, bob, carol] = [await user("alice"), await user("bob"), await user("carol")];
  const rest = (u) => createRestAPIClient({ url: URL, accessToken: u.token });
  const instance = await rest(alice).v2.instance.fetch();
  assert.match(instance.configuration.urls.streaming, /^ws/);
  const streaming = createStreamingAPIClient({
    streamingApiUrl: instance.configuration.urls.streaming,
    accessToken: alice.token,
    implementation: WebSocket,
    retry: false,
  });
  await rest(alice).v1.accounts.$select(bob.id).follow();

  const home = collector();
  const publicEvents = collector();
  const tagged = collector();
  const subscriptions = [
    [streaming.user.subscribe(), home],
    [streaming.public.subscribe(), publicEvents],
    [streaming.hashtag.subscribe({ tag: "embassy" }), tagged],
  ];
  for (const [sub, into] of subscriptions) {
    (async () => {
      for await (const e of sub) into.push(e.event, e.payload);
    })().catch(() => {});
  }
  // masto.js connects in the background: probe until all three streams flow.
  await untilFlowing([home, publicEvents, tagged], () =>
    rest(alice).v1.statuses.create({ status: "probe #embassy" }));

  const hidden = await rest(bob).v1.statuses.create({ status: "followers only #embassy", visibility: "private" });
  const secret = await rest(bob).v1.statuses.create({
    status: `@${carol.username} direct #embassy`, visibility: "direct",
  });
  const shown = await rest(bob).v1.statuses.create({ status: "Public news #embassy" });
  for (const into of [publicEvents, tagged]) {
    const first = await into.next((event) => event === "update");
    assert.equal(first.id, shown.id, "a public stream carried what its reader may not see");
  }
  // Alice follows Bob: his followers-only post is in her home stream, the direct one is not.
  await home.next((event, s) => event === "update" && s.id === hidden.id);
  await home.next((event, s) => event === "update" && s.id === shown.id);
  assert.ok(!home.seen.some((e) => e.payload?.id === secret.id), "a direct message to a third party was streamed");

  const mention = await rest(bob).v1.statuses.create({ status: `@${alice.username} for you` });
  const note = await home.next((event, n) => event === "notification" && n.type === "mention");
  assert.equal(note.status.id, mention.id);

  await rest(bob).v1.statuses.$select(shown.id).update({ status: "Public news, corrected #embassy" });
  const edited = await home.next((event, s) => event === "status.update" && s.id === shown.id);
  assert.match(edited.content, /corrected/);

  await rest(bob).v1.statuses.$select(shown.id).remove();
  const deleted = await home.next((event) => event === "delete");
  assert.equal(String(deleted), shown.id);

  for (const [sub] of subscriptions) sub.unsubscribe();
  streaming.close();
});

test("megalodon: userStreaming, localStreaming and tagStreaming", { timeout: 60000 }, async () => {
  const [alice, bob] = [await user("alice"), await user("bob")];
  const client = generator("mastodon", URL, alice.token);
  const bobClient = generator("mastodon", URL, bob.token);
  await client.followAccount(bob.id);

  const home = collector();
  const local = collector();
  const tagged = collector();
  const streams = [];
  // Each stream starts connecting as soon as it is made: listen at once.
  for (const [open, into] of [
    [() => client.userStreaming(), home],
    [() => client.localStreaming(), local],
    [() => client.tagStreaming("consulates"), tagged],
  ]) {
    const s = await open();
    await new Promise((resolve, reject) => {
      s.on("connect", resolve);
      s.on("error", reject);
    });
    streams.push([s, into]);
  }
  for (const [s, into] of streams) {
    s.on("update", (status) => into.push("update", status));
    s.on("notification", (n) => into.push("notification", n));
    s.on("delete", (id) => into.push("delete", id));
    s.on("status_update", (status) => into.push("status.update", status));
  }

  const { data: status } = await bobClient.postStatus("On the #consulates");
  for (const into of [home, local, tagged]) {
    const got = await into.next((event, s) => event === "update" && s.id === status.id);
    assert.equal(got.account.id, bob.id);
  }
  const { data: mention } = await bobClient.postStatus(`@${alice.username} hello`);
  const note = await home.next((event, n) => event === "notification" && n.type === "mention");
  assert.equal(note.status.id, mention.id);

  await bobClient.deleteStatus(status.id);
  const deleted = await home.next((event) => event === "delete");
  assert.equal(String(deleted), status.id);

  for (const [s] of streams) s.stop();
});
