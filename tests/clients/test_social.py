"""Follows, the home timeline, relationships and notifications through Mastodon.py."""

from __future__ import annotations

import pytest
from mastodon.errors import MastodonNotFoundError


def ids(items):
    return [item.id for item in items]


def test_follow_home_timeline_relationships_unfollow(alice, bob, carol):
    before_follow = bob.api.status_post("Bob, before alice follows")
    stranger_post = carol.api.status_post("Carol, whom alice does not follow")

    rel = alice.api.account_follow(bob.id)
    assert rel.id == bob.id
    assert rel.following is True
    assert rel.followed_by is False
    assert rel.requested is False

    after_follow = bob.api.status_post("Bob, after alice follows")
    own = alice.api.status_post("Alice's own post")

    home = alice.api.timeline_home()
    home_ids = ids(home)
    # Own posts and the followed account's posts (also those from before the
    # follow, as Mastodon merges them in), newest first; nobody else's.
    assert home_ids == [own.id, after_follow.id, before_follow.id]
    assert stranger_post.id not in home_ids
    # Bob's home has only his own posts.
    assert ids(bob.api.timeline_home()) == [after_follow.id, before_follow.id]

    [mine] = alice.api.account_relationships([bob.id])
    assert (mine.id, mine.following, mine.followed_by) == (bob.id, True, False)
    [theirs] = bob.api.account_relationships([alice.id])
    assert (theirs.id, theirs.following, theirs.followed_by) == (alice.id, False, True)
    both = alice.api.account_relationships([bob.id, carol.id])
    assert [(r.id, r.following) for r in both] == [(bob.id, True), (carol.id, False)]

    assert ids(alice.api.account_following(alice.id)) == [bob.id]
    assert ids(bob.api.account_followers(bob.id)) == [alice.id]
    assert alice.api.account(bob.id).followers_count == 1
    assert alice.api.account_verify_credentials().following_count == 1

    rel = alice.api.account_unfollow(bob.id)
    assert rel.id == bob.id
    assert rel.following is False
    later = bob.api.status_post("Bob, after the unfollow")

    home_ids = ids(alice.api.timeline_home())
    assert later.id not in home_ids
    # Mastodon also takes the unfollowed account's posts out of the home feed.
    assert home_ids == [own.id]
    [mine] = alice.api.account_relationships([bob.id])
    assert mine.following is False
    assert bob.api.account_followers(bob.id) == []
    assert alice.api.account(bob.id).followers_count == 0


def test_notifications_types_filters_dismiss_clear(alice, bob):
    post = alice.api.status_post("Alice posts something")

    follow_rel = bob.api.account_follow(alice.id)
    assert follow_rel.following is True
    mention = bob.api.status_post(f"Hey @{alice.username}")
    bob.api.status_favourite(post.id)
    bob.api.status_reblog(post.id)
    # Acting on one's own status notifies nobody.
    alice.api.status_favourite(post.id)

    notes = alice.api.notifications()
    assert [n.type for n in notes] == ["reblog", "favourite", "mention", "follow"]
    assert all(n.account.id == bob.id for n in notes)
    by_type = {n.type: n for n in notes}
    assert by_type["mention"].status.id == mention.id
    assert by_type["favourite"].status.id == post.id
    assert by_type["reblog"].status.id == post.id
    assert by_type["follow"].status is None
    # Newest first, unique ids.
    assert ids(notes) == sorted(ids(notes), reverse=True)
    assert len(set(ids(notes))) == 4

    # Bob's actions notify alice only.
    assert bob.api.notifications() == []

    assert [n.type for n in alice.api.notifications(types=["mention"])] == ["mention"]
    assert [n.type for n in alice.api.notifications(types=["follow", "favourite"])] == ["favourite", "follow"]
    assert [n.type for n in alice.api.notifications(exclude_types=["follow", "favourite"])] == ["reblog", "mention"]
    assert [n.type for n in alice.api.notifications(mentions_only=True)] == ["mention"]

    # One notification by id.
    single = alice.api.notifications(id=by_type["favourite"].id)
    assert single.id == by_type["favourite"].id
    assert single.type == "favourite"
    with pytest.raises(MastodonNotFoundError):
        bob.api.notifications(id=by_type["favourite"].id)

    alice.api.notifications_dismiss(by_type["favourite"].id)
    assert [n.type for n in alice.api.notifications()] == ["reblog", "mention", "follow"]
    with pytest.raises(MastodonNotFoundError):
        alice.api.notifications(id=by_type["favourite"].id)

    alice.api.notifications_clear()
    assert alice.api.notifications() == []

    # New activity after a clear shows up again.
    bob.api.status_post(f"@{alice.username} again")
    assert [n.type for n in alice.api.notifications()] == ["mention"]


def test_notifications_from_one_account(alice, bob, carol):
    """`account_id` keeps only the notifications caused by that account."""
    bob.api.account_follow(alice.id)
    carol.api.account_follow(alice.id)
    from_bob = bob.api.status_post(f"@{alice.username} from bob")
    carol.api.status_post(f"@{alice.username} from carol")

    assert len(alice.api.notifications()) == 4
    only_bob = alice.api.notifications(account_id=bob.id)
    assert [(n.type, n.account.id) for n in only_bob] == [("mention", bob.id), ("follow", bob.id)]
    assert only_bob[0].status.id == from_bob.id
    only_carol_mentions = alice.api.notifications(account_id=carol.id, types=["mention"])
    assert [(n.type, n.account.id) for n in only_carol_mentions] == [("mention", carol.id)]


def test_notifications_pagination(alice, bob):
    mentions = [bob.api.status_post(f"@{alice.username} mention {i}") for i in range(7)]
    first = alice.api.notifications(limit=3)
    assert [n.status.id for n in first] == [m.id for m in reversed(mentions)][:3]
    seen = list(first)
    page = first
    while True:
        page = alice.api.fetch_next(page)
        if not page:
            break
        seen.extend(page)
    assert [n.status.id for n in seen] == [m.id for m in reversed(mentions)]
