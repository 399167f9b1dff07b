"""Mastodon's streaming API through Mastodon.py's own stream calls
(server-sent events): stream_user, stream_public, stream_hashtag."""

from __future__ import annotations

import threading
import time

from mastodon import StreamListener


class Collector(StreamListener):
    """Keeps every event a stream delivers, for the test to wait on."""

    def __init__(self):
        super().__init__()
        self.events: list[tuple[str, object]] = []
        self.changed = threading.Condition()

    def _add(self, kind, payload):
        with self.changed:
            self.events.append((kind, payload))
            self.changed.notify_all()

    def on_update(self, status):
        self._add("update", status)

    def on_notification(self, notification):
        self._add("notification", notification)

    def on_delete(self, status_id):
        self._add("delete", str(status_id))

    def on_status_update(self, status):
        self._add("status.update", status)

    def wait_for(self, matches, timeout=10.0):
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                found = [payload for kind, payload in self.events if matches(kind, payload)]
                if found:
                    return found[0]
                left = deadline - time.monotonic()
                assert left > 0, f"no matching event; got {[k for k, _ in self.events]}"
                self.changed.wait(left)


def open_stream(start, collector):
    """Starts a stream in the background and waits until it is connected."""
    handle = start(collector, run_async=True, reconnect_async=False)
    deadline = time.monotonic() + 10
    while not handle.is_receiving():
        assert time.monotonic() < deadline, "the stream did not connect"
        time.sleep(0.05)
    return handle


def close_soon(handle):
    """Closes a stream without waiting: requests drains a closed event stream
    up to the next heartbeat (15 s) before it lets go of the connection."""
    threading.Thread(target=handle.close, daemon=True).start()


def test_stream_user_receives_home_updates_notifications_edits_and_deletions(alice, bob):
    alice.api.account_follow(bob.id)
    events = Collector()
    handle = open_stream(alice.api.stream_user, events)
    try:
        post = bob.api.status_post("From the consulate")
        got = events.wait_for(lambda k, p: k == "update" and p.id == post.id)
        assert got.account.id == bob.id

        mention = bob.api.status_post(f"@{alice.username} for you")
        note = events.wait_for(lambda k, p: k == "notification" and p.type == "mention")
        assert note.status.id == mention.id

        bob.api.status_update(post.id, "From the consulate (edited)")
        edited = events.wait_for(lambda k, p: k == "status.update" and p.id == post.id)
        assert "edited" in edited.content

        bob.api.status_delete(post.id)
        events.wait_for(lambda k, p: k == "delete" and p == str(post.id))
    finally:
        close_soon(handle)


def test_stream_public_and_hashtag_carry_public_posts_only(alice, bob, carol):
    public, tagged = Collector(), Collector()
    handles = [
        open_stream(alice.api.stream_public, public),
        open_stream(lambda listener, **kw: alice.api.stream_hashtag("embassy", listener, **kw), tagged),
    ]
    try:
        hidden = bob.api.status_post("followers only #embassy", visibility="private")
        secret = bob.api.status_post(f"@{carol.username} direct #embassy", visibility="direct")
        shown = bob.api.status_post("Public news #embassy")
        for events in (public, tagged):
            got = events.wait_for(lambda k, p: k == "update")
            assert got.id == shown.id, "a stream carried a status its reader may not see"
            assert all(p.id not in (hidden.id, secret.id) for k, p in events.events if k == "update")
    finally:
        for h in handles:
            close_soon(h)
