"""The root ``eventcoder`` command, its consoles and the one place errors become exit codes.

Every error a user can cause is an :class:`EventcoderError`; :class:`_Root` catches it once, for
every command of every stage, prints it as one red line and exits with its code (2 for unusable
input). ``--debug`` lets the traceback through instead. Nothing is stored in the environment:
the flag is read from the root command's own parameters for this invocation only.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

from eventcoder.errors import EventcoderError

console = Console()
err_console = Console(stderr=True)


def say_error(message: str, *, label: str = "error") -> None:
    """Print one red line on stderr, markup in ``message`` shown as written."""
    err_console.print(f"[bold red]{label}:[/] {escape(message)}", highlight=False, soft_wrap=True)


def _lines(err: EventcoderError) -> list[str]:
    """Return what to print of an error: every problem of a codebook, else its one line."""
    details = getattr(err, "details", None)
    return details().splitlines() if callable(details) else [str(err)]


class _Root(TyperGroup):
    """The root group: sub-commands run inside its ``invoke``, so one ``except`` serves them all."""

    # ``ctx`` is click's Context: typer 0.2x vendors its own click (``typer._click``), older
    # releases use the click package, so the type is left open rather than naming either.
    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except EventcoderError as err:
            if ctx.params.get("debug"):
                raise
            for line in _lines(err):
                say_error(line)
            raise typer.Exit(err.exit_code) from None


app = typer.Typer(
    cls=_Root,
    name="eventcoder",
    help="Turn news reports into ACLED-style conflict event data with Label Studio.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)


@app.callback()
def _main(debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False) -> None:
    """Turn news reports into ACLED-style conflict event data with Label Studio."""
