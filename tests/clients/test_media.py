"""Media with real clients: Mastodon.py's media_post and status_post(media_ids=…),
and toot's `post --media`."""

from __future__ import annotations

import re
import struct
import zlib

import pytest
import requests
from mastodon import MastodonAPIError

from test_toot import Toot


def png(width: int, height: int) -> bytes:
    """A small RGB PNG, made with the standard library only."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    rows = b"".join(
        b"\x00" + b"".join(bytes((x * 7 % 256, y * 5 % 256, 90)) for x in range(width)) for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def test_mastodon_py_uploads_and_attaches(alice, anon):
    media = alice.api.media_post(png(320, 200), mime_type="image/png", description="Three consulates on a map", focus=(0.2, -0.4))
    assert media.type == "image"
    assert media.description == "Three consulates on a map"
    assert media.meta.original.width == 320 and media.meta.original.height == 200
    assert media.meta.focus.x == pytest.approx(0.2)
    assert media.blurhash

    # The file is there, as an image, and inert.
    resp = requests.get(media.url, timeout=30)
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "image/jpeg"
    assert resp.headers["x-content-type-options"] == "nosniff"

    status = alice.api.status_post("Which one would you close?", media_ids=[media])
    assert [m.id for m in status.media_attachments] == [media.id]
    seen = anon.status(status.id)
    assert seen.media_attachments[0].url == media.url
    assert seen.media_attachments[0].description == "Three consulates on a map"

    only = anon.account_statuses(alice.id, only_media=True)
    assert [s.id for s in only] == [status.id]

    # Mastodon's limits hold through the client too.
    five = [alice.api.media_post(png(8, 8), mime_type="image/png") for _ in range(5)]
    with pytest.raises(MastodonAPIError) as refused:
        alice.api.status_post("too many", media_ids=five)
    assert "Cannot attach more than 4 files" in str(refused.value)


def test_mastodon_py_refuses_what_is_not_an_image(alice):
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'
    with pytest.raises(MastodonAPIError) as refused:
        alice.api.media_post(svg, mime_type="image/png", file_name="innocent.png")
    assert "Validation failed" in str(refused.value)


def test_toot_posts_with_media(tmp_path, app, alice):
    toot = Toot(tmp_path)
    toot.write_config(app, alice)
    picture = tmp_path / "letter.png"
    picture.write_bytes(png(400, 300))
    out = toot.run("post", "--media", str(picture), "--description", "A signed letter", "The letter, in full").stdout
    assert re.search(r"Toot posted: (\S+)", out), out
    [posted] = alice.api.account_statuses(alice.id)
    assert len(posted.media_attachments) == 1
    attachment = posted.media_attachments[0]
    assert attachment.description == "A signed letter"
    assert attachment.meta.original.width == 400
    assert requests.get(attachment.preview_url, timeout=30).status_code == 200
