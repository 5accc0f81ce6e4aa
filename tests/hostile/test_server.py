"""A hostile or broken server, and broken server settings: the key never shows, one line, exit 2.

The hostile peer is a few lines of ``http.server`` on 127.0.0.1 that repeats the request's
``Authorization`` header back in its error answers: not a stand-in for Label Studio's API, but
the server a mistyped URL or a debugging proxy can put in front of eventcoder. What the real
Label Studio repeats back is checked against the real server.
"""

from __future__ import annotations

import json
import threading
import traceback
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from typer.testing import CliRunner

from eventcoder.annotate.client import call, connection
from eventcoder.annotate.projects import find_project
from eventcoder.cli import app
from eventcoder.errors import ServerError
from eventcoder.settings import server_settings
from tests.lsserver import LabelStudioServer

runner = CliRunner()

KEY = "c0ffee5ecre7" * 3 + "0123"  # 40 characters, as a legacy token
PLACES = ("json", "text", "long", "quoted", "401", "500")
SHAPES = {"not-json": "<<<", "a-list": "[1, 2]", "null": "null"}


class _Echo(BaseHTTPRequestHandler):
    """Answers every request with an error that quotes the Authorization header it was sent."""

    mode = "json"

    def do_GET(self) -> None:  # http.server's name
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def _answer(self) -> None:
        sent = self.headers.get("Authorization", "")
        mode = type(self).mode
        status, kind = 400, "application/json"
        if mode == "json":
            body = json.dumps({"detail": f"bad request: you sent Authorization: {sent}"})
        elif mode == "text":
            kind, body = "text/plain", f"you sent {sent}"
        elif mode == "long":  # the key straddles the point where a message is cut short
            body = json.dumps({"detail": "x" * 180 + f" {sent} " + "y" * 100})
        elif mode == "quoted":  # the key, escaped as JSON and percent-encoded
            body = json.dumps({"errors": {"header": [sent.upper()], "url": [f"?t={sent}%20"]}})
        elif mode == "redirect":  # to itself, for ever
            self.send_response(302)
            self.send_header("Location", self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        elif mode in SHAPES:  # 200, and a body no Label Studio sends
            status, body = 200, SHAPES[mode]
        elif mode == "401":
            status, body = 401, json.dumps({"detail": f"Invalid token {sent.split()[-1]}"})
        else:
            status, kind, body = 500, "text/plain", f"crashed while reading {sent}"
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def echo_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def no_retry_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("eventcoder.annotate.client.FIRST_DELAY", 0.0)


@pytest.mark.parametrize("mode", PLACES)
def test_a_server_repeating_the_key_never_gets_it_printed(
    echo_url: str, mode: str, monkeypatch: pytest.MonkeyPatch, no_retry_wait: None
) -> None:
    monkeypatch.setattr(_Echo, "mode", mode)
    with pytest.raises(ServerError) as caught:
        find_project(server_settings(echo_url, KEY), "7")
    message = str(caught.value)
    assert caught.value.host == echo_url.removeprefix("http://")
    assert KEY.lower() not in message.lower()
    assert KEY[:8].lower() not in message.lower()  # not even the part before a cut
    assert "\n" not in message


def test_the_cli_prints_one_line_without_the_key(
    echo_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_Echo, "mode", "json")
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", KEY)
    result = runner.invoke(app, ["export", "pull", "-p", "7", "--url", echo_url])
    assert result.exit_code == 2
    assert KEY not in result.output
    assert "Authorization: Token ***" in result.output
    assert len(result.output.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "url", ["http://[::1", "http://127.0.0.1:99999", "http://", "http://user:pw@127.0.0.1:8080"]
)
def test_a_malformed_url_is_one_line_exit_2(url: str) -> None:
    result = runner.invoke(app, ["export", "pull", "-p", "7", "--url", url, "--api-key", KEY])
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    [line] = result.output.strip().splitlines()
    assert line.startswith("error: Label Studio URL") and "pw" not in line


@pytest.mark.server
def test_what_the_real_server_repeats_back_is_redacted(ls_server: LabelStudioServer) -> None:
    # Label Studio quotes the control names of an invalid labeling config in its 400 answer;
    # here a name holds the key (pasted into the wrong box), and the message must not show it.
    settings = server_settings(ls_server.url, ls_server.token)
    config = (
        f"<View><Choices name='{ls_server.token}' toName='article'>"
        "<Choice value='a'/></Choices></View>"
    )
    raw = httpx.post(
        f"{ls_server.url}/api/projects/",
        json={"title": "hostile", "label_config": config},
        headers={"Authorization": f"Token {ls_server.token}"},
    )
    assert raw.status_code == 400 and ls_server.token in raw.text  # the server repeats it
    with connection(settings) as ls, pytest.raises(ServerError) as caught:
        call(ls.projects.create, title="hostile", label_config=config, retries=0)
    assert caught.value.status == 400
    assert ls_server.token not in str(caught.value.__cause__)  # nor in what --debug shows
    message = str(caught.value)
    assert "label_config: toName=\"article\" not found in names: ['***']" in message
    assert ls_server.token not in message


def test_debug_tracebacks_carry_no_key(echo_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # --debug lets the exception through, with the SDK's error chained: its text is the body.
    monkeypatch.setattr(_Echo, "mode", "json")
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", KEY)
    result = runner.invoke(app, ["--debug", "export", "pull", "-p", "7", "--url", echo_url])
    assert isinstance(result.exception, ServerError)
    shown = "".join(traceback.format_exception(result.exception))
    assert "ApiError" in shown and "Authorization: Token ***" in shown
    assert KEY not in shown and KEY not in result.output


@pytest.mark.parametrize("mode", ["redirect", *SHAPES])
def test_a_server_that_is_not_label_studio_is_one_line(
    echo_url: str, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_Echo, "mode", mode)
    for project in ("7", "a title"):  # a project by id, and the project listing
        result = runner.invoke(
            app, ["export", "pull", "-p", project, "--url", echo_url, "--api-key", KEY]
        )
        assert result.exit_code == 2, result.output
        assert isinstance(result.exception, SystemExit)
        [line] = result.output.strip().splitlines()
        assert line.startswith(f"error: Label Studio at {echo_url.removeprefix('http://')}")


@pytest.mark.parametrize("key", ["ключ-ключ-ключ", "abc\ndefghijkl", "abc def ghi"])
def test_a_key_no_server_could_take_is_one_line_and_not_shown(key: str) -> None:
    result = runner.invoke(
        app, ["export", "pull", "-p", "7", "--url", "http://127.0.0.1:9", "--api-key", key]
    )
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit)
    [line] = result.output.strip().splitlines()
    assert "holds spaces, line breaks or characters outside ASCII" in line
    assert key.split()[0] not in line
