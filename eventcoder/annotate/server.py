"""A local Label Studio server for a team: started, stopped and checked from one data folder.

:func:`start_server` runs ``label-studio start`` in the background with everything it keeps in a
folder the user chooses, and waits until it answers. On the first start of a folder it also
creates the administrator account and its legacy API token (Label Studio does this itself from
``LABEL_STUDIO_USERNAME``, ``LABEL_STUDIO_PASSWORD`` and ``LABEL_STUDIO_USER_TOKEN``) and returns
them, once: eventcoder writes them nowhere. :func:`stop_server` and :func:`server_status` find the
server again through a pid file in the folder. The tests' server fixture runs on this code too.

The folder::

    FOLDER/label-studio/   Label Studio's data (LABEL_STUDIO_BASE_DATA_DIR): database, uploads,
                           and the .env where it keeps its own SECRET_KEY (0600)
    FOLDER/home/           HOME and TMPDIR of the server process (it writes ~/.config there)
    FOLDER/server.log      what the server prints
    FOLDER/server.json     the administrator's email (no secret), for ``status``
    FOLDER/server.pid      pid and address of the running server; removed by ``stop``

The server gets a small, closed environment rather than the caller's: Label Studio reads plain
names such as ``HOST``, ``DEBUG``, ``USERNAME`` and ``PASSWORD`` as settings, which a user's shell
may hold for other reasons. It calls no one else's server: the version check, analytics and
Sentry are off. Sign-up is invite-only unless asked otherwise (``DISABLE_SIGNUP_WITHOUT_LINK``),
so only holders of the organisation's invite link, such as ``eventcoder coders add``, make
accounts. POSIX only: the server runs in its own process group, stopped as one.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from eventcoder.errors import InputError, ServerError
from eventcoder.files import atomic_write_text
from eventcoder.settings import API_KEY_ENV, URL_ENV, Secret

BINARY = "label-studio"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080
DEFAULT_ADMIN = "admin@example.org"
START_TIMEOUT = 180.0  # seconds; a first start migrates a fresh database (20-60 s on 2 cores)
STOP_TIMEOUT = 30.0
POLL = 0.25

DATA = "label-studio"
HOME = "home"
LOG = "server.log"
STATE = "server.json"
PID = "server.pid"
DATABASE = "label_studio.sqlite3"


@dataclass(frozen=True)
class Admin:
    """The administrator account a first start creates: email, password and legacy API token."""

    email: str
    password: Secret
    token: Secret

    @classmethod
    def new(cls, email: str = DEFAULT_ADMIN) -> Admin:
        """Return an account with a fresh random password and a 40-hex-digit token."""
        return cls(email, Secret(secrets.token_urlsafe(12)), Secret(secrets.token_hex(20)))


@dataclass(frozen=True)
class StartedServer:
    """A server that answers: where, which process, and (first start only) its administrator."""

    folder: Path
    url: str
    pid: int
    seconds: float
    invite_only: bool
    admin: Admin | None  # None unless this start created the account
    admin_email: str | None

    @property
    def log(self) -> Path:
        return self.folder / LOG

    def exports(self) -> list[str]:
        """Return the shell lines that point eventcoder at this server.

        The API key line is there only on the first start, the one time the key is known.
        """
        lines = [f"export {URL_ENV}={self.url}"]
        if self.admin is not None:
            lines.append(f"export {API_KEY_ENV}={self.admin.token.reveal()}")
        return lines


@dataclass(frozen=True)
class ServerStatus:
    """What the pid file in a server folder says, checked against the process and the server."""

    folder: Path
    pid: int | None  # a live Label Studio process started from this folder, else None
    url: str | None
    answering: bool  # /health says UP
    admin_email: str | None
    stale: bool = False  # a pid file was there but its process was gone (the file is removed)

    @property
    def running(self) -> bool:
        return self.pid is not None

    @property
    def log(self) -> Path:
        return self.folder / LOG


# --------------------------------------------------------------------------------------------
# Finding the program and the folder's parts
# --------------------------------------------------------------------------------------------


def find_label_studio(binary: str | Path | None = None) -> str:
    """Return the ``label-studio`` executable to run: ``binary`` if given, else the one on PATH.

    Raises ``ServerError`` saying how to get one when there is none.
    """
    if binary is not None:
        path = Path(binary).expanduser()
        if path.is_file() and os.access(path, os.X_OK):
            return str(path.resolve())
        found = shutil.which(str(binary))
        if found:
            return found
        raise ServerError(
            f"{binary} is not an executable label-studio: pass the path of one to --label-studio "
            "(`make label-studio` installs one into .ls-venv/bin/label-studio)."
        )
    found = shutil.which(BINARY)
    if found is None:
        raise ServerError(
            "no label-studio on PATH: install it (`make label-studio` puts one in "
            ".ls-venv/bin/), then put it on PATH or pass --label-studio PATH."
        )
    return found


def is_initialised(folder: str | Path) -> bool:
    """Return whether Label Studio has made its database in ``folder`` (a first start did)."""
    return (Path(folder) / DATA / DATABASE).exists()


def url_for(host: str, port: int) -> str:
    """Return the URL eventcoder on this machine reaches a server bound to ``host`` at."""
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def server_environment(
    folder: str | Path, *, admin: Admin | None = None, invite_only: bool = True
) -> dict[str, str]:
    """Return the closed environment ``label-studio start`` runs in for ``folder``.

    With ``admin``, Label Studio creates that account and its token as it starts (it does so
    only if the account does not exist yet).
    """
    folder = Path(folder).resolve()
    home = folder / HOME
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "TMPDIR": str(home),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "LABEL_STUDIO_BASE_DATA_DIR": str(folder / DATA),
        # legacy tokens (40 hex digits, sent as "Token ...") are what the admin token is
        "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
        "DISABLE_SIGNUP_WITHOUT_LINK": "true" if invite_only else "false",
        "LATEST_VERSION_CHECK": "false",
        "COLLECT_ANALYTICS": "false",
        "SENTRY_DSN": "",
        "FRONTEND_SENTRY_DSN": "",
        "PYTHONUNBUFFERED": "1",
    }
    if admin is not None:
        env["LABEL_STUDIO_USERNAME"] = admin.email
        env["LABEL_STUDIO_PASSWORD"] = admin.password.reveal()
        env["LABEL_STUDIO_USER_TOKEN"] = admin.token.reveal()
    return env


# --------------------------------------------------------------------------------------------
# start, stop, status
# --------------------------------------------------------------------------------------------


# Popen objects of servers this process started, kept so that stopping one can reap it (a
# dropped Popen of a running child also warns when it is garbage-collected).
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


def start_server(
    folder: str | Path,
    *,
    binary: str | Path | None = None,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    admin_email: str = DEFAULT_ADMIN,
    admin: Admin | None = None,
    invite_only: bool = True,
    timeout: float = START_TIMEOUT,
    on_progress: Callable[[str], None] | None = None,
) -> StartedServer:
    """Start Label Studio on the data in ``folder`` and return it once ``/health`` says UP.

    The first start of a folder creates the administrator (``admin``, or a new account for
    ``admin_email``) and returns it in ``StartedServer.admin``; later starts return ``admin=None``.
    Binds ``host`` (``127.0.0.1``: this machine only) and ``port``. Raises ``ServerError``
    when a server from this folder runs already, the port is taken, there is no
    ``label-studio``, or the server exits or does not answer within ``timeout`` seconds (then
    it is stopped, a first start's half-made database removed, and the message ends with the
    log's last line); ``InputError`` when ``folder`` cannot be written.
    """
    say = on_progress or (lambda _msg: None)
    folder = Path(folder).expanduser().resolve()
    program = find_label_studio(binary)
    running = server_status(folder)
    if running.running:
        raise ServerError(
            f"a Label Studio server from {folder} runs already at {running.url} "
            f"(pid {running.pid}): stop it first with `eventcoder server stop {folder}`."
        )
    _check_port(host, port)
    first = not is_initialised(folder)
    if first:
        admin = admin or Admin.new(admin_email)
    else:
        admin = None
    try:
        for part in (folder / DATA, folder / HOME):
            part.mkdir(parents=True, exist_ok=True)
        (folder / LOG).touch()
    except OSError as err:
        raise InputError(
            f"cannot keep the server's data in {folder} ({err.strerror or err}): choose a "
            "folder you can write to.",
            path=str(folder),
        ) from None
    url = url_for(host, port)
    say("creating the database and the administrator" if first else "starting")
    began = time.monotonic()
    with (folder / LOG).open("ab") as log:
        process = subprocess.Popen(
            [program, "start", "--no-browser", "--internal-host", host, "--port", str(port)],
            env=server_environment(folder, admin=admin, invite_only=invite_only),
            cwd=folder,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, stopped as one
        )
    _CHILDREN[process.pid] = process
    _write_pid(folder, process.pid, url, program)
    if admin is not None:
        atomic_write_text(json.dumps({"admin": admin.email}) + "\n", folder / STATE)
    try:
        _wait_until_up(process, url, folder, timeout, say)
    except BaseException:
        _stop(process.pid, force=True, timeout=STOP_TIMEOUT)
        (folder / PID).unlink(missing_ok=True)
        if first:
            # The administrator and key may exist in the half-made database, but nobody was
            # shown the key: start the next attempt from nothing, so that it is shown then.
            shutil.rmtree(folder / DATA, ignore_errors=True)
            (folder / STATE).unlink(missing_ok=True)
        raise
    return StartedServer(
        folder=folder,
        url=url,
        pid=process.pid,
        seconds=time.monotonic() - began,
        invite_only=invite_only,
        admin=admin,
        admin_email=_admin_email(folder),
    )


def stop_server(
    folder: str | Path, *, force: bool = False, timeout: float = STOP_TIMEOUT
) -> int | None:
    """Stop the server started from ``folder``; return its pid, or None if none was running.

    Sends SIGTERM to its process group and SIGKILL after ``timeout`` seconds; ``force`` sends
    SIGKILL at once, as a crash would. The pid file is removed either way.
    """
    folder = Path(folder).expanduser().resolve()
    status = server_status(folder)
    if status.pid is None:
        return None
    _stop(status.pid, force=force, timeout=timeout)
    (folder / PID).unlink(missing_ok=True)
    return status.pid


def server_status(folder: str | Path) -> ServerStatus:
    """Return whether a server started from ``folder`` runs, where, and whether it answers.

    A pid file whose process is gone (or is no longer Label Studio) is removed and reported
    as ``stale``.
    """
    folder = Path(folder).expanduser().resolve()
    admin = _admin_email(folder)
    record = _read_pid(folder)
    if record is None:
        return ServerStatus(folder, None, None, False, admin)
    pid, url = record
    if not _is_label_studio(pid):
        (folder / PID).unlink(missing_ok=True)
        return ServerStatus(folder, None, None, False, admin, stale=True)
    return ServerStatus(folder, pid, url, _healthy(url), admin)


def log_tail(folder: str | Path, lines: int = 40) -> str:
    """Return the last ``lines`` lines of the server's log in ``folder``."""
    path = Path(folder) / LOG
    if not path.exists():
        return "(no log)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


# --------------------------------------------------------------------------------------------
# Private helpers
# --------------------------------------------------------------------------------------------


def _check_port(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        # as a server binds: a port whose old connections linger in TIME_WAIT is free
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as err:
            raise ServerError(
                f"cannot listen on {host} port {port} ({err.strerror or err}): "
                "pass another --port, or stop what uses it."
            ) from None


def _wait_until_up(
    process: subprocess.Popen[bytes],
    url: str,
    folder: Path,
    timeout: float,
    say: Callable[[str], None],
) -> None:
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        if process.poll() is not None:
            raise ServerError(
                f"label-studio exited with code {process.returncode} while starting; "
                f"its log ends: {_last_line(folder)} (whole log: {folder / LOG})"
            )
        if _healthy(url):
            return
        say(f"waiting for {url} ({time.monotonic() - began:.0f} s)")
        time.sleep(POLL)
    raise ServerError(
        f"label-studio did not answer at {url} within {timeout:.0f} s; its log ends: "
        f"{_last_line(folder)} (whole log: {folder / LOG}); a slow machine may need --timeout."
    )


def _last_line(folder: Path) -> str:
    lines = [line for line in log_tail(folder, 20).splitlines() if line.strip()]
    return lines[-1].strip()[:300] if lines else "(nothing)"


def _healthy(url: str) -> bool:
    try:
        answer = httpx.get(f"{url}/health", timeout=2.0)
        return answer.status_code == 200 and answer.json().get("status") == "UP"
    except (httpx.HTTPError, ValueError):  # not listening yet, or not JSON yet
        return False


def _write_pid(folder: Path, pid: int, url: str, program: str) -> None:
    record = {
        "pid": pid,
        "url": url,
        "label_studio": program,
        "started": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }
    atomic_write_text(json.dumps(record) + "\n", folder / PID)


def _read_pid(folder: Path) -> tuple[int, str] | None:
    try:
        record = json.loads((folder / PID).read_text(encoding="utf-8"))
        return int(record["pid"]), str(record["url"])
    except OSError:  # no pid file, or no folder at all
        return None
    except (ValueError, KeyError, TypeError):  # unreadable: nothing can be trusted in it
        (folder / PID).unlink(missing_ok=True)
        return None


def _admin_email(folder: Path) -> str | None:
    try:
        return str(json.loads((folder / STATE).read_text(encoding="utf-8"))["admin"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _alive(pid: int) -> bool:
    child = _CHILDREN.get(pid)
    if child is not None:  # our own child: poll() reaps it once it has exited
        return child.poll() is None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, but someone else's: not a server we started
        return False
    return not _zombie(pid)


def _zombie(pid: int) -> bool:
    """Return whether ``pid`` has exited and waits to be reaped (by a parent that may never)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[:1] == ["Z"]


def _is_label_studio(pid: int) -> bool:
    """Return whether ``pid`` is alive and, where /proc tells, runs label-studio.

    A pid file can outlive its process (a reboot, a kill -9) and the number be reused by
    another program, which ``stop`` must never signal.
    """
    if not _alive(pid):
        return False
    cmdline = Path(f"/proc/{pid}/cmdline")
    try:
        return b"label-studio" in cmdline.read_bytes() or b"label_studio" in cmdline.read_bytes()
    except FileNotFoundError:
        return not Path("/proc/self").exists()  # no /proc on this system: trust the pid
    except OSError:
        return False


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)  # the server leads its own process group (start_new_session)
    except ProcessLookupError:
        pass


def _stop(pid: int, *, force: bool, timeout: float) -> None:
    if not force:
        _signal_group(pid, signal.SIGTERM)
        began = time.monotonic()
        while _alive(pid) and time.monotonic() - began < timeout:
            time.sleep(POLL)
    if _alive(pid):
        _signal_group(pid, signal.SIGKILL)
        began = time.monotonic()
        while _alive(pid) and time.monotonic() - began < timeout:
            time.sleep(0.05)
    # the group may hold workers that outlived their leader
    _signal_group(pid, signal.SIGKILL)
    child = _CHILDREN.pop(pid, None)
    if child is not None:
        child.wait()
