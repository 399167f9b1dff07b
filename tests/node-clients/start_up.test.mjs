// What apps call at start-up (issue 16), through masto.js 8 and megalodon
// 10, each with its own calls: grouped notifications and unread counts,
// markers, preferences, bookmarks, blocks and mutes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRestAPIClient } from "masto";
import generator from "megalodon";
import { post, user } from "./accounts.mjs";

test("masto.js: grouped notifications, unread counts and markers", async () => {
  const [alice, bob, carol] = [await user("alice"), await user("bob"), await user("carol")];
  const status = await alice.masto.v1.statuses.create({ status: "Which consulate would you close?" });
  await bob.masto.v1.statuses.$select(status.id).favourite();
  await carol.masto.v1.statuses.$select(status.id).favourite();
  await bob.masto.v1.accounts.$select(alice.id).follow();
  const mention = await carol.masto.v1.statuses.create({ status: `@${alice.username} St. Petersburg` });

  const page = await alice.masto.v2.notifications.list({ expandAccounts: "full" });
  assert.deepEqual(page.notificationGroups.map((g) => g.type), ["mention", "follow", "favourite"]);
  const favourites = page.notificationGroups[2];
  assert.equal(favourites.notificationsCount, 2);
  assert.equal(favourites.statusId, status.id);
  assert.deepEqual(favourites.sampleAccountIds, [carol.id, bob.id]);
  assert.deepEqual(new Set(page.statuses.map((s) => s.id)), new Set([status.id, mention.id]));

  const one = await alice.masto.v2.notifications.$select(favourites.groupKey).fetch();
  assert.equal(one.notificationGroups[0].notificationsCount, 2);
  const senders = await alice.masto.v2.notifications.$select(favourites.groupKey).accounts.fetch();
  assert.deepEqual(senders.map((a) => a.id), [carol.id, bob.id]);

  assert.equal((await alice.masto.v2.notifications.unreadCount.fetch()).count, 3);
  assert.equal((await alice.masto.v1.notifications.unreadCount.fetch()).count, 4);
  const [newest] = await alice.masto.v1.notifications.list({ types: ["follow"] });
  const markers = await alice.masto.v1.markers.create({ notifications: { lastReadId: newest.id } });
  assert.equal(markers.notifications.lastReadId, newest.id);
  assert.equal(markers.notifications.version, 0);
  const read = await alice.masto.v1.markers.fetch({ timeline: ["home", "notifications"] });
  assert.equal(read.notifications.lastReadId, newest.id);
  assert.equal(read.home, undefined);
  assert.equal((await alice.masto.v2.notifications.unreadCount.fetch()).count, 1);
  assert.equal((await alice.masto.v1.notifications.unreadCount.fetch()).count, 1);

  await alice.masto.v2.notifications.$select(favourites.groupKey).dismiss();
  const left = await alice.masto.v2.notifications.list();
  assert.deepEqual(left.notificationGroups.map((g) => g.type), ["mention", "follow"]);
});

test("masto.js: preferences, bookmarks, blocks and mutes", async () => {
  const [alice, bob, carol] = [await user("alice"), await user("bob"), await user("carol")];
  await alice.masto.v1.accounts.updateCredentials({ source: { privacy: "private", language: "de" } });
  const prefs = await alice.masto.v1.preferences.fetch();
  assert.equal(prefs["posting:default:visibility"], "private");
  assert.equal(prefs["posting:default:language"], "de");

  const post = await bob.masto.v1.statuses.create({ status: "keep this" });
  assert.equal((await alice.masto.v1.statuses.$select(post.id).bookmark()).bookmarked, true);
  assert.deepEqual((await alice.masto.v1.bookmarks.list()).map((s) => s.id), [post.id]);
  assert.equal((await alice.masto.v1.statuses.$select(post.id).unbookmark()).bookmarked, false);
  assert.deepEqual(await alice.masto.v1.bookmarks.list(), []);

  await alice.masto.v1.accounts.$select(bob.id).block();
  assert.deepEqual((await alice.masto.v1.blocks.list()).map((a) => a.id), [bob.id]);
  await alice.masto.v1.accounts.$select(carol.id).mute({ duration: 3600 });
  const [muted] = await alice.masto.v1.mutes.list();
  assert.equal(muted.id, carol.id);
  assert.ok(muted.muteExpiresAt, "the mute's end is listed");
});

test("megalodon: notifications, markers, preferences, bookmarks, blocks and mutes", async () => {
  const [alice, bob, carol] = [await user("alice"), await user("bob"), await user("carol")];
  const client = alice.megalodon;
  const status = (await client.postStatus("Which consulate?")).data;
  await bob.megalodon.favouriteStatus(status.id);
  await carol.megalodon.favouriteStatus(status.id);
  const notes = (await client.getNotifications()).data;
  assert.deepEqual(notes.map((n) => n.type), ["favourite", "favourite"]);

  await client.saveMarkers({ home: { last_read_id: status.id }, notifications: { last_read_id: notes[1].id } });
  const markers = (await client.getMarkers(["home", "notifications"])).data;
  assert.equal(markers.home.last_read_id, status.id);
  assert.equal(markers.notifications.last_read_id, notes[1].id);

  const prefs = (await client.getPreferences()).data;
  assert.equal(prefs["posting:default:visibility"], "public");

  const other = (await bob.megalodon.postStatus("bookmark me")).data;
  assert.equal((await client.bookmarkStatus(other.id)).data.bookmarked, true);
  assert.deepEqual((await client.getBookmarks()).data.map((s) => s.id), [other.id]);

  await client.blockAccount(bob.id);
  assert.deepEqual((await client.getBlocks()).data.map((a) => a.id), [bob.id]);
  await client.muteAccount(carol.id, true);
  assert.deepEqual((await client.getMutes()).data.map((a) => a.id), [carol.id]);
});
