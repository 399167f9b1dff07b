"""The toot CLI (0.52) against Parley, run as a subprocess with its own config dir.

toot keeps its logins in $XDG_CONFIG_HOME/toot/config.json (toot/config.py):
  {"apps":  {INSTANCE: {"instance", "base_url", "client_id", "client_secret"}},
   "users": {"USERNAME@INSTANCE": {"instance", "username", "access_token"}},
   "active_user": "USERNAME@INSTANCE"}
where INSTANCE is the `uri` of /api/v1/instance.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qsl, urlparse

import pytest
import requests

from conftest import App, User, register_app, register_user
from test_auth import approve, code_from

TOOT = str(Path(sys.executable).parent / "toot")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


class Toot:
    """Runs `toot` with HOME and XDG dirs inside a temporary directory."""

    def __init__(self, home: Path):
        self.home = home
        self.config_home = home / "config"
        self.env = {
            **os.environ,
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(self.config_home),
            "XDG_CACHE_HOME": str(home / "cache"),
            "TERM": "dumb",
            "NO_COLOR": "1",
            "COLUMNS": "120",
            "PYTHONUNBUFFERED": "1",
        }
        self.env.pop("TOOT_TESTING", None)
        self.env.pop("TOOT_POST_VISIBILITY", None)

    @property
    def config_path(self) -> Path:
        return self.config_home / "toot" / "config.json"

    def run(self, *args: str, ok: bool = True, stdin: str | None = None) -> subprocess.CompletedProcess:
        proc = subprocess.run(
            [TOOT, *args], env=self.env, input=stdin if stdin is not None else "",
            capture_output=True, text=True, timeout=60,
        )
        proc.stdout = ANSI.sub("", proc.stdout)
        proc.stderr = ANSI.sub("", proc.stderr)
        if ok:
            assert proc.returncode == 0, (
                f"toot {' '.join(args)} exited {proc.returncode}\n"
                f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
            )
        return proc

    def write_config(self, app: App, user: User) -> str:
        instance = requests.get(app.base_url + "/api/v1/instance", timeout=30).json()["uri"]
        user_id = f"{user.username}@{instance}"
        config = {
            "apps": {instance: {
                "instance": instance,
                "base_url": app.base_url,
                "client_id": app.client_id,
                "client_secret": app.client_secret,
            }},
            "users": {user_id: {
                "instance": instance,
                "username": user.username,
                "access_token": user.token,
            }},
            "active_user": user_id,
        }
        self.config_path.parent.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(json.dumps(config, indent=1))
        return user_id


@pytest.fixture
def toot(tmp_path) -> Toot:
    return Toot(tmp_path)


def plain(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


def test_toot_with_config_file(toot, app, alice, bob):
    user_id = toot.write_config(app, alice)

    out = toot.run("auth").stdout
    assert user_id in out and "ACTIVE" in out

    out = toot.run("whoami").stdout
    assert f"@{alice.username}" in out
    assert f"ID: {alice.id}" in out

    out = toot.run("whoami", "--json").stdout
    assert json.loads(out)["username"] == alice.username

    # Post: toot prints the status URL; the server has the status.
    out = toot.run("post", "Hello from toot #tootcli").stdout
    match = re.search(r"Toot posted: (\S+)", out)
    assert match, out
    [posted] = alice.api.account_statuses(alice.id)
    assert match.group(1) == posted.url
    assert plain(posted.content) == "Hello from toot #tootcli"
    assert [t.name.lower() for t in posted.tags] == ["tootcli"]
    assert posted.visibility == "public"

    out = toot.run("post", "--visibility", "private", "--reply-to", str(posted.id), "A private follow-up").stdout
    assert "Toot posted:" in out
    followup = alice.api.account_statuses(alice.id)[0]
    assert followup.visibility == "private"
    assert followup.in_reply_to_id == posted.id

    # Follow by username: toot finds the account through /api/v2/search.
    out = toot.run("follow", bob.username).stdout
    assert f"You are now following {bob.username}" in out
    [rel] = alice.api.account_relationships([bob.id])
    assert rel.following is True

    # Home timeline shows the followed account's post.
    bobs = bob.api.status_post("Bob says hi to his followers")
    out = toot.run("timeline", "--once").stdout
    assert "Bob says hi to his followers" in out
    assert f"@{bob.username}" in out
    assert "Hello from toot #tootcli" in out
    out = toot.run("timelines", "home", "--no-pager", "--no-clear").stdout
    assert "Bob says hi to his followers" in out
    out = toot.run("timeline", "--public", "--once").stdout
    assert "Hello from toot #tootcli" in out
    assert "A private follow-up" not in out
    out = toot.run("timelines", "account", bob.username, "--no-pager", "--no-clear").stdout
    assert "Bob says hi to his followers" in out

    # Favourite and boost through toot; the server counts them.
    assert toot.run("favourite", str(bobs.id)).returncode == 0
    assert toot.run("reblog", str(bobs.id)).returncode == 0
    seen = bob.api.status(bobs.id)
    assert (seen.favourites_count, seen.reblogs_count) == (1, 1)
    assert {n.type for n in bob.api.notifications()} == {"follow", "favourite", "reblog"}

    # Notifications for alice: bob follows, mentions and favourites.
    bob.api.account_follow(alice.id)
    bob.api.status_post(f"@{alice.username} nice toot")
    bob.api.status_favourite(posted.id)
    out = toot.run("notifications").stdout
    assert "now follows you" in out
    assert "mentioned you" in out
    assert "favourited your status" in out
    assert "nice toot" in out
    out = toot.run("notifications", "--type", "mention").stdout
    assert "mentioned you" in out and "now follows you" not in out

    out = toot.run("notifications", "--clear").stdout
    assert "Notifications cleared" in out
    assert alice.api.notifications() == []
    assert "You have no notifications" in toot.run("notifications").stdout

    # Thread and status views.
    out = toot.run("thread", str(posted.id)).stdout
    assert "Hello from toot #tootcli" in out and "A private follow-up" in out

    out = toot.run("unfollow", bob.username).stdout
    assert f"You are no longer following {bob.username}" in out
    assert alice.api.account_relationships([bob.id])[0].following is False

    out = toot.run("delete", str(followup.id)).stdout
    assert "deleted" in out.lower()
    assert [s.id for s in alice.api.account_statuses(alice.id, exclude_reblogs=True)] == [posted.id]


def test_toot_reports_errors(toot, app, alice):
    toot.write_config(app, alice)
    bad = toot.run("follow", "nobody_by_this_name", ok=False)
    assert bad.returncode != 0
    assert "Account not found" in bad.stderr

    # A revoked token: toot fails cleanly instead of pretending.
    config = json.loads(toot.config_path.read_text())
    for user in config["users"].values():
        user["access_token"] = "not-a-token"
    toot.config_path.write_text(json.dumps(config))
    bad = toot.run("whoami", ok=False)
    assert bad.returncode != 0
    assert "Traceback" not in bad.stderr


def test_toot_login_browser_flow(toot, base_url, alice):
    """`toot login` (authorization code, out of band), answered on stdin."""
    proc = subprocess.Popen(
        [TOOT, "login", "--instance", base_url], env=toot.env,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        login_url = None
        for line in proc.stdout:
            line = ANSI.sub("", line).strip()
            if line.startswith(base_url + "/oauth/authorize"):
                login_url = line
                break
        assert login_url, f"toot printed no login URL; stderr: {proc.stderr.read() if proc.poll() is not None else ''}"
        query = dict(parse_qsl(urlparse(login_url).query))
        assert query["redirect_uri"] == "urn:ietf:wg:oauth:2.0:oob"

        code = code_from(approve(login_url, alice.email, alice.password))
        out, err = proc.communicate(f"n\n{code}\n", timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, f"stdout:\n{out}\nstderr:\n{err}"
    assert "Successfully logged in" in ANSI.sub("", out)

    config = json.loads(toot.config_path.read_text())
    assert config["active_user"].startswith(alice.username + "@")

    out = toot.run("whoami").stdout
    assert f"@{alice.username}" in out
    toot.run("post", "Posted after toot login")
    assert plain(alice.api.account_statuses(alice.id)[0].content) == "Posted after toot login"


def test_toot_login_cli_password_grant(toot, password_grant_url):
    """`toot login_cli` uses the password grant, which Parley enables by configuration."""
    app = register_app(password_grant_url, "password grant server")
    user = register_user(app, "pw")

    out = toot.run(
        "login_cli", "--instance", password_grant_url, "--email", user.email, "--password", user.password
    ).stdout
    assert "Successfully logged in" in out

    out = toot.run("whoami").stdout
    assert f"@{user.username}" in out
    toot.run("post", "Posted after toot login_cli")
    assert plain(user.api.account_statuses(user.id)[0].content) == "Posted after toot login_cli"

    bad = toot.run("login_cli", "--instance", password_grant_url, "--email", user.email,
                   "--password", "wrong password", ok=False)
    assert bad.returncode != 0
    assert "Login failed" in bad.stderr


def test_toot_login_cli_refused_without_password_grant(toot, base_url, alice):
    """With the grant off (the default), login_cli fails and saves no user."""
    bad = toot.run("login_cli", "--instance", base_url, "--email", alice.email,
                   "--password", alice.password, ok=False)
    assert bad.returncode != 0
    assert "Login failed" in bad.stderr
    config = json.loads(toot.config_path.read_text())
    assert config["users"] == {}
