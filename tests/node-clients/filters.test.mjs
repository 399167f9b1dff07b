// Filters (issue 16): v2 through masto.js 8, a filter with keywords and a
// status, its effect on the home timeline (warn: `filtered`; hide: gone),
// another's filter not found; v1 through megalodon 10.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRestAPIClient } from "masto";
import generator from "megalodon";
import { user } from "./accounts.mjs";

test("masto.js: v2 filters warn and hide in the home timeline", async () => {
  const [alice, bob] = [await user("alice"), await user("bob")];
  await alice.masto.v1.accounts.$select(bob.id).follow();
  const warned = await bob.masto.v1.statuses.create({ status: "Close the Vladivostok consulate" });
  const hidden = await bob.masto.v1.statuses.create({ status: "News from Yekaterinburg" });
  const plain = await bob.masto.v1.statuses.create({ status: "Nothing to see" });

  const warn = await alice.masto.v2.filters.create({
    title: "Consulates", context: ["home", "public"], keywordsAttributes: [{ keyword: "vladivostok" }],
  });
  assert.equal(warn.filterAction, "warn");
  assert.deepEqual(warn.keywords.map((k) => [k.keyword, k.wholeWord]), [["vladivostok", true]]);
  const hide = await alice.masto.v2.filters.create({ title: "Elsewhere", context: ["home"], filterAction: "hide" });
  const entry = await alice.masto.v2.filters.$select(hide.id).statuses.create({ statusId: hidden.id });
  assert.equal(entry.statusId, hidden.id);
  const keyword = await alice.masto.v2.filters.$select(warn.id).keywords.create({ keyword: "Petersburg" });
  assert.equal(keyword.wholeWord, true);
  assert.equal((await alice.masto.v2.filters.$select(warn.id).keywords.list()).length, 2);

  const home = await alice.masto.v1.timelines.home.list();
  assert.deepEqual(home.map((s) => s.id), [plain.id, warned.id]);
  assert.deepEqual(home[0].filtered, []);
  assert.equal(home[1].filtered[0].filter.title, "Consulates");
  assert.deepEqual(home[1].filtered[0].keywordMatches, ["vladivostok"]);

  const renamed = await alice.masto.v2.filters.$select(warn.id).update({ title: "Missions" });
  assert.equal(renamed.title, "Missions");
  await assert.rejects(bob.masto.v2.filters.$select(warn.id).fetch(), (e) => e.statusCode === 404);
  await assert.rejects(alice.masto.v2.filters.create({ title: "x", context: [] }), (e) => e.statusCode === 422);
  await alice.masto.v2.filters.$select(hide.id).remove();
  assert.deepEqual((await alice.masto.v2.filters.list()).map((f) => f.id), [warn.id]);
  assert.deepEqual((await alice.masto.v1.timelines.home.list()).map((s) => s.id), [plain.id, hidden.id, warned.id]);
});

test("megalodon: v1 filters", async () => {
  const [alice, bob] = [await user("alice"), await user("bob")];
  await alice.megalodon.followAccount(bob.id);
  const { data: hidden } = await bob.megalodon.postStatus("Close Vladivostok");
  const { data: kept } = await bob.megalodon.postStatus("Something else");
  const { data: made } = await alice.megalodon.createFilter("Vladivostok", ["home"], { irreversible: true });
  assert.equal(made.phrase, "Vladivostok");
  assert.equal(made.irreversible, true);
  assert.deepEqual((await alice.megalodon.getFilters()).data.map((f) => f.id), [made.id]);
  assert.equal((await alice.megalodon.getFilter(made.id)).data.phrase, "Vladivostok");
  assert.deepEqual((await alice.megalodon.getHomeTimeline()).data.map((s) => s.id), [kept.id]);
  const { data: changed } = await alice.megalodon.updateFilter(made.id, "Vladivostok", ["home"], { irreversible: false });
  assert.equal(changed.irreversible, false);
  assert.deepEqual((await alice.megalodon.getHomeTimeline()).data.map((s) => s.id), [kept.id, hidden.id]);
  await alice.megalodon.deleteFilter(made.id);
  assert.deepEqual((await alice.megalodon.getFilters()).data, []);
});
