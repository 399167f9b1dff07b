"""Fixtures for the real-client suite.

`tests/clients/run.sh` starts Parley and passes its origin in CLIENT_TESTS_URL
(and the binary in CLIENT_TESTS_BIN). Run by hand without CLIENT_TESTS_URL, the
session starts its own server from target/debug/parley. (Not PARLEY_*: Parley
refuses to start when the environment has a PARLEY_ variable it does not know.)

Every test makes its own accounts (unique usernames), so tests are independent
of each other and of their order.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
from mastodon import Mastodon

ROOT = Path(__file__).resolve().parents[2]
OOB = "urn:ietf:wg:oauth:2.0:oob"
SCOPES = ["read", "write", "follow", "push"]
PASSWORD = "correct horse battery staple"


def unique_name(prefix: str = "u") -> str:
    """A fresh username: [a-z0-9_], at most 30 characters."""
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


# ---------------------------------------------------------------------------
# Servers


def server_env() -> dict[str, str]:
    """The environment without PARLEY_* settings, so every server starts from the defaults."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}


class ParleyServer:
    """A `parley serve` process on a free loopback port with its own data dir."""

    def __init__(self, env: dict[str, str] | None = None):
        self.binary = os.environ.get("CLIENT_TESTS_BIN") or str(ROOT / "target" / "debug" / "parley")
        if not os.path.exists(self.binary):
            raise RuntimeError(f"{self.binary} is missing: run `cargo build -p parley`")
        self.dir = tempfile.mkdtemp(prefix="parley-clients-")
        self.extra_env = env or {}
        self.proc: subprocess.Popen | None = None
        self.url = ""

    def start(self) -> "ParleyServer":
        for _ in range(3):
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
            self.url = f"http://127.0.0.1:{port}"
            self.log_path = os.path.join(self.dir, f"server-{port}.log")
            self.log = open(self.log_path, "wb")
            self.proc = subprocess.Popen(
                [self.binary, "serve", "--data-dir", os.path.join(self.dir, f"db-{port}"),
                 "--listen", f"127.0.0.1:{port}"],
                stdout=self.log, stderr=subprocess.STDOUT,
                env={**server_env(), **self.extra_env},
            )
            if self._wait_ready():
                return self
            self.stop()
        with open(self.log_path, "rb") as f:
            tail = f.read()[-4000:].decode(errors="replace")
        self.cleanup()
        raise RuntimeError(f"parley did not start; the end of its log:\n{tail}")

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(self.url + "/api/v1/instance", timeout=2) as r:
                    if r.status == 200:
                        return True
            except OSError:
                pass
            time.sleep(0.1)
        return False

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        if getattr(self, "log", None):
            self.log.close()
            self.log = None

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="session")
def base_url():
    url = os.environ.get("CLIENT_TESTS_URL")
    if url:
        yield url.rstrip("/")
        return
    server = ParleyServer().start()
    try:
        yield server.url
    finally:
        server.cleanup()


@pytest.fixture(scope="session")
def password_grant_url():
    """A second Parley with the OAuth password grant enabled (for `toot login_cli`)."""
    server = ParleyServer(env={"PARLEY_OAUTH__PASSWORD_GRANT": "true"}).start()
    try:
        yield server.url
    finally:
        server.cleanup()


# ---------------------------------------------------------------------------
# Apps and accounts


@dataclasses.dataclass
class App:
    client_id: str
    client_secret: str
    base_url: str


@dataclasses.dataclass
class User:
    api: Mastodon
    account: dict
    username: str
    email: str
    password: str
    token: str

    @property
    def id(self):
        return self.account["id"]


def client(base_url: str, access_token: str | None = None, app: App | None = None) -> Mastodon:
    """A Mastodon.py client for the server (ratelimit errors raise instead of waiting)."""
    kwargs = {}
    if app is not None:
        kwargs = {"client_id": app.client_id, "client_secret": app.client_secret}
    return Mastodon(
        access_token=access_token,
        api_base_url=base_url,
        ratelimit_method="throw",
        request_timeout=30,
        **kwargs,
    )


def register_app(base_url: str, name: str = "parley client tests") -> App:
    client_id, client_secret = Mastodon.create_app(
        name,
        scopes=SCOPES,
        redirect_uris=OOB,
        website="https://example.org/parley-client-tests",
        api_base_url=base_url,
    )
    return App(client_id, client_secret, base_url)


def register_user(app: App, prefix: str = "u") -> User:
    username = unique_name(prefix)
    email = f"{username}@example.org"
    api = client(app.base_url, app=app)
    token = api.create_account(username, PASSWORD, email, agreement=True, scopes=SCOPES)
    account = api.account_verify_credentials()
    return User(api=api, account=account, username=username, email=email,
                password=PASSWORD, token=token)


@pytest.fixture(scope="session")
def app(base_url) -> App:
    return register_app(base_url)


@pytest.fixture
def make_user(app):
    """Factory: make_user("alice") registers a fresh account and returns a User."""
    def make(prefix: str = "u") -> User:
        return register_user(app, prefix)
    return make


@pytest.fixture
def alice(make_user) -> User:
    return make_user("alice")


@pytest.fixture
def bob(make_user) -> User:
    return make_user("bob")


@pytest.fixture
def carol(make_user) -> User:
    return make_user("carol")


@pytest.fixture
def anon(base_url) -> Mastodon:
    """A client with no token at all."""
    return client(base_url)
