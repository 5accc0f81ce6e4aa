"""The ``eventcoder`` command line: parse, call one library function, render, pick the exit code.

Every command body is thin; the work lives in ``eventcoder.schema``, ``eventcoder.annotate`` and
``eventcoder.datasets``. Errors the user can cause are :class:`EventcoderError` and print as one
red line (``--debug`` shows the traceback); exit code 2 for unusable input, 1 when validation
rejected rows, 0 otherwise.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from eventcoder.errors import EventcoderError

app = typer.Typer(
    name="eventcoder",
    help="Turn news reports into ACLED-style conflict event data with Label Studio.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)
codebook_app = typer.Typer(help="Show, document and check coding schemes.", no_args_is_help=True)
app.add_typer(codebook_app, name="codebook")

console = Console()
err_console = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])

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


def handled(fn: F) -> F:
    """Turn an EventcoderError into one red line and its exit code (traceback with --debug)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except EventcoderError as err:
            if os.environ.get("EVENTCODER_DEBUG"):
                raise
            err_console.print(
                f"[bold red]error:[/] {escape(str(err))}", highlight=False, soft_wrap=True
            )
            raise typer.Exit(err.exit_code) from None

    return wrapper  # type: ignore[return-value]


@app.callback()
def _main(debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False) -> None:
    if debug:
        os.environ["EVENTCODER_DEBUG"] = "1"


def _codebook(path: Path | None):  # noqa: ANN202 - returns Codebook, imported lazily
    from eventcoder.schema import load_codebook

    return load_codebook(path)


# --------------------------------------------------------------------------------------------
# codebook
# --------------------------------------------------------------------------------------------


@codebook_app.command("show")
@handled
def codebook_show(codebook: CodebookOption = None) -> None:
    """Show the scheme as readable tables: fields, event categories, rules."""
    from eventcoder.schema.docs import field_rows

    cb = _codebook(codebook)
    console.print(f"[bold]{cb.title}[/]  ({cb.label})")
    table = Table("field", "type", "req", "origin", "level", "vocabulary", title="Fields")
    for row in field_rows(cb):
        table.add_row(
            row["field"],
            row["type"],
            row["required"],
            row["origin"],
            row["level"],
            row["vocabulary"],
        )
    console.print(table)
    if cb.hierarchy is not None:
        attrs = sorted(
            {
                k
                for t in cb.hierarchy.terms
                for k in t.attributes
                if isinstance(t.attributes[k], str)
            }
        )
        cats = Table("#", cb.hierarchy.name, *attrs, title="Event categories (hierarchy order)")
        for i, t in enumerate(cb.hierarchy.terms, 1):
            cats.add_row(str(i), str(t.value), *(str(t.attributes.get(a, "")) for a in attrs))
        console.print(cats)
    rules = Table("rule", "kind", "severity", "message", title=f"Rules ({len(cb.rules)})")
    for r in cb.rules:
        rules.add_row(r.id, r.kind, r.severity, r.message)
    console.print(rules)


@codebook_app.command("docs")
@handled
def codebook_docs(
    codebook: CodebookOption = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file.")
    ] = None,
) -> None:
    """Write Markdown coding instructions for annotators, generated from the codebook."""
    from eventcoder.schema.docs import codebook_markdown

    text = codebook_markdown(_codebook(codebook))
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        console.print(f"wrote {output}")


@codebook_app.command("check")
@handled
def codebook_check(path: Annotated[Path, typer.Argument(help="Codebook YAML file.")]) -> None:
    """Load a codebook file and report every problem in it."""
    from eventcoder.errors import CodebookError
    from eventcoder.schema import load_codebook

    try:
        cb = load_codebook(path)
    except CodebookError as err:
        for line in err.details().splitlines():
            err_console.print(
                f"[bold red]error:[/] {escape(line)}", highlight=False, soft_wrap=True
            )
        raise typer.Exit(2) from None
    n_vocab = sum(len(v.terms) for v in cb.vocabularies.values())
    console.print(
        f"[green]ok[/] {path}: {cb.label}, {len(cb.fields)} fields, "
        f"{len(cb.vocabularies)} vocabularies ({n_vocab} values), {len(cb.rules)} rules"
    )


# --------------------------------------------------------------------------------------------
# validate
# --------------------------------------------------------------------------------------------


@app.command("validate")
@handled
def validate_cmd(
    table: Annotated[
        Path, typer.Argument(help="Events table in ACLED export format (CSV or Parquet).")
    ],
    codebook: CodebookOption = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="Folder for the result files (default: beside the table)."
        ),
    ] = None,
) -> None:
    """Validate an events table; write accepted, rejected and warnings Parquet files."""
    from eventcoder.schema.validate import validate_file, write_result

    cb = _codebook(codebook)
    with console.status("validating"):
        result = validate_file(table, cb)
    paths = write_result(result, out or table.parent, stem=table.stem)
    for note in result.notes:
        console.print(f"[yellow]note:[/] {note}")
    render_validation(result)
    for path in paths.values():
        console.print(f"wrote {path}")
    raise typer.Exit(1 if result.rejected.height else 0)


def render_validation(result: Any) -> None:
    """Print the reconciliation line and the per-rule counts of a ValidationResult."""
    counts = result.counts_by_rule()
    if counts.height:
        t = Table("rule", "severity", "failures", "rows", title="Failures by rule")
        for row in counts.iter_rows(named=True):
            color = "red" if row["severity"] == "error" else "yellow"
            t.add_row(
                row["rule"],
                f"[{color}]{row['severity']}[/]",
                str(row["failures"]),
                str(row["rows"]),
            )
        console.print(t)
    console.print(
        f"{result.total} rows: {result.accepted.height} accepted, "
        f"{result.rejected.height} rejected, {result.warnings.height} warnings"
    )
