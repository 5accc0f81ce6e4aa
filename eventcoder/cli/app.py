"""The root ``eventcoder`` command, its consoles and the one place errors become exit codes.

Every error a user can cause is an :class:`EventcoderError`; :class:`_Root` catches it once, for
every command of every stage, prints it as one red line and exits with its code (2 for unusable
input). ``--debug`` lets the traceback through instead. Nothing is stored in the environment:
the flag is read from the root command's own parameters for this invocation only.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.text import Text
from typer.core import TyperGroup

from eventcoder.errors import EventcoderError

# What a terminal acts on instead of showing: C0 and C1 controls but tab and line feed (ESC
# starts sequences that clear the screen or retitle the window), and bidirectional overrides
# that reorder the text around them. Coders' emails, article ids and file names reach messages.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def visible(text: str) -> str:
    """``text`` with every control character written as its escape (ESC as ``\\x1b``)."""
    return _CONTROL.sub(lambda m: repr(m[0])[1:-1], text)


class _Console(Console):
    """A console that prints what it is given as text: control characters shown as escapes,
    and ``:smile:`` in a file name left as written, not made an emoji."""

    def render_str(self, text: str, **kwargs: Any) -> Text:
        return super().render_str(visible(text), **kwargs)


console = _Console(emoji=False)
err_console = _Console(stderr=True, emoji=False)


def say_error(message: str, *, label: str = "error") -> None:
    """Print one red line on stderr, markup in ``message`` shown as written."""
    err_console.print(f"[bold red]{label}:[/] {escape(message)}", highlight=False, soft_wrap=True)


def say(text: str) -> None:
    """Print one line of plain text: paths, names and ids in it are never read as rich markup."""
    console.print(text, markup=False, highlight=False, soft_wrap=True)


def say_note(note: str) -> None:
    """Print one yellow ``note:`` line, markup in ``note`` shown as written.

    Notes quote the user's data (file names, columns, ids): ``[draft]`` in one is text, not a style.
    """
    console.print(f"[yellow]note:[/] {escape(note)}", highlight=False, soft_wrap=True)


def _lines(err: EventcoderError) -> list[str]:
    """Return what to print of an error: every problem of a codebook, else its one line."""
    details = getattr(err, "details", None)
    return details().splitlines() if callable(details) else [str(err)]


def _plain_help(param: Any) -> None:
    """Make one parameter's help read the same on every typer/click: flags bare, values NAME.

    typer 0.2x renders each parameter's Python type (``--debug <bool>``, ``--url <str>``,
    ``emails... <list[str]>``, ``{emails}...`` in the usage line); older releases render click's
    ``TEXT``. A metavar set here (flags: an empty one) is what every version shows instead.
    """
    if param.param_type_name == "option":
        if getattr(param, "is_flag", False):
            param.metavar = ""
        elif param.metavar is None:
            longs = [opt for opt in param.opts if opt.startswith("--")]
            param.metavar = (longs[0][2:] if longs else param.name).upper().replace("-", "_")
    elif param.param_type_name == "argument" and param.metavar is None:
        param.metavar = param.name.upper() + ("..." if param.nargs != 1 else "")
        # typer 0.2x shows an argument's Python type in a column of its own
        param.display_type_rich = lambda ctx: None


def _usage_pieces(command: Any, ctx: Any) -> list[str]:
    """Return the usage line after the command's name: ``[OPTIONS] TABLE [OUT]``."""
    pieces = [command.options_metavar] if command.options_metavar else []
    for param in command.get_params(ctx):
        if param.param_type_name == "argument":
            pieces.append(param.metavar if param.required else f"[{param.metavar}]")
    return pieces


def plain_help(command: Any, ctx: Any) -> Any:
    """Return ``command`` (and every command under it) with help rendered by :func:`_plain_help`."""
    for param in [*command.params, command.get_help_option(ctx)]:
        if param is not None:
            _plain_help(param)
    if getattr(command, "commands", None):
        for sub in command.commands.values():
            plain_help(sub, ctx)
    elif not getattr(command, "_plain_usage", False):
        command.collect_usage_pieces = lambda ctx: _usage_pieces(command, ctx)
        command._plain_usage = True
    return command


class _Root(TyperGroup):
    """The root group: sub-commands run inside its ``invoke``, so one ``except`` serves them all.

    Every command is reached through its ``get_command``, which also makes its help render the
    same on every typer release (:func:`plain_help`), so no stage has to remember to.
    """

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        return None if command is None else plain_help(command, ctx)

    def get_params(self, ctx: Any) -> list[Any]:
        params = super().get_params(ctx)
        for param in params:
            _plain_help(param)
        return params

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
    # Markdown joins a docstring's wrapped lines into paragraphs (the default keeps every break)
    rich_markup_mode="markdown",
    name="eventcoder",
    help="Turn news reports into ACLED-style conflict event data with Label Studio.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)


def _show_version(value: bool) -> None:
    if value:
        from eventcoder import __version__

        typer.echo(f"eventcoder {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", help="Show the version and exit.", is_eager=True, callback=_show_version
        ),
    ] = False,
) -> None:
    """Turn news reports into ACLED-style conflict event data with Label Studio."""
