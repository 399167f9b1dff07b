"""Polls through the real clients: Mastodon.py creates, reads and votes; toot
posts a poll, shows it and votes in it."""

from __future__ import annotations

import json

import pytest
from mastodon import MastodonAPIError, MastodonNotFoundError

from test_toot import Toot


@pytest.fixture
def toot(tmp_path) -> Toot:
    return Toot(tmp_path)


def counts(poll) -> list:
    return [o["votes_count"] for o in poll["options"]]


def test_mastodon_py_creates_reads_and_votes(alice, bob, carol, anon):
    poll = alice.api.make_poll(["Vladivostok", "Yekaterinburg", "St. Petersburg"], expires_in=3600)
    status = alice.api.status_post("What US Consulate General would you close?", poll=poll)
    assert [o["title"] for o in status.poll.options] == ["Vladivostok", "Yekaterinburg", "St. Petersburg"]
    assert status.poll.multiple is False and status.poll.expired is False
    assert status.poll.voters_count == 0

    voted = bob.api.poll_vote(status.poll.id, [2])
    assert voted.voted is True and voted.own_votes == [2]
    assert counts(voted) == [0, 0, 1]

    # A second vote, a vote on one's own poll and an out-of-range choice are refused; nothing changes.
    with pytest.raises(MastodonAPIError) as again:
        bob.api.poll_vote(status.poll.id, [0])
    assert "already voted" in str(again.value)
    with pytest.raises(MastodonAPIError) as own:
        alice.api.poll_vote(status.poll.id, [0])
    assert "own polls" in str(own.value)
    with pytest.raises(MastodonAPIError):
        carol.api.poll_vote(status.poll.id, [7])

    read = anon.poll(status.poll.id)
    assert counts(read) == [0, 0, 1] and read.votes_count == 1 and read.voters_count == 1
    assert read.get("voted") is None, "an anonymous reader has not voted or not: no `voted`"
    mine = carol.api.poll(status.poll.id)
    assert mine.voted is False and mine.own_votes == []
    # The poll travels with its status in timelines.
    [first] = carol.api.timeline_public(limit=1)
    assert first.poll.id == status.poll.id


def test_mastodon_py_multiple_choice_and_hidden_totals(alice, bob):
    poll = alice.api.make_poll(["a", "b", "c"], expires_in=600, multiple=True, hide_totals=True)
    status = alice.api.status_post("Pick any", poll=poll)
    voted = bob.api.poll_vote(status.poll.id, [0, 2])
    assert voted.own_votes == [0, 2]
    assert counts(voted) == [None, None, None], "totals stay hidden until the end"
    assert voted.votes_count == 2 and voted.voters_count == 1
    assert counts(alice.api.poll(status.poll.id)) == [None, None, None], "hidden from the author too"


def test_mastodon_py_private_poll_is_invisible_to_strangers(alice, bob, carol):
    poll = alice.api.make_poll(["yes", "no"], expires_in=600)
    status = alice.api.status_post("Followers only", poll=poll, visibility="private")
    with pytest.raises(MastodonNotFoundError):
        carol.api.poll(status.poll.id)
    with pytest.raises(MastodonNotFoundError):
        carol.api.poll_vote(status.poll.id, [0])
    bob.api.account_follow(alice.id)
    assert bob.api.poll_vote(status.poll.id, [1]).own_votes == [1]


def test_toot_posts_shows_and_votes(toot, app, alice, bob):
    toot.write_config(app, alice)
    out = toot.run(
        "post", "Which consulate would you close?",
        "--poll-option", "Vladivostok", "--poll-option", "Yekaterinburg", "--poll-option", "St. Petersburg",
        "--poll-expires-in", "1h",
    ).stdout
    assert "Toot posted:" in out
    [status] = alice.api.account_statuses(alice.id, limit=1)
    assert status.poll is not None
    assert [o["title"] for o in status.poll.options] == ["Vladivostok", "Yekaterinburg", "St. Petersburg"]
    poll_id = str(status.poll.id)

    toot.write_config(app, bob)
    out = toot.run("polls", "vote", poll_id, "2").stdout
    assert "You voted!" in out
    shown = json.loads(toot.run("polls", "show", poll_id, "--json").stdout)
    assert counts(shown) == [0, 0, 1]
    assert shown["voted"] is True and shown["own_votes"] == [2]
    refused = toot.run("polls", "vote", poll_id, "0", ok=False)
    assert refused.returncode != 0
    assert "already voted" in (refused.stdout + refused.stderr)
    assert counts(alice.api.poll(poll_id)) == [0, 0, 1]
