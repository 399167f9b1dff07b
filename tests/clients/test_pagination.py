"""Link-header pagination as Mastodon.py walks it (fetch_next / fetch_previous)."""

from __future__ import annotations

COUNT = 45
LIMIT = 20


def walk_forward(api, first):
    pages = []
    page = first
    while page:
        pages.append(page)
        page = api.fetch_next(page)
    return pages


def walk_back(api, last):
    pages = []
    page = last
    while page:
        pages.append(page)
        page = api.fetch_previous(page)
    return pages


def ids(items):
    return [s.id for s in items]


def check_newest_first_no_duplicates(items):
    got = ids(items)
    assert len(got) == len(set(got)), "duplicates across pages"
    assert got == sorted(got, reverse=True), "not newest first"
    created = [s.created_at for s in items]
    assert created == sorted(created, reverse=True)


def test_account_statuses_walk_both_ways(alice, bob):
    posted = [alice.api.status_post(f"numbered status {i}") for i in range(COUNT)]
    expected = list(reversed(ids(posted)))  # newest first

    first = bob.api.account_statuses(alice.id, limit=LIMIT)
    pages = walk_forward(bob.api, first)
    assert [len(p) for p in pages] == [20, 20, 5]
    items = [s for p in pages for s in p]
    check_newest_first_no_duplicates(items)
    assert ids(items) == expected  # nothing missing, nothing extra

    # Back from the last page to the first, page by page.
    back = walk_back(bob.api, pages[-1])
    assert [ids(p) for p in back] == [ids(p) for p in reversed(pages)]

    # The previous page of the newest page is empty (nothing newer yet) ...
    assert not bob.api.fetch_previous(first)
    # ... until something new is posted.
    newer = alice.api.status_post("newer than everything")
    assert ids(bob.api.fetch_previous(first) or []) == [newer.id]


def test_public_timeline_walk_both_ways(alice, anon):
    posted = [alice.api.status_post(f"public numbered status {i}") for i in range(COUNT)]
    mine = list(reversed(ids(posted)))

    first = anon.timeline_public(limit=LIMIT)
    assert ids(first)[:LIMIT] == mine[:LIMIT]
    pages = walk_forward(anon, first)
    assert all(len(p) == LIMIT for p in pages[:-1])
    assert 0 < len(pages[-1]) <= LIMIT
    items = [s for p in pages for s in p]
    check_newest_first_no_duplicates(items)
    # All of alice's statuses, contiguous and in order (nobody else posted meanwhile).
    start = ids(items).index(mine[0])
    assert ids(items)[start:start + COUNT] == mine

    back = walk_back(anon, pages[-1])
    assert [ids(p) for p in back] == [ids(p) for p in reversed(pages)]

    # since_id / min_id / max_id as plain parameters.
    middle = mine[22]
    older = anon.timeline_public(max_id=middle, limit=5)
    assert ids(older) == mine[23:28]
    newer_min = anon.timeline_public(min_id=middle, limit=5)
    assert ids(newer_min) == mine[17:22]  # the five right after middle, newest first
    newer_since = anon.timeline_public(since_id=middle, limit=5)
    assert ids(newer_since) == mine[:5]  # the five newest


def test_home_timeline_walk(alice, bob):
    alice.api.account_follow(bob.id)
    posted = []
    for i in range(COUNT):
        who = bob if i % 3 else alice
        posted.append(who.api.status_post(f"home status {i}"))
    expected = list(reversed(ids(posted)))

    pages = walk_forward(alice.api, alice.api.timeline_home(limit=LIMIT))
    items = [s for p in pages for s in p]
    check_newest_first_no_duplicates(items)
    assert ids(items) == expected
    back = walk_back(alice.api, pages[-1])
    assert [ids(p) for p in back] == [ids(p) for p in reversed(pages)]
