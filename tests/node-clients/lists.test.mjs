// Lists (issue 16) through masto.js 8 and megalodon 10, each with its own
// calls: create, members, the list timeline, the lists an account is in,
// exclusive lists leaving the home timeline, another's list not found.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRestAPIClient } from "masto";
import generator from "megalodon";
import { user } from "./accounts.mjs";

test("masto.js: a list, its members and its timeline", async () => {
  const [owner, member, other] = [await user("owner"), await user("member"), await user("other")];
  await owner.masto.v1.accounts.$select(member.id).follow();
  await owner.masto.v1.accounts.$select(other.id).follow();
  const list = await owner.masto.v1.lists.create({ title: "Consulates" });
  assert.equal(list.title, "Consulates");
  assert.equal(list.repliesPolicy, "list");
  assert.equal(list.exclusive, false);
  await owner.masto.v1.lists.$select(list.id).accounts.create({ accountIds: [member.id] });
  const members = await owner.masto.v1.lists.$select(list.id).accounts.list();
  assert.deepEqual(members.map((a) => a.id), [member.id]);
  const inLists = await owner.masto.v1.accounts.$select(member.id).lists.list();
  assert.deepEqual(inLists.map((l) => l.id), [list.id]);

  const posted = await member.masto.v1.statuses.create({ status: "From the consulate" });
  const elsewhere = await other.masto.v1.statuses.create({ status: "Not in the list" });
  const timeline = await owner.masto.v1.timelines.list.$select(list.id).list();
  assert.deepEqual(timeline.map((s) => s.id), [posted.id]);

  const exclusive = await owner.masto.v1.lists.$select(list.id).update({ title: "Only here", exclusive: true });
  assert.equal(exclusive.exclusive, true);
  const home = await owner.masto.v1.timelines.home.list();
  assert.deepEqual(home.map((s) => s.id), [elsewhere.id]);

  await assert.rejects(other.masto.v1.lists.$select(list.id).fetch(), (e) => e.statusCode === 404);
  await assert.rejects(owner.masto.v1.lists.create({ title: " " }), (e) => e.statusCode === 422);
  await assert.rejects(
    owner.masto.v1.lists.$select(list.id).accounts.create({ accountIds: [(await user("stranger")).id] }),
    (e) => e.statusCode === 422,
  );
  await owner.masto.v1.lists.$select(list.id).remove();
  assert.deepEqual(await owner.masto.v1.lists.list(), []);
});

test("megalodon: a list, its members and its timeline", async () => {
  const [owner, member] = [await user("owner"), await user("member")];
  await owner.megalodon.followAccount(member.id);
  const { data: list } = await owner.megalodon.createList("Officials");
  assert.equal(list.title, "Officials");
  await owner.megalodon.addAccountsToList(list.id, [member.id]);
  const { data: members } = await owner.megalodon.getAccountsInList(list.id);
  assert.deepEqual(members.map((a) => a.id), [member.id]);
  const { data: lists } = await owner.megalodon.getAccountLists(member.id);
  assert.deepEqual(lists.map((l) => l.id), [list.id]);
  const { data: posted } = await member.megalodon.postStatus("Official statement");
  const { data: timeline } = await owner.megalodon.getListTimeline(list.id);
  assert.deepEqual(timeline.map((s) => s.id), [posted.id]);
  const { data: renamed } = await owner.megalodon.updateList(list.id, "Missions");
  assert.equal(renamed.title, "Missions");
  await owner.megalodon.deleteAccountsFromList(list.id, [member.id]);
  assert.deepEqual((await owner.megalodon.getAccountsInList(list.id)).data, []);
  await owner.megalodon.deleteList(list.id);
  assert.deepEqual((await owner.megalodon.getLists()).data, []);
});
