"""Commands of the server stage: ``server start|stop|status`` (eventcoder.annotate.server).

``start`` prints on stdout only the shell lines that point eventcoder at the server (so
``eval "$(eventcoder server start FOLDER)"`` sets them), and everything meant for the person on
stderr, the administrator's one-time password included.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from eventcoder.cli.app import app, err_console

server_app = typer.Typer(
    help="Run a Label Studio server for your team, with its data in a folder of your choice.",
    no_args_is_help=True,
)
app.add_typer(server_app, name="server")

FolderArgument = Annotated[
    Path,
    typer.Argument(
        help="Folder holding the server's data, log and pid file (made on the first start).",
        file_okay=False,
    ),
]


def _say(message: str) -> None:
    err_console.print(message, highlight=False, soft_wrap=True, markup=False)


@server_app.command("start")
def server_start(
    folder: FolderArgument,
    label_studio: Annotated[
        Path | None,
        typer.Option(
            "--label-studio",
            help="The label-studio program to run (default: the one on PATH; "
            "`make label-studio` installs one in .ls-venv/bin/).",
            metavar="PATH",
            show_default=False,
        ),
    ] = None,
    host: Annotated[
        str,
        typer.Option(
            "--host",
            help="Address to listen on: 127.0.0.1 is this machine only; 0.0.0.0 lets coders "
            "on your network in (put it behind a VPN or a proxy with its own login).",
        ),
    ] = "127.0.0.1",
    port: Annotated[
        int,
        typer.Option(
            "--port",
            min=1,
            max=65535,
            envvar="EVENTCODER_SERVER_PORT",
            help="Port to listen on.",
        ),
    ] = 8080,
    admin: Annotated[
        str,
        typer.Option(
            "--admin",
            metavar="EMAIL",
            help="Email of the administrator account a first start makes.",
        ),
    ] = "admin@example.org",
    open_signup: Annotated[
        bool,
        typer.Option(
            "--open-signup",
            help="Let anyone who reaches the server make an account (default: only holders of "
            "the invite link, which `eventcoder coders add` uses).",
        ),
    ] = False,
    timeout: Annotated[
        float,
        typer.Option(
            "--timeout", min=1, metavar="SECONDS", help="Seconds to wait for the server to answer."
        ),
    ] = 180.0,
) -> None:
    """Start Label Studio in the background and wait until it answers.

    The first start of a folder creates the administrator account and its API key, and shows
    them this once; eventcoder writes them nowhere. Stdout gets only the lines that point
    eventcoder at the server (`export LABEL_STUDIO_URL=...` and, on a first start,
    `export LABEL_STUDIO_API_KEY=...`): paste them, or run
    `eval "$(eventcoder server start FOLDER)"`.
    """
    from eventcoder.annotate.server import start_server

    with err_console.status("starting Label Studio") as status:
        started = start_server(
            folder,
            binary=label_studio,
            host=host,
            port=port,
            admin_email=admin,
            invite_only=not open_signup,
            timeout=timeout,
            on_progress=status.update,
        )
    signup = "anyone who reaches it" if open_signup else "invite link only"
    _say(
        f"Label Studio is up at {started.url} (pid {started.pid}, {started.seconds:.0f} s; "
        f"sign-up: {signup}); data and log in {started.folder}"
    )
    if started.admin is not None:
        _say(
            f"administrator: {started.admin.email}  password: {started.admin.password.reveal()}  "
            f"(log in at {started.url}/user/login/; shown this once, like the API key below: "
            "keep them safe)"
        )
    else:
        _say(
            "The API key was shown at the folder's first start; it is also under Account & "
            f"Settings when you log in as {started.admin_email or 'the administrator'}."
        )
    # typer.echo, not rich: nothing may wrap or restyle a line meant for the shell
    for line in started.exports():
        typer.echo(line)


@server_app.command("stop")
def server_stop(folder: FolderArgument) -> None:
    """Stop the server started from FOLDER (SIGTERM, then SIGKILL after 30 s)."""
    from eventcoder.annotate.server import stop_server

    with err_console.status("stopping Label Studio"):
        pid = stop_server(folder)
    if pid is None:
        _say(f"no server from {folder} was running")
    else:
        _say(f"stopped the Label Studio server from {folder} (pid {pid})")


@server_app.command("status")
def server_status_cmd(folder: FolderArgument) -> None:
    """Say whether the server from FOLDER runs and answers; exit 0 if it does, 1 if not."""
    from eventcoder.annotate.server import server_status

    status = server_status(folder)
    if status.pid is None:
        gone = " (its pid file was stale and is removed)" if status.stale else ""
        log = f"; its log: {status.log}" if status.log.exists() else ""
        _say(f"no server from {status.folder} is running{gone}{log}")
        raise typer.Exit(1)
    answer = "answers" if status.answering else "does NOT answer"
    admin = f"; administrator {status.admin_email}" if status.admin_email else ""
    typer.echo(
        f"running at {status.url} (pid {status.pid}) and {answer}{admin}; data in "
        f"{status.folder}; log: {status.log}"
    )
    if not status.answering:
        raise typer.Exit(1)
