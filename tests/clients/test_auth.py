"""Apps, registration and OAuth through Mastodon.py (and the consent form over plain HTTP)."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from urllib.parse import parse_qsl, urlencode, urlparse

import pytest
import requests
from mastodon import Mastodon
from mastodon.errors import MastodonAPIError, MastodonIllegalArgumentError, MastodonUnauthorizedError

from conftest import OOB, PASSWORD, SCOPES, client, unique_name

CODE_RE = re.compile(r'<code class="code" id="code">([^<]+)</code>')


def approve(authorize_url: str, login: str, password: str, **extra) -> requests.Response:
    """Submit the consent form for `authorize_url` as a person would (sign in, Approve)."""
    page = requests.get(authorize_url, timeout=30)
    assert page.status_code == 200, page.text
    assert "<form" in page.text
    params = dict(parse_qsl(urlparse(authorize_url).query))
    params.update(extra)
    form = {**params, "login": login, "password": password, "decision": "approve"}
    origin = "{0.scheme}://{0.netloc}".format(urlparse(authorize_url))
    return requests.post(origin + "/oauth/authorize", data=form, allow_redirects=False, timeout=30)


def code_from(page: requests.Response) -> str:
    assert page.status_code == 200, page.text
    match = CODE_RE.search(page.text)
    assert match, f"no authorization code on the page:\n{page.text}"
    return match.group(1).strip()


def test_create_app_create_account_and_verify_credentials(base_url):
    client_id, client_secret = Mastodon.create_app(
        "parley registration test",
        scopes=SCOPES,
        redirect_uris=OOB,
        website="https://example.org/registration",
        api_base_url=base_url,
    )
    assert client_id and client_secret

    api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=base_url)
    username = unique_name("reg")
    token = api.create_account(username, PASSWORD, f"{username}@example.org", agreement=True, scopes=SCOPES)
    assert isinstance(token, str) and token

    # The token create_account returns is the new user's: a fresh client with only it works.
    me = client(base_url, access_token=token).account_verify_credentials()
    assert me.username == username
    assert me.acct == username
    assert me.statuses_count == 0
    assert me.followers_count == 0
    assert me.following_count == 0
    assert me.source.privacy == "public"
    assert me.url.endswith(f"/@{username}")

    # Same account through the client create_account logged in.
    assert api.account_verify_credentials().id == me.id
    # And the token belongs to the app that was registered.
    assert api.app_verify_credentials().name == "parley registration test"

    # The public profile is the same account.
    assert client(base_url).account(me.id).username == username


def test_create_account_validation_errors(base_url, app):
    def attempt(username, password, email, agreement=True):
        api = Mastodon(client_id=app.client_id, client_secret=app.client_secret, api_base_url=base_url)
        return api.create_account(username, password, email, agreement=agreement, return_detailed_error=True)

    username = unique_name("dup")
    token, _ = attempt(username, PASSWORD, f"{username}@example.org")
    assert token

    cases = [
        # (username, password, email, agreement) -> (field, error)
        ((username, PASSWORD, f"other-{username}@example.org", True), ("username", "ERR_TAKEN")),
        ((username.upper(), PASSWORD, f"upper-{username}@example.org", True), ("username", "ERR_TAKEN")),
        ((unique_name(), PASSWORD, f"{username.upper()}@EXAMPLE.ORG", True), ("email", "ERR_TAKEN")),
        ((unique_name(), "short", f"{unique_name()}@example.org", True), ("password", "ERR_TOO_SHORT")),
        ((unique_name(), PASSWORD, f"{unique_name()}@example.org", False), ("agreement", "ERR_ACCEPTED")),
        (("bad name!", PASSWORD, f"{unique_name()}@example.org", True), ("username", "ERR_INVALID")),
        ((unique_name(), PASSWORD, "not-an-email", True), ("email", "ERR_INVALID")),
    ]
    for args, (field, code) in cases:
        token, error = attempt(*args)
        assert token is None, args
        assert error.error.startswith("Validation failed"), args
        assert [d.error for d in error.details[field]] == [code], (args, error)


def test_oauth_authorization_code_flow(base_url, alice):
    scopes = ["read", "write", "follow"]
    client_id, client_secret = Mastodon.create_app(
        "parley oauth test", scopes=scopes, redirect_uris=OOB, api_base_url=base_url
    )
    api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=base_url)

    # The server advertises its endpoints (RFC 8414) and Mastodon.py uses them.
    info = api.oauth_authorization_server_info()
    assert "authorization_code" in info["grant_types_supported"]
    assert info["authorization_endpoint"] == base_url + "/oauth/authorize"

    url = api.auth_request_url(redirect_uris=OOB, scopes=scopes, state="s-123", allow_http=True)
    query = dict(parse_qsl(urlparse(url).query))
    assert urlparse(url).path == "/oauth/authorize"
    assert query["client_id"] == client_id and query["scope"] == "read write follow"

    # A wrong password shows the form again, with no code.
    wrong = approve(url, alice.email, "not the password")
    assert wrong.status_code == 401
    assert not CODE_RE.search(wrong.text)

    code = code_from(approve(url, alice.email, alice.password))
    token = api.log_in(code=code, redirect_uri=OOB, scopes=scopes, allow_http=True)
    assert token

    me = api.account_verify_credentials()
    assert me.id == alice.id
    assert me.username == alice.username
    assert api.app_verify_credentials().name == "parley oauth test"

    # The token can act for the user.
    posted = api.status_post("signed in through the consent page")
    assert posted.account.id == alice.id

    # A code works once.
    again = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=base_url)
    with pytest.raises(MastodonIllegalArgumentError):
        again.log_in(code=code, redirect_uri=OOB, scopes=scopes, allow_http=True)

    # Revoking the token signs the client out.
    api.revoke_access_token(allow_http=True)
    with pytest.raises(MastodonUnauthorizedError):
        client(base_url, access_token=token).account_verify_credentials()


def test_oauth_deny_gives_no_code(base_url, alice):
    client_id, client_secret = Mastodon.create_app("parley deny test", scopes=SCOPES, api_base_url=base_url)
    api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=base_url)
    url = api.auth_request_url(scopes=SCOPES, allow_http=True)
    params = dict(parse_qsl(urlparse(url).query))
    denied = requests.post(
        base_url + "/oauth/authorize",
        data={**params, "login": alice.email, "password": alice.password, "decision": "deny"},
        timeout=30,
    )
    assert not CODE_RE.search(denied.text)


def test_oauth_token_scopes_are_limited_to_the_request(base_url, alice):
    """A read-only grant gives a token that cannot post."""
    client_id, client_secret = Mastodon.create_app("parley read-only", scopes=SCOPES, api_base_url=base_url)
    api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=base_url)
    url = api.auth_request_url(scopes=["read"], allow_http=True)
    code = code_from(approve(url, alice.email, alice.password))
    api.log_in(code=code, scopes=["read"], allow_http=True)
    assert api.account_verify_credentials().id == alice.id
    with pytest.raises(MastodonAPIError) as err:
        api.status_post("should not be allowed")
    assert err.value.args[1] == 403


def test_oauth_pkce(base_url, alice):
    """PKCE (S256): Mastodon.py 2.3 has no PKCE helper, so the challenge is added by hand."""
    client_id, client_secret = Mastodon.create_app("parley pkce", scopes=SCOPES, api_base_url=base_url)
    api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=base_url)
    assert "S256" in api.oauth_authorization_server_info()["code_challenge_methods_supported"]

    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    url = api.auth_request_url(scopes=SCOPES, allow_http=True) + "&" + urlencode(
        {"code_challenge": challenge, "code_challenge_method": "S256"}
    )

    def exchange(code, code_verifier):
        return requests.post(base_url + "/oauth/token", data={
            "grant_type": "authorization_code",
            "client_id": client_id,
            "client_secret": client_secret,
            "redirect_uri": OOB,
            "code": code,
            "code_verifier": code_verifier,
        }, timeout=30)

    # The wrong verifier is refused (and spends the code, as in Doorkeeper).
    bad = exchange(code_from(approve(url, alice.email, alice.password)), "x" * 50)
    assert bad.status_code == 400, bad.text
    assert bad.json()["error"] == "invalid_grant"

    good = exchange(code_from(approve(url, alice.email, alice.password)), verifier)
    assert good.status_code == 200, good.text
    token = good.json()["access_token"]
    assert client(base_url, access_token=token).account_verify_credentials().id == alice.id
