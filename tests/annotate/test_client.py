"""Tests for the settings and the Label Studio client, the server ones against a real server."""

from __future__ import annotations

import time
import uuid

import httpx
import jwt
import pytest

from eventcoder.annotate.client import (
    Coder,
    call,
    connect,
    connection,
    create_coder,
    invite_link,
)
from eventcoder.errors import ServerError
from eventcoder.settings import Secret, ServerSettings, server_settings
from tests.browser import login
from tests.lsserver import LabelStudioServer, free_port

KEY = "0123456789abcdef0123456789abcdef01234567"


def _settings(server: LabelStudioServer) -> ServerSettings:
    return server_settings(server.url, server.token)


def _email() -> str:
    return f"coder-{uuid.uuid4().hex[:8]}@example.org"


# ---- settings -------------------------------------------------------------------------------


def test_flags_beat_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LABEL_STUDIO_URL", "http://env.example:8080")
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "env-key")
    settings = server_settings("http://flag.example:9000/", "flag-key")
    assert settings == ServerSettings("http://flag.example:9000", Secret("flag-key"))


def test_environment_read_at_call_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LABEL_STUDIO_URL", "http://env.example:8080")
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "env-key")
    settings = server_settings()
    assert settings.url == "http://env.example:8080"
    assert settings.api_key.reveal() == "env-key"
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "other-key")
    assert server_settings().api_key.reveal() == "other-key"


def test_empty_flag_falls_back_to_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "env-key")
    assert server_settings("http://h", "").api_key.reveal() == "env-key"


@pytest.mark.parametrize(
    ("url", "key", "names"),
    [
        (None, KEY, ("--url", "LABEL_STUDIO_URL")),
        ("http://h:8080", None, ("--api-key", "LABEL_STUDIO_API_KEY")),
        ("h:8080", KEY, ("--url", "LABEL_STUDIO_URL")),
    ],
)
def test_missing_or_bad_setting_names_what_to_set(
    url: str | None, key: str | None, names: tuple[str, str]
) -> None:
    with pytest.raises(ServerError) as caught:
        server_settings(url, key)
    message = str(caught.value)
    assert "\n" not in message
    assert all(name in message for name in names)
    assert KEY not in message


def test_secret_never_prints() -> None:
    settings = server_settings("http://h:8080", KEY)
    shown = [repr(settings), str(settings), f"{settings}", f"{settings.api_key}", f"{settings!r}"]
    shown += [repr(settings.api_key), str(settings.api_key), f"{settings.api_key:>10}"]
    assert all(KEY not in text for text in shown)
    assert repr(settings.api_key) == str(settings.api_key) == "***"
    assert settings.api_key.reveal() == KEY


# ---- retries, without a server --------------------------------------------------------------


def test_refused_connection_is_one_server_error_line_quickly() -> None:
    settings = server_settings(f"http://127.0.0.1:{free_port()}", KEY)
    began = time.monotonic()
    with connection(settings) as ls, pytest.raises(ServerError) as caught:
        call(ls.projects.list)
    elapsed = time.monotonic() - began
    message = str(caught.value)
    assert elapsed < 5
    assert "\n" not in message
    assert "127.0.0.1" in message and "could not connect" in message
    assert "after 4 attempt(s)" in message
    assert KEY not in message


def test_retries_then_succeeds() -> None:
    attempts = []

    def flaky() -> str:
        attempts.append(1)
        if len(attempts) < 3:
            raise httpx.ConnectError("refused")
        return "ok"

    assert call(flaky, retries=3) == "ok"
    assert len(attempts) == 3


def test_client_error_is_not_retried() -> None:
    attempts = []
    request = httpx.Request("GET", "http://h:1/api/x")

    def bad() -> None:
        attempts.append(1)
        response = httpx.Response(400, json={"detail": "nope"}, request=request)
        response.raise_for_status()

    with pytest.raises(ServerError) as caught:
        call(bad, what="asking", retries=3)
    assert len(attempts) == 1
    assert caught.value.status == 400
    assert str(caught.value) == "Label Studio at h:1: asking failed: HTTP 400 (nope)."


def test_server_error_status_is_retried() -> None:
    attempts = []
    request = httpx.Request("GET", "http://h:1/api/x")

    def broken() -> None:
        attempts.append(1)
        httpx.Response(503, text="down", request=request).raise_for_status()

    with pytest.raises(ServerError) as caught:
        call(broken, retries=1)
    assert len(attempts) == 2
    assert caught.value.status == 503


@pytest.mark.parametrize("claims", [{"exp": 1_000_000_000}, {}], ids=["expired", "no-exp"])
def test_unusable_personal_access_token_fails_at_connect(claims: dict[str, int]) -> None:
    pat = jwt.encode({"token_type": "refresh", "user_id": "1", **claims}, "k" * 32)
    with pytest.raises(ServerError) as caught:
        connect(server_settings("http://127.0.0.1:9", pat))
    message = str(caught.value)
    assert caught.value.status == 401
    assert "reading the API key failed: HTTP 401" in message and "LABEL_STUDIO_API_KEY" in message
    assert pat not in message


