"""A real Label Studio server for the tests: started on 127.0.0.1 in a temporary folder.

``running_server()`` starts ``label-studio start`` on a free port with a fresh data folder, a
known admin and a legacy API token, and kills it when the block ends. The server can be killed
(``stop()``, SIGKILL to its process group, as a crash would) and started again on the same data
and port (``start()`` or ``restart()``). It runs on the library's own server code
(:mod:`eventcoder.annotate.server`, what ``eventcoder server start`` runs): the same closed
environment, invite-only sign-up, no calls to the network (no version check, no analytics, no
Sentry), everything (home folder and log included) inside the temporary folder.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from eventcoder.annotate.server import (
    DATA,
    LOG,
    Admin,
    log_tail,
    start_server,
    stop_server,
    url_for,
)
from eventcoder.errors import ServerError
from eventcoder.settings import Secret

BINARY_ENV = "EVENTCODER_LABEL_STUDIO"
REPO = Path(__file__).resolve().parent.parent
START_TIMEOUT = 300.0  # a first start migrates a fresh database: 30-120 s on a busy 2-core machine


def find_label_studio() -> str | None:
    """Return the ``label-studio`` executable to test with, or None if there is none.

    Looks at ``$EVENTCODER_LABEL_STUDIO``, then ``<repo>/.ls-venv/bin/label-studio``, then PATH.
    """
    named = os.environ.get(BINARY_ENV)
    if named:
        return named
    local = REPO / ".ls-venv" / "bin" / "label-studio"
    if local.is_file():
        return str(local)
    return shutil.which("label-studio")


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LabelStudioServer:
    """One Label Studio server process and the folder it keeps its state in."""

    binary: str
    root: Path
    port: int = field(default_factory=free_port)
    email: str = "admin@example.org"
    password: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    token: str = field(default_factory=lambda: secrets.token_hex(20))
    invite_only: bool = True
    pid: int | None = None

    @property
    def url(self) -> str:
        return url_for("127.0.0.1", self.port)

    @property
    def process(self) -> int | None:
        """The server's pid while it runs, else None."""
        return self.pid

    @property
    def data_dir(self) -> Path:
        return self.root / DATA

    @property
    def log_path(self) -> Path:
        return self.root / LOG

    def start(self, timeout: float = START_TIMEOUT) -> float:
        """Start the server and wait until ``/health`` says UP; return the seconds it took.

        Raises RuntimeError with the tail of the server's log if it exits or is not up in time.
        """
        if self.pid is not None:
            raise RuntimeError("the Label Studio server is running already")
        admin = Admin(self.email, Secret(self.password), Secret(self.token))
        try:
            started = start_server(
                self.root,
                binary=self.binary,
                port=self.port,
                admin=admin,
                invite_only=self.invite_only,
                timeout=timeout,
            )
        except ServerError as err:
            raise RuntimeError(f"{err}\n{self.log_tail()}") from None
        self.pid = started.pid
        return started.seconds

    def stop(self) -> None:
        """Kill the server at once (SIGKILL to its process group), as a crash would."""
        if self.pid is None:
            return
        stop_server(self.root, force=True)
        self.pid = None

    def restart(self, timeout: float = START_TIMEOUT) -> float:
        """Kill the server and start it again on the same data and port; return the start time."""
        self.stop()
        return self.start(timeout)

    def log_tail(self, lines: int = 40) -> str:
        """Return the last lines of the server's log."""
        return log_tail(self.root, lines)


@contextmanager
def running_server(
    binary: str, timeout: float = START_TIMEOUT, *, invite_only: bool = True
) -> Iterator[LabelStudioServer]:
    """Yield a started server in a fresh temporary folder; kill it and remove the folder after.

    ``invite_only=False`` opens sign-up to anyone (``DISABLE_SIGNUP_WITHOUT_LINK=false``), for
    scripts that make coders through the bare sign-up form.
    """
    root = Path(tempfile.mkdtemp(prefix="eventcoder-ls-"))
    server = LabelStudioServer(binary=binary, root=root, invite_only=invite_only)
    try:
        server.start(timeout)
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
