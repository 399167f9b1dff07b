"""Who sees private (followers-only), direct and unlisted statuses."""

from __future__ import annotations

import pytest
from mastodon.errors import MastodonAPIError, MastodonNotFoundError


def ids(items):
    return [s.id for s in items]


def public_ids(api):
    return ids(api.timeline_public(limit=40))


def test_private_status(alice, bob, carol, anon):
    """bob follows alice, carol is a stranger."""
    bob.api.account_follow(alice.id)
    private = alice.api.status_post("followers only", visibility="private")
    assert private.visibility == "private"

    # The follower and the author see it.
    assert bob.api.status(private.id).visibility == "private"
    assert alice.api.status(private.id).id == private.id
    assert private.id in ids(bob.api.timeline_home())
    assert private.id in ids(bob.api.account_statuses(alice.id))

    # A stranger and anonymous do not.
    with pytest.raises(MastodonNotFoundError):
        carol.api.status(private.id)
    with pytest.raises(MastodonNotFoundError):
        anon.status(private.id)
    with pytest.raises(MastodonNotFoundError):
        carol.api.status_context(private.id)
    assert private.id not in ids(carol.api.account_statuses(alice.id))
    assert private.id not in ids(anon.account_statuses(alice.id))
    assert private.id not in ids(carol.api.timeline_home())

    # Not on the public timeline, for anyone.
    for api in (anon, carol.api, bob.api, alice.api):
        assert private.id not in public_ids(api)

    # A stranger cannot act on it; a follower cannot boost it.
    with pytest.raises(MastodonNotFoundError):
        carol.api.status_favourite(private.id)
    with pytest.raises(MastodonAPIError):
        bob.api.status_reblog(private.id)
    assert alice.api.status(private.id).reblogs_count == 0


def test_private_status_visible_to_mentioned_stranger(alice, carol, make_user):
    dave = make_user("dave")
    private = alice.api.status_post(f"@{carol.username} just for followers and you", visibility="private")
    assert carol.api.status(private.id).id == private.id
    with pytest.raises(MastodonNotFoundError):
        dave.api.status(private.id)


def test_direct_status(alice, bob, carol, anon):
    """bob is mentioned; carol follows alice but is not mentioned."""
    carol.api.account_follow(alice.id)
    direct = alice.api.status_post(f"@{bob.username} a secret between us", visibility="direct")
    assert direct.visibility == "direct"
    assert [m.id for m in direct.mentions] == [bob.id]

    assert bob.api.status(direct.id).visibility == "direct"
    assert alice.api.status(direct.id).id == direct.id
    assert [n.status.id for n in bob.api.notifications(types=["mention"])] == [direct.id]

    for outsider in (carol.api, anon):
        with pytest.raises(MastodonNotFoundError):
            outsider.status(direct.id)
        assert direct.id not in ids(outsider.account_statuses(alice.id))
    assert direct.id not in ids(carol.api.timeline_home())
    assert carol.api.notifications() == []

    for api in (anon, carol.api, bob.api, alice.api):
        assert direct.id not in public_ids(api)

    # A reply from bob in the same conversation is visible to alice but not carol.
    reply = bob.api.status_reply(direct, "got it", visibility="direct")
    assert alice.api.status(reply.id).in_reply_to_id == direct.id
    with pytest.raises(MastodonNotFoundError):
        carol.api.status(reply.id)
    assert [s.id for s in alice.api.status_context(direct.id).descendants] == [reply.id]
    # The author of a hidden ancestor is not leaked through the context of a visible reply.
    public_reply = bob.api.status_post("public reply to a secret", in_reply_to_id=direct.id)
    ctx = carol.api.status_context(public_reply.id)
    assert direct.id not in ids(ctx.ancestors)


def test_unlisted_status(alice, carol, anon):
    unlisted = alice.api.status_post("quietly public", visibility="unlisted")
    assert unlisted.visibility == "unlisted"
    assert anon.status(unlisted.id).id == unlisted.id
    assert carol.api.status(unlisted.id).id == unlisted.id
    assert unlisted.id in ids(anon.account_statuses(alice.id))
    assert unlisted.id not in public_ids(anon)
