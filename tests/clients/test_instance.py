"""Instance information as Mastodon.py reads it (it also drives its version checks)."""

from __future__ import annotations

from conftest import client


def test_instance_and_version_detection(base_url, alice):
    api = client(base_url)

    v1 = api.instance_v1()
    assert v1.uri == base_url.split("://", 1)[1]
    assert v1.registrations is True
    assert v1.configuration.statuses.max_characters == 500

    v2 = api.instance_v2()
    assert v2.domain == v1.uri
    assert v2.configuration.statuses.max_characters == 500

    # Mastodon.py reads the version from /api/v1/instance/ and /api/v2/instance/
    # (with the trailing slash) and picks endpoints by it.
    assert api.retrieve_mastodon_version(fail_hard=True).startswith("4.")
    assert api.verify_minimum_version("4.0.0", cached=True)
    assert api.instance().domain == v1.uri

    # The counters follow the data.
    assert client(base_url).instance_v1().stats.user_count >= 1