# ---- against a real server ------------------------------------------------------------------


@pytest.mark.server
def test_connect_with_legacy_token_lists_projects(ls_server: LabelStudioServer) -> None:
    with connection(_settings(ls_server)) as ls:
        me = call(ls.users.whoami)
        projects = call(lambda: list(ls.projects.list()))
    assert me.email == ls_server.email
    assert isinstance(projects, list)


@pytest.mark.server
def test_connect_without_context_manager(ls_server: LabelStudioServer) -> None:
    with httpx.Client() as http:
        ls = connect(_settings(ls_server), http=http)
        assert call(ls.users.whoami).email == ls_server.email


@pytest.mark.server
def test_two_coders_each_token_is_their_own(ls_server: LabelStudioServer) -> None:
    settings = _settings(ls_server)
    first = create_coder(settings, _email())
    second = create_coder(settings, _email(), password="a-password-of-mine")
    assert isinstance(first, Coder)
    assert first.user_id != second.user_id
    assert second.password.reveal() == "a-password-of-mine"
    assert len(first.password.reveal()) >= 20
    assert first.login_url == f"{ls_server.url}/user/login/"
    assert first.token.reveal() not in repr(first)
    for coder in (first, second):
        answer = httpx.get(
            f"{ls_server.url}/api/current-user/whoami",
            headers={"Authorization": f"Token {coder.token.reveal()}"},
        )
        assert answer.json()["email"] == coder.email
        assert answer.json()["id"] == coder.user_id


@pytest.mark.server
def test_coder_can_log_in_with_password(ls_server: LabelStudioServer) -> None:
    coder = create_coder(_settings(ls_server), _email())
    cookies = login(ls_server.url, coder.email, coder.password.reveal())
    with httpx.Client(base_url=ls_server.url, cookies=cookies) as http:
        assert http.get("/api/current-user/whoami").json()["email"] == coder.email


@pytest.mark.server
def test_taken_email_is_one_line_server_error(ls_server: LabelStudioServer) -> None:
    settings = _settings(ls_server)
    email = _email()
    create_coder(settings, email)
    with pytest.raises(ServerError) as caught:
        create_coder(settings, email, password="another-password")
    message = str(caught.value)
    assert "\n" not in message and email in message
    assert "another-password" not in message and ls_server.token not in message


@pytest.mark.server
def test_personal_access_token_identifies_its_user(ls_server: LabelStudioServer) -> None:
    coder = create_coder(_settings(ls_server), _email())
    answer = httpx.post(
        f"{ls_server.url}/api/token/",
        headers={"Authorization": f"Token {coder.token.reveal()}"},
    )
    pat = answer.json()["token"]
    assert pat.count(".") == 2  # a JWT refresh token
    with connection(server_settings(ls_server.url, pat)) as ls:
        assert call(ls.users.whoami).email == coder.email


@pytest.mark.server
def test_invite_link_is_absolute(ls_server: LabelStudioServer) -> None:
    link = invite_link(_settings(ls_server))
    assert link.startswith(f"{ls_server.url}/user/signup/?token=")


@pytest.mark.server
def test_not_found_is_server_error_with_status(ls_server: LabelStudioServer) -> None:
    with connection(_settings(ls_server)) as ls, pytest.raises(ServerError) as caught:
        call(ls.projects.get, id=987654)
    message = str(caught.value)
    assert caught.value.status == 404
    assert message == (
        f"Label Studio at 127.0.0.1:{ls_server.port}: projects.get failed: "
        "HTTP 404 (No Project matches the given query.)."
    )
    assert ls_server.token not in message


@pytest.mark.server
def test_bad_request_is_server_error_with_status(ls_server: LabelStudioServer) -> None:
    with connection(_settings(ls_server)) as ls, pytest.raises(ServerError) as caught:
        call(ls.projects.create, title="broken", label_config="<View><Choices></View>")
    assert caught.value.status == 400
    assert "projects.create failed: HTTP 400" in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.server
def test_wrong_key_says_which_setting_to_check(ls_server: LabelStudioServer) -> None:
    wrong = "f" * 40
    with connection(server_settings(ls_server.url, wrong)) as ls, pytest.raises(ServerError) as e:
        call(ls.users.whoami)
    assert e.value.status == 401
    assert "LABEL_STUDIO_API_KEY" in str(e.value) and wrong not in str(e.value)


@pytest.mark.server
def test_killed_server_is_server_error_then_restart_keeps_data(
    ls_server: LabelStudioServer,
) -> None:
    settings = _settings(ls_server)
    coder = create_coder(settings, _email())
    ls_server.stop()
    try:
        with connection(settings) as ls, pytest.raises(ServerError) as caught:
            call(ls.users.whoami, retries=1)
        assert "could not connect" in str(caught.value)
    finally:
        seconds = ls_server.restart()
    assert seconds < 120
    with connection(server_settings(ls_server.url, coder.token.reveal())) as ls:
        assert call(ls.users.whoami).email == coder.email
