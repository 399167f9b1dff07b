"""Conversations (direct threads, and the direct stream's conversation
events) and scheduled statuses through Mastodon.py's own calls."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest
from mastodon.errors import MastodonAPIError, MastodonNotFoundError

from conftest import ParleyServer, register_app, register_user
from test_streaming import Collector, close_soon, open_stream


class ConversationCollector(Collector):
    def on_conversation(self, conversation):
        self._add("conversation", conversation)


def test_direct_messages_make_conversations_read_and_unread(alice, bob, carol):
    first = alice.api.status_post(f"@{bob.username} a private word", visibility="direct")
    [mine] = alice.api.conversations()
    assert mine.unread is False
    assert [a.id for a in mine.accounts] == [bob.id]
    assert mine.last_status.id == first.id

    [theirs] = bob.api.conversations()
    assert theirs.unread is True
    assert theirs.last_status.visibility == "direct"
    assert carol.api.conversations() == []

    read = bob.api.conversations_read(theirs.id)
    assert read.id == theirs.id
    assert read.unread is False
    reply = bob.api.status_post(f"@{alice.username} noted", visibility="direct", in_reply_to_id=first.id)
    [mine] = alice.api.conversations()
    assert (mine.last_status.id, mine.unread) == (reply.id, True)


def test_the_direct_stream_tells_of_a_new_direct_message(alice, bob):
    collector = ConversationCollector()
    handle = open_stream(bob.api.stream_direct, collector)
    try:
        sent = alice.api.status_post(f"@{bob.username} streamed", visibility="direct")
        conversation = collector.wait_for(lambda kind, c: kind == "conversation" and c.last_status.id == sent.id)
        assert conversation.unread is True
        assert [a.id for a in conversation.accounts] == [alice.id]
    finally:
        close_soon(handle)


def test_scheduled_statuses_are_listed_moved_and_cancelled(alice):
    later = datetime.now(timezone.utc) + timedelta(hours=1)
    scheduled = alice.api.status_post("Posted in an hour", scheduled_at=later, visibility="unlisted")
    assert scheduled.params.text == "Posted in an hour"
    assert scheduled.params.visibility == "unlisted"
    assert abs((scheduled.scheduled_at - later).total_seconds()) < 1
    assert [s.id for s in alice.api.scheduled_statuses()] == [scheduled.id]
    assert alice.api.scheduled_status(scheduled.id).id == scheduled.id

    moved_to = later + timedelta(hours=1)
    moved = alice.api.scheduled_status_update(scheduled.id, moved_to)
    assert abs((moved.scheduled_at - moved_to).total_seconds()) < 1
    with pytest.raises(MastodonAPIError):
        alice.api.scheduled_status_update(scheduled.id, datetime.now(timezone.utc) + timedelta(minutes=1))

    alice.api.scheduled_status_delete(scheduled.id)
    assert alice.api.scheduled_statuses() == []
    with pytest.raises(MastodonNotFoundError):
        alice.api.scheduled_status(scheduled.id)


@pytest.fixture(scope="module")
def quick_schedule_url():
    """A Parley whose scheduled statuses may be a second ahead."""
    server = ParleyServer(env={"PARLEY_STATUSES__MIN_SCHEDULE_LEAD_SECS": "1"}).start()
    try:
        yield server.url
    finally:
        server.cleanup()


def test_a_scheduled_poll_is_published_on_time(quick_schedule_url):
    user = register_user(register_app(quick_schedule_url), "sched")
    poll = user.api.make_poll(["Vladivostok", "Yekaterinburg", "St. Petersburg"], expires_in=3600)
    due = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(seconds=3)
    scheduled = user.api.status_post("Which consulate would you close?", poll=poll, scheduled_at=due)
    assert scheduled.params.poll.options == ["Vladivostok", "Yekaterinburg", "St. Petersburg"]
    assert user.api.account_statuses(user.id) == []

    deadline = time.monotonic() + 10
    while not (statuses := user.api.account_statuses(user.id)):
        assert time.monotonic() < deadline, "the scheduled status was not published"
        time.sleep(0.2)
    [status] = statuses
    assert status.created_at >= due
    assert [o.title for o in status.poll.options] == ["Vladivostok", "Yekaterinburg", "St. Petersburg"]
    assert user.api.scheduled_statuses() == []
