"""Posting, threads, favourites, boosts, edits and deletion through Mastodon.py."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from mastodon.errors import MastodonAPIError, MastodonNotFoundError


class Links(HTMLParser):
    """Collects <a> elements of status HTML: (href, classes, text)."""

    def __init__(self, html: str):
        super().__init__()
        self.links: list[tuple[str, set[str], str]] = []
        self._open: list | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            a = dict(attrs)
            self._open = [a.get("href", ""), set((a.get("class") or "").split()), ""]

    def handle_data(self, data):
        if self._open is not None:
            self._open[2] += data

    def handle_endtag(self, tag):
        if tag == "a" and self._open is not None:
            self.links.append(tuple(self._open))
            self._open = None


def text_of(html: str) -> str:
    out: list[str] = []
    p = HTMLParser()
    p.handle_data = out.append
    p.feed(html)
    return "".join(out)


def test_mentions_and_hashtags(alice, bob, base_url):
    status = alice.api.status_post(f"Hello @{bob.username}, see #ParleyTest and #second_tag!")

    assert [m.id for m in status.mentions] == [bob.id]
    mention = status.mentions[0]
    assert mention.username == bob.username
    assert mention.acct == bob.username
    assert mention.url == bob.account.url

    assert sorted(t.name.lower() for t in status.tags) == ["parleytest", "second_tag"]
    for tag in status.tags:
        assert tag.url.lower() == f"{base_url}/tags/{tag.name.lower()}"

    links = Links(status.content).links
    mention_links = [l for l in links if "mention" in l[1] and "hashtag" not in l[1]]
    assert [(href, text) for href, _, text in mention_links] == [(bob.account.url, f"@{bob.username}")]
    tag_links = {text.lower(): href.lower() for href, classes, text in links if "hashtag" in classes}
    assert tag_links == {
        "#parleytest": f"{base_url}/tags/parleytest",
        "#second_tag": f"{base_url}/tags/second_tag",
    }
    assert text_of(status.content) == f"Hello @{bob.username}, see #ParleyTest and #second_tag!"

    # The hashtag timeline finds it; another reader sees the same entity.
    assert status.id in [s.id for s in bob.api.timeline_hashtag("parleytest")]
    seen = bob.api.status(status.id)
    assert seen.content == status.content
    assert [m.id for m in seen.mentions] == [bob.id]

    # The mentioned account is notified.
    notes = bob.api.notifications(types=["mention"])
    assert [n.status.id for n in notes] == [status.id]


def test_plain_text_is_escaped_and_links_are_linked(alice):
    status = alice.api.status_post("1 < 2 & <b>not bold</b> https://example.org/page?a=1&b=2")
    assert "<b>" not in status.content
    assert "&lt;b&gt;" in status.content
    hrefs = [href for href, _, _ in Links(status.content).links]
    assert hrefs == ["https://example.org/page?a=1&b=2"]
    assert text_of(status.content) == "1 < 2 & <b>not bold</b> https://example.org/page?a=1&b=2"


def test_paragraphs_length_limit_and_idempotency(alice):
    status = alice.api.status_post("line one\nline two\n\nsecond paragraph ✨ émoji")
    assert status.content == "<p>line one<br />line two</p><p>second paragraph ✨ émoji</p>"

    assert alice.api.status_post("x" * 500).id
    with pytest.raises(MastodonAPIError) as err:
        alice.api.status_post("x" * 501)
    assert err.value.args[1] == 422
    # A URL counts as 23 characters whatever its length.
    assert alice.api.status_post("y" * 470 + " https://example.org/" + "z" * 100).id

    # The same Idempotency-Key posts once (toot sends one with every post).
    first = alice.api.status_post("only once", idempotency_key="parley-idem-1")
    again = alice.api.status_post("only once", idempotency_key="parley-idem-1")
    assert again.id == first.id
    texts = [s.content for s in alice.api.account_statuses(alice.id, limit=40)]
    assert texts.count("<p>only once</p>") == 1


def test_replies_and_context(alice, bob, carol):
    root = alice.api.status_post("Root of the thread")
    reply = bob.api.status_post(f"@{alice.username} first reply", in_reply_to_id=root.id)
    assert reply.in_reply_to_id == root.id
    assert reply.in_reply_to_account_id == alice.id

    # status_reply mentions the author and everyone mentioned (but not oneself).
    reply2 = carol.api.status_reply(reply, "second reply")
    assert reply2.in_reply_to_id == reply.id
    assert reply2.in_reply_to_account_id == bob.id
    assert {m.id for m in reply2.mentions} == {alice.id, bob.id}

    unrelated = alice.api.status_post("Not part of the thread")

    ctx = alice.api.status_context(root.id)
    assert ctx.ancestors == []
    assert [s.id for s in ctx.descendants] == [reply.id, reply2.id]

    ctx = carol.api.status_context(reply.id)
    assert [s.id for s in ctx.ancestors] == [root.id]
    assert [s.id for s in ctx.descendants] == [reply2.id]

    ctx = bob.api.status_context(reply2.id)
    assert [s.id for s in ctx.ancestors] == [root.id, reply.id]
    assert ctx.descendants == []

    assert alice.api.status_context(unrelated.id) == {"ancestors": [], "descendants": []}

    assert alice.api.status(root.id).replies_count == 1
    assert alice.api.status(reply.id).replies_count == 1


def test_favourite_and_reblog(alice, bob, carol):
    status = alice.api.status_post("Favourite and boost me")

    fav = bob.api.status_favourite(status.id)
    assert fav.id == status.id
    assert fav.favourited is True
    assert fav.favourites_count == 1
    # Favouriting again changes nothing.
    assert bob.api.status_favourite(status.id).favourites_count == 1
    assert [a.id for a in alice.api.status_favourited_by(status.id)] == [bob.id]

    boost = carol.api.status_reblog(status.id)
    assert boost.reblog is not None
    assert boost.reblog.id == status.id
    assert boost.reblog.reblogged is True
    assert boost.reblog.reblogs_count == 1
    assert boost.account.id == carol.id
    assert boost.id != status.id
    assert [a.id for a in alice.api.status_reblogged_by(status.id)] == [carol.id]

    # The boost is on carol's profile, wrapping the original.
    carols = carol.api.account_statuses(carol.id)
    assert [(s.id, s.reblog.id if s.reblog else None) for s in carols] == [(boost.id, status.id)]

    # Counts as everyone sees them; the viewer's own flags.
    for viewer in (alice, bob, carol):
        seen = viewer.api.status(status.id)
        assert (seen.favourites_count, seen.reblogs_count) == (1, 1)
    assert bob.api.status(status.id).favourited is True
    assert bob.api.status(status.id).reblogged is False
    assert carol.api.status(status.id).reblogged is True
    assert carol.api.status(status.id).favourited is False

    unfav = bob.api.status_unfavourite(status.id)
    assert unfav.favourited is False
    assert unfav.favourites_count == 0
    assert alice.api.status_favourited_by(status.id) == []

    unboost = carol.api.status_unreblog(status.id)
    assert unboost.id == status.id
    assert unboost.reblogged is False
    assert unboost.reblogs_count == 0
    assert alice.api.status_reblogged_by(status.id) == []
    assert carol.api.account_statuses(carol.id) == []
    with pytest.raises(MastodonNotFoundError):
        carol.api.status(boost.id)

    seen = alice.api.status(status.id)
    assert (seen.favourites_count, seen.reblogs_count) == (0, 0)


def test_edit_history_and_source(alice, bob, carol):
    status = alice.api.status_post("First version #before", spoiler_text="cw one")
    assert status.edited_at is None
    carol.api.status_reblog(status.id)

    edited = alice.api.status_update(status.id, f"Second version @{bob.username} #after", spoiler_text="cw two")
    assert edited.id == status.id
    assert edited.edited_at is not None
    assert "Second version" in edited.content
    assert "First version" not in edited.content
    assert edited.spoiler_text == "cw two"
    assert [m.id for m in edited.mentions] == [bob.id]
    assert [t.name.lower() for t in edited.tags] == ["after"]

    # Others see the new text.
    assert "Second version" in bob.api.status(status.id).content

    history = alice.api.status_history(status.id)
    assert len(history) == 2
    assert "First version" in history[0].content
    assert history[0].spoiler_text == "cw one"
    assert "Second version" in history[1].content
    assert history[1].spoiler_text == "cw two"
    assert history[0].created_at <= history[1].created_at
    assert all(h.account.id == alice.id for h in history)

    # Those who boosted it are told it changed.
    updates = carol.api.notifications(types=["update"])
    assert [(n.type, n.status.id, n.account.id) for n in updates] == [("update", status.id, alice.id)]

    source = alice.api.status_source(status.id)
    assert source.id == status.id
    assert source.text == f"Second version @{bob.username} #after"
    assert source.spoiler_text == "cw two"


def test_only_the_author_may_edit_or_delete(alice, bob):
    status = alice.api.status_post("Mine")
    with pytest.raises(MastodonAPIError) as edit_err:
        bob.api.status_update(status.id, "Not yours")
    with pytest.raises(MastodonAPIError) as delete_err:
        bob.api.status_delete(status.id)
    # Mastodon answers 403 to the edit and 404 to the delete; either refusal will do.
    assert edit_err.value.args[1] in (403, 404)
    assert delete_err.value.args[1] in (403, 404)
    assert alice.api.status(status.id).content == "<p>Mine</p>"
    assert len(alice.api.status_history(status.id)) == 1


def test_delete_returns_source(alice, bob):
    status = alice.api.status_post(f"Delete me, @{bob.username} #gone", spoiler_text="cw")
    boost = bob.api.status_reblog(status.id)
    bob.api.status_favourite(status.id)
    assert [n.status.id for n in bob.api.notifications(types=["mention"])] == [status.id]
    before = alice.api.account_verify_credentials().statuses_count

    deleted = alice.api.status_delete(status.id)
    assert deleted.id == status.id
    assert deleted.text == f"Delete me, @{bob.username} #gone"
    assert deleted.spoiler_text == "cw"

    for viewer in (alice, bob):
        with pytest.raises(MastodonNotFoundError):
            viewer.api.status(status.id)
    assert status.id not in [s.id for s in alice.api.account_statuses(alice.id)]
    assert alice.api.account_verify_credentials().statuses_count == before - 1
    # Its boosts and the notifications about it go with it.
    with pytest.raises(MastodonNotFoundError):
        bob.api.status(boost.id)
    assert bob.api.account_statuses(bob.id) == []
    assert bob.api.notifications() == []
    assert alice.api.notifications() == []
    # Deleting twice: it is gone.
    with pytest.raises(MastodonNotFoundError):
        alice.api.status_delete(status.id)
