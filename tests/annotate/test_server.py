"""Tests for eventcoder.annotate.server: a team's Label Studio, started from a data folder.

The lifecycle test starts a real server twice on one folder (the first start creates the
administrator, the second must not); the others need no server.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import uuid
from pathlib import Path

import httpx
import pytest

from eventcoder.annotate.client import create_coder
from eventcoder.annotate.server import (
    DATA,
    PID,
    Admin,
    find_label_studio,
    is_initialised,
    server_environment,
    server_status,
    start_server,
    stop_server,
    url_for,
)
from eventcoder.errors import InputError, ServerError
from eventcoder.settings import server_settings
from tests.lsserver import find_label_studio as find_test_binary
from tests.lsserver import free_port


def _whoami(url: str, token: str) -> httpx.Response:
    return httpx.get(
        f"{url}/api/current-user/whoami", headers={"Authorization": f"Token {token}"}, timeout=30
    )


def _binary() -> str:
    binary = find_test_binary()
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("no label-studio executable (EVENTCODER_LABEL_STUDIO)")
        pytest.skip("no label-studio executable (EVENTCODER_LABEL_STUDIO)")
    return binary


# ---- against a real server ------------------------------------------------------------------


@pytest.mark.server
def test_start_status_stop_and_start_again(tmp_path: Path) -> None:
    folder = tmp_path / "team server"  # a space in the path, as users' folders have
    port = free_port()
    assert not server_status(folder).running
    first = start_server(folder, binary=_binary(), port=port, admin_email="lead@example.org")
    try:
        assert first.url == f"http://127.0.0.1:{port}"
        assert first.admin is not None and first.admin.email == "lead@example.org"
        token = first.admin.token.reveal()
        assert len(token) == 40 and token not in repr(first)
        assert first.exports() == [
            f"export LABEL_STUDIO_URL={first.url}",
            f"export LABEL_STUDIO_API_KEY={token}",
        ]
        assert _whoami(first.url, token).json()["email"] == "lead@example.org"
        status = server_status(folder)
        assert (status.running, status.answering, status.pid, status.url) == (
            True,
            True,
            first.pid,
            first.url,
        )
        assert status.admin_email == "lead@example.org"
        # the key and the password are in no file eventcoder wrote
        for name in ("server.json", "server.pid", "server.log"):
            text = (folder / name).read_text(errors="replace")
            assert token not in text and first.admin.password.reveal() not in text
        # invite-only: the bare sign-up form refuses; the invite link (coders add) works
        with httpx.Client(base_url=first.url, timeout=30) as web:
            web.get("/user/signup/")
            refused = web.post(
                "/user/signup/",
                data={
                    "csrfmiddlewaretoken": web.cookies.get("csrftoken", ""),
                    "email": f"walk-in-{uuid.uuid4().hex[:6]}@example.org",
                    "password": "a-long-password-1",
                },
                headers={"Referer": f"{first.url}/user/signup/"},
            )
        assert refused.status_code == 403, refused.text[:200]
        coder = create_coder(server_settings(first.url, token), "coder@example.org")
        assert _whoami(first.url, coder.token.reveal()).json()["email"] == "coder@example.org"
        with pytest.raises(ServerError, match="runs already"):
            start_server(folder, binary=_binary(), port=free_port())
    finally:
        stopped = stop_server(folder)
    assert stopped == first.pid
    assert not (folder / PID).exists()
    assert not server_status(folder).running
    assert stop_server(folder) is None  # stopping twice is fine
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{first.url}/health", timeout=2)

    again = start_server(folder, binary=_binary(), port=port)
    try:
        assert again.admin is None  # no second administrator, no new key
        assert again.exports() == [f"export LABEL_STUDIO_URL={again.url}"]
        assert again.admin_email == "lead@example.org"
        assert _whoami(again.url, token).status_code == 200  # the first key still works
    finally:
        stop_server(folder, force=True)
    assert not server_status(folder).running


# ---- no server needed -----------------------------------------------------------------------


def test_a_named_program_that_is_not_there_says_how_to_get_one(tmp_path: Path) -> None:
    with pytest.raises(ServerError, match="make label-studio"):
        find_label_studio(tmp_path / "label-studio")


def test_no_program_on_path_says_how_to_get_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(ServerError, match="--label-studio PATH"):
        find_label_studio()


def test_environment_is_closed_and_invite_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("USERNAME", "someone")  # Label Studio would read it as its admin
    monkeypatch.setenv("DEBUG", "1")
    env = server_environment(tmp_path)
    assert "USERNAME" not in env and "DEBUG" not in env
    assert env["DISABLE_SIGNUP_WITHOUT_LINK"] == "true"
    assert env["LABEL_STUDIO_BASE_DATA_DIR"] == str(tmp_path.resolve() / DATA)
    assert env["HOME"].startswith(str(tmp_path.resolve()))
    assert "LABEL_STUDIO_USERNAME" not in env and "LABEL_STUDIO_USER_TOKEN" not in env
    admin = Admin.new("lead@example.org")
    with_admin = server_environment(tmp_path, admin=admin, invite_only=False)
    assert with_admin["DISABLE_SIGNUP_WITHOUT_LINK"] == "false"
    assert with_admin["LABEL_STUDIO_USERNAME"] == "lead@example.org"
    assert with_admin["LABEL_STUDIO_USER_TOKEN"] == admin.token.reveal()


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("127.0.0.1", "http://127.0.0.1:8080"),
        ("0.0.0.0", "http://127.0.0.1:8080"),
        ("::", "http://[::1]:8080"),
        ("10.1.2.3", "http://10.1.2.3:8080"),
    ],
)
def test_url_for_a_bound_host(host: str, url: str) -> None:
    assert url_for(host, 8080) == url


def test_a_taken_port_is_refused_before_anything_starts(tmp_path: Path) -> None:
    program = tmp_path / "label-studio"
    program.write_text("#!/bin/sh\nexit 0\n")
    program.chmod(program.stat().st_mode | stat.S_IEXEC)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        with pytest.raises(ServerError, match=f"port {port}.*--port"):
            start_server(tmp_path / "srv", binary=program, port=port)
    assert not (tmp_path / "srv" / PID).exists()
    assert not is_initialised(tmp_path / "srv")


def test_a_program_that_exits_is_reported_with_its_log(tmp_path: Path) -> None:
    program = tmp_path / "label-studio"
    program.write_text(
        "#!/bin/sh\n"
        'touch "$LABEL_STUDIO_BASE_DATA_DIR/label_studio.sqlite3"\n'  # a half-made database
        "echo 'django.db.utils.OperationalError: disk full'\nexit 3\n"
    )
    program.chmod(program.stat().st_mode | stat.S_IEXEC)
    folder = tmp_path / "srv"
    with pytest.raises(ServerError) as caught:
        start_server(folder, binary=program, port=free_port(), timeout=30)
    message = str(caught.value)
    assert "exited with code 3" in message and "disk full" in message
    assert str(folder / "server.log") in message
    assert not (folder / PID).exists()
    assert not is_initialised(folder)  # the next start is a first start, and shows the key


def test_a_stale_pid_file_is_removed_and_its_pid_never_signalled(tmp_path: Path) -> None:
    folder = tmp_path / "srv"
    folder.mkdir()
    # our own pid: alive, but not label-studio, as a pid reused after a reboot would be
    (folder / PID).write_text(json.dumps({"pid": os.getpid(), "url": "http://127.0.0.1:9"}))
    status = server_status(folder)
    assert (status.running, status.stale) == (False, True)
    assert not (folder / PID).exists()
    (folder / PID).write_text(json.dumps({"pid": os.getpid(), "url": "http://127.0.0.1:9"}))
    assert stop_server(folder) is None  # and this test is still alive to assert it


def test_an_unreadable_pid_file_counts_as_none(tmp_path: Path) -> None:
    (tmp_path / PID).write_text("{not json")
    assert not server_status(tmp_path).running
    assert not (tmp_path / PID).exists()


# ---- the commands (a real start is in tests/test_readme.py, through the README) ------------


def test_cli_status_and_stop_of_a_folder_with_no_server(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from eventcoder.cli import app

    status = CliRunner().invoke(app, ["server", "status", str(tmp_path)])
    assert status.exit_code == 1
    assert status.output.strip() == f"no server from {tmp_path.resolve()} is running"
    stop = CliRunner().invoke(app, ["server", "stop", str(tmp_path)])
    assert stop.exit_code == 0
    assert stop.output.strip() == f"no server from {tmp_path} was running"


def test_cli_start_without_label_studio_is_one_line_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from eventcoder.cli import app

    monkeypatch.setenv("PATH", "/nonexistent")
    result = CliRunner().invoke(app, ["server", "start", str(tmp_path / "srv")])
    assert result.exit_code == 2
    (line,) = result.output.strip().splitlines()
    assert line.startswith("error: no label-studio on PATH") and "make label-studio" in line
    assert result.stdout == ""  # nothing an eval would run


def test_a_folder_that_cannot_be_written_is_one_line(tmp_path: Path) -> None:
    program = tmp_path / "label-studio"
    program.write_text("#!/bin/sh\nexit 0\n")
    program.chmod(program.stat().st_mode | stat.S_IEXEC)
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(InputError, match="cannot keep the server's data in .*a-file/srv"):
        start_server(blocker / "srv", binary=program, port=free_port())
