"""Media files in S3-compatible object storage: a Parley with
`media.storage = "s3"` against a local S3 server (moto, from PyPI), driven by
Mastodon.py. The bucket is where the files land, and what is served back."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
import requests

from conftest import ParleyServer, register_app, register_user
from test_media import png

MOTO = str(Path(sys.executable).parent / "moto_server")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3():
    port = free_port()
    proc = subprocess.Popen([MOTO, "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            requests.get(endpoint, timeout=1)
            break
        except requests.ConnectionError:
            time.sleep(0.1)
    bucket = boto3.client(
        "s3", endpoint_url=endpoint, aws_access_key_id="parley", aws_secret_access_key="secret", region_name="us-east-1"
    )
    bucket.create_bucket(Bucket="parley-media")
    yield endpoint, bucket
    proc.terminate()
    proc.wait(timeout=10)


def test_uploads_live_in_the_bucket(s3):
    endpoint, bucket = s3
    server = ParleyServer({
        "PARLEY_MEDIA__STORAGE": "s3",
        "PARLEY_MEDIA__S3__ENDPOINT": endpoint,
        "PARLEY_MEDIA__S3__BUCKET": "parley-media",
        "PARLEY_MEDIA__S3__ACCESS_KEY_ID": "parley",
        "PARLEY_MEDIA__S3__SECRET_ACCESS_KEY": "secret",
    }).start()
    try:
        app = register_app(server.url)
        alice = register_user(app, "s3")
        media = alice.api.media_post(png(120, 80), mime_type="image/png", description="stored in S3")
        names = sorted(o["Key"] for o in bucket.list_objects_v2(Bucket="parley-media").get("Contents", []))
        original = media.url.rsplit("/", 1)[1]
        preview = media.preview_url.rsplit("/", 1)[1]
        assert names == sorted({original, preview})

        served = requests.get(media.url, timeout=30)
        assert served.status_code == 200
        stored = bucket.get_object(Bucket="parley-media", Key=original)["Body"].read()
        assert served.content == stored
        part = requests.get(media.url, headers={"Range": "bytes=0-9"}, timeout=30)
        assert part.status_code == 206 and part.content == stored[:10]

        # Deleting the unattached upload empties the bucket.
        requests.delete(
            f"{server.url}/api/v1/media/{media.id}", headers={"Authorization": f"Bearer {alice.token}"}, timeout=30
        ).raise_for_status()
        assert bucket.list_objects_v2(Bucket="parley-media").get("KeyCount", 0) == 0
    finally:
        server.stop()
        server.cleanup()
