"""Options shared by several stages, and the lazy loaders behind them.

Heavy libraries (polars, pandera, the Label Studio SDK) are imported inside command bodies, so
that ``eventcoder --help`` answers at once.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from eventcoder.cli.app import err_console, say

if TYPE_CHECKING:
    from rich.progress import Progress

    from eventcoder.schema.codebook import Codebook

CodebookOption = Annotated[
    Path | None,
    typer.Option(
        "--codebook",
        "-c",
        help="Codebook YAML file (default: the bundled ACLED scheme).",
        exists=False,
        dir_okay=False,
    ),
]
UrlOption = Annotated[
    str | None,
    typer.Option("--url", help="Server URL (default: $LABEL_STUDIO_URL).", show_default=False),
]
ApiKeyOption = Annotated[
    str | None,
    typer.Option(
        "--api-key",
        help="Label Studio API key (default: $LABEL_STUDIO_API_KEY; prefer the variable, "
        "flags show up in shell history and process lists).",
        show_default=False,
    ),
]
OutputFileOption = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write to this file.")
]
ProjectOption = Annotated[
    str, typer.Option("--project", "-p", help="Project id, or its exact title.", show_default=False)
]


def codebook_at(path: Path | None) -> Codebook:
    """Return the codebook at ``path``, or the bundled one."""
    from eventcoder.schema import load_codebook

    return load_codebook(path)


def print_or_write(text: str, output: Path | None) -> None:
    """Print ``text`` on stdout as it is, or write it to the file ``output``."""
    from eventcoder.files import atomic_write_text

    if output is None:
        typer.echo(text, nl=False)
    else:
        atomic_write_text(text, output)
        say(f"wrote {output}")


def progress_bar(*columns: Any) -> Progress:
    """Return a transient rich progress bar on stderr with the given extra columns."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        *columns,
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    )
