"""A real Label Studio server for the tests: started on 127.0.0.1 in a temporary folder.

``running_server()`` starts ``label-studio start`` on a free port with a fresh data folder, a
known admin and a legacy API token, and kills it when the block ends. The server can be killed
(``stop()``, SIGKILL to its process group, as a crash would) and started again on the same data
and port (``start()`` or ``restart()``). Everything it writes, its home folder and its log
included, stays in the temporary folder; it does not call the network (no version check, no
analytics, no Sentry).
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

BINARY_ENV = "EVENTCODER_LABEL_STUDIO"
REPO = Path(__file__).resolve().parent.parent
START_TIMEOUT = 120.0


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
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def log_path(self) -> Path:
        return self.root / "server.log"

    def start(self, timeout: float = START_TIMEOUT) -> float:
        """Start the server and wait until ``/health`` says UP; return the seconds it took.

        Raises RuntimeError with the tail of the server's log if it exits or is not up in time.
        """
        if self.process is not None:
            raise RuntimeError("the Label Studio server is running already")
        (self.root / "home").mkdir(parents=True, exist_ok=True)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        began = time.monotonic()
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [self.binary, "start", "--no-browser", "--internal-host", "127.0.0.1"]
                + ["--port", str(self.port)],
                env=self._environ(),
                cwd=self.root,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, killed as one in stop()
            )
        while time.monotonic() - began < timeout:
            if self.process.poll() is not None:
                code = self.process.returncode
                self.process = None
                raise RuntimeError(f"label-studio exited with {code}:\n{self.log_tail()}")
            if self._healthy():
                return time.monotonic() - began
            time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"label-studio not up after {timeout:.0f} s:\n{self.log_tail()}")

    def stop(self) -> None:
        """Kill the server at once (SIGKILL to its process group), as a crash would."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()
        self.process = None

    def restart(self, timeout: float = START_TIMEOUT) -> float:
        """Kill the server and start it again on the same data and port; return the start time."""
        self.stop()
        return self.start(timeout)

    def log_tail(self, lines: int = 40) -> str:
        """Return the last lines of the server's log."""
        if not self.log_path.exists():
            return "(no log)"
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def _healthy(self) -> bool:
        try:
            answer = httpx.get(f"{self.url}/health", timeout=2.0)
            return answer.status_code == 200 and answer.json().get("status") == "UP"
        except (httpx.HTTPError, ValueError):  # not listening yet, or not JSON yet
            return False

    def _environ(self) -> dict[str, str]:
        """Return a small, closed environment: Label Studio reads many plain names (HOST, DEBUG)."""
        home = self.root / "home"
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "TMPDIR": str(self.root),
            "HOME": str(home),  # it writes ~/.config/label-studio/user_id
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_DATA_HOME": str(home / ".local" / "share"),
            "XDG_CACHE_HOME": str(home / ".cache"),
            "LABEL_STUDIO_BASE_DATA_DIR": str(self.data_dir),
            "LABEL_STUDIO_USERNAME": self.email,
            "LABEL_STUDIO_PASSWORD": self.password,
            "LABEL_STUDIO_USER_TOKEN": self.token,
            "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
            # the same key on every start, so sessions and tokens survive a restart
            "SECRET_KEY": f"eventcoder-tests-{self.token}",
            "LATEST_VERSION_CHECK": "false",
            "COLLECT_ANALYTICS": "false",
            "SENTRY_DSN": "",
            "FRONTEND_SENTRY_DSN": "",
            "PYTHONUNBUFFERED": "1",
        }


@contextmanager
def running_server(binary: str, timeout: float = START_TIMEOUT) -> Iterator[LabelStudioServer]:
    """Yield a started server in a fresh temporary folder; kill it and remove the folder after."""
    root = Path(tempfile.mkdtemp(prefix="eventcoder-ls-"))
    server = LabelStudioServer(binary=binary, root=root)
    try:
        server.start(timeout)
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
