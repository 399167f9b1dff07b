"""What apps call at start-up, through Mastodon.py's own calls: grouped
notifications and unread counts, markers, preferences, bookmarks, blocks and
mutes (issue 16)."""

from __future__ import annotations

import time

import pytest
from mastodon.errors import MastodonNotFoundError


def ids(items):
    return [item.id for item in items]


def test_grouped_notifications_markers_and_unread_counts(alice, bob, carol, make_user):
    dave = make_user("dave")
    post = alice.api.status_post("What US Consulate General would you close?")
    for fan in (bob, carol, dave):
        fan.api.status_favourite(post.id)
    bob.api.account_follow(alice.id)
    mention = carol.api.status_post(f"@{alice.username} St. Petersburg, surely")

    grouped = alice.api.grouped_notifications(expand_accounts="full")
    groups = grouped.notification_groups
    assert [g.type for g in groups] == ["mention", "follow", "favourite"]
    favourites = groups[2]
    assert favourites.notifications_count == 3
    assert favourites.status_id == post.id
    assert favourites.sample_account_ids == [dave.id, carol.id, bob.id]
    assert groups[0].group_key.startswith("ungrouped-")
    assert {a.id for a in grouped.accounts} >= {bob.id, carol.id, dave.id}
    assert {s.id for s in grouped.statuses} == {post.id, mention.id}

    # Mastodon.py's default asks for partial avatars: one sender in full per group.
    partial = alice.api.grouped_notifications()
    assert {a.id for a in partial.partial_accounts} == {carol.id, bob.id} - {a.id for a in partial.accounts}

    one = alice.api.grouped_notification(favourites.group_key)
    assert one.notification_groups[0].notifications_count == 3
    assert ids(alice.api.grouped_notification_accounts(favourites.group_key)) == [dave.id, carol.id, bob.id]

    # Nothing read yet: every notification, every group.
    assert alice.api.notifications_unread_count().count == 5
    assert alice.api.unread_grouped_notifications_count() == 3
    newest_favourite = [n for n in alice.api.notifications() if n.type == "favourite"][0]
    markers = alice.api.markers_set(["notifications", "home"], [newest_favourite.id, post.id])
    assert markers["notifications"].last_read_id == newest_favourite.id
    assert markers["notifications"].version == 0
    assert alice.api.markers_get(["home", "notifications"])["home"].last_read_id == post.id
    assert alice.api.notifications_unread_count().count == 2
    assert alice.api.unread_grouped_notifications_count() == 2
    moved = alice.api.markers_set("notifications", mention.id)
    assert moved["notifications"].version == 1

    alice.api.dismiss_grouped_notification(favourites.group_key)
    with pytest.raises(MastodonNotFoundError):
        alice.api.grouped_notification(favourites.group_key)
    assert [g.type for g in alice.api.grouped_notifications().notification_groups] == ["mention", "follow"]


def test_preferences_follow_the_posting_defaults(alice):
    prefs = alice.api.preferences()
    assert prefs["posting:default:visibility"] == "public"
    assert prefs["reading:expand:spoilers"] is False
    alice.api.account_update_credentials(default_privacy="unlisted", default_sensitive=True, default_language="fr")
    prefs = alice.api.preferences()
    assert prefs["posting:default:visibility"] == "unlisted"
    assert prefs["posting:default:sensitive"] is True
    assert prefs["posting:default:language"] == "fr"
    # Mastodon.py always sends `sensitive` (false by default), which wins over the default.
    post = alice.api.status_post("Bonjour")
    assert (post.visibility, post.language) == ("unlisted", "fr")


def test_bookmarks(alice, bob):
    first = bob.api.status_post("first")
    second = bob.api.status_post("second")
    assert alice.api.status_bookmark(second.id).bookmarked is True
    alice.api.status_bookmark(first.id)
    assert ids(alice.api.bookmarks()) == [first.id, second.id]
    page = alice.api.bookmarks(limit=1)
    assert ids(page) == [first.id]
    assert ids(alice.api.fetch_next(page)) == [second.id]
    assert alice.api.status_unbookmark(first.id).bookmarked is False
    assert ids(alice.api.bookmarks()) == [second.id]
    assert alice.api.status(second.id).bookmarked is True


def test_blocks_and_mutes(alice, bob, carol):
    alice.api.account_block(bob.id)
    assert ids(alice.api.blocks()) == [bob.id]
    alice.api.account_mute(carol.id, duration=1)
    [muted] = alice.api.mutes()
    assert muted.id == carol.id
    assert muted.mute_expires_at is not None
    deadline = time.monotonic() + 5
    while alice.api.mutes() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert alice.api.mutes() == []
    [rel] = alice.api.account_relationships([carol.id])
    assert rel.muting is False
