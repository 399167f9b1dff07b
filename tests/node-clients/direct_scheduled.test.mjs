// Conversations (direct-message threads) and scheduled statuses through
// masto.js 8 and megalodon 10, each with its own calls; a scheduled poll
// published on time (run.sh lets the server schedule a second ahead).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRestAPIClient } from "masto";
import generator from "megalodon";
import { user } from "./accounts.mjs";

const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

test("masto.js: conversations are listed, read and removed for one participant", async () => {
  const [alice, bob] = [await user("alice"), await user("bob")];
  const sent = await alice.masto.v1.statuses.create({ status: `@${bob.username} between us`, visibility: "direct" });
  const [theirs] = await bob.masto.v1.conversations.list();
  assert.equal(theirs.unread, true);
  assert.equal(theirs.lastStatus.id, sent.id);
  assert.deepEqual(theirs.accounts.map((a) => a.id), [alice.id]);
  const read = await bob.masto.v1.conversations.$select(theirs.id).read();
  assert.equal(read.unread, false);
  await bob.masto.v1.conversations.$select(theirs.id).remove();
  assert.deepEqual(await bob.masto.v1.conversations.list(), []);
  assert.equal((await alice.masto.v1.conversations.list()).length, 1, "still the author's");
});

test("megalodon: conversations are listed, read and removed", async () => {
  const [alice, bob] = [await user("alice"), await user("bob")];
  await alice.megalodon.postStatus(`@${bob.username} psst`, { visibility: "direct" });
  const { data: [theirs] } = await bob.megalodon.getConversationTimeline();
  assert.equal(theirs.unread, true);
  assert.equal(theirs.accounts[0].id, alice.id);
  assert.equal((await bob.megalodon.readConversation(theirs.id)).data.unread, false);
  await bob.megalodon.deleteConversation(theirs.id);
  assert.deepEqual((await bob.megalodon.getConversationTimeline()).data, []);
});

test("masto.js: a scheduled poll is listed, then published on time", async () => {
  const alice = await user("alice");
  const due = new Date(Math.ceil(Date.now() / 1000) * 1000 + 3000);
  const scheduled = await alice.masto.v1.statuses.create({
    status: "Which consulate would you close?",
    scheduledAt: due.toISOString(),
    poll: { options: ["Vladivostok", "Yekaterinburg", "St. Petersburg"], expiresIn: 3600 },
  });
  assert.equal(new Date(scheduled.scheduledAt).getTime(), due.getTime());
  assert.deepEqual(scheduled.params.poll.options, ["Vladivostok", "Yekaterinburg", "St. Petersburg"]);
  assert.deepEqual((await alice.masto.v1.scheduledStatuses.list()).map((s) => s.id), [scheduled.id]);
  assert.equal((await alice.masto.v1.scheduledStatuses.$select(scheduled.id).fetch()).id, scheduled.id);

  let statuses = [];
  for (const deadline = Date.now() + 10000; statuses.length === 0 && Date.now() < deadline; await sleep(200)) {
    statuses = await alice.masto.v1.accounts.$select(alice.id).statuses.list();
  }
  assert.equal(statuses.length, 1, "published once");
  assert.ok(new Date(statuses[0].createdAt) >= due);
  assert.deepEqual(statuses[0].poll.options.map((o) => o.title), ["Vladivostok", "Yekaterinburg", "St. Petersburg"]);
  assert.deepEqual(await alice.masto.v1.scheduledStatuses.list(), []);
});

test("masto.js and megalodon: a scheduled status is moved and cancelled", async () => {
  const alice = await user("alice");
  const inAnHour = new Date(Date.now() + 3600_000).toISOString();
  const { data: scheduled } = await alice.megalodon.postStatus("later", { scheduled_at: inAnHour });
  assert.equal(scheduled.params.text, "later");
  assert.deepEqual((await alice.megalodon.getScheduledStatuses()).data.map((s) => s.id), [scheduled.id]);
  const inTwo = new Date(Date.now() + 7200_000);
  const moved = (await alice.megalodon.scheduleStatus(scheduled.id, inTwo.toISOString())).data;
  assert.equal(new Date(moved.scheduled_at).getTime(), Math.floor(inTwo.getTime()));
  const inThree = new Date(Date.now() + 3 * 3600_000);
  const again = await alice.masto.v1.scheduledStatuses.$select(scheduled.id).update({ scheduledAt: inThree.toISOString() });
  assert.equal(new Date(again.scheduledAt).getTime(), inThree.getTime());
  await alice.megalodon.cancelScheduledStatus(scheduled.id);
  assert.deepEqual((await alice.megalodon.getScheduledStatuses()).data, []);
  await assert.rejects(alice.masto.v1.scheduledStatuses.$select(scheduled.id).fetch());
});
