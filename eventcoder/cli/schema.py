"""Commands of the scheme stage: ``codebook show|docs|check`` and ``validate``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from eventcoder.cli.app import app, console, say, say_note
from eventcoder.cli.options import CodebookOption, OutputFileOption, codebook_at, print_or_write

if TYPE_CHECKING:
    from eventcoder.schema.validation import ValidationResult

codebook_app = typer.Typer(help="Show, document and check coding schemes.", no_args_is_help=True)
app.add_typer(codebook_app, name="codebook")


@codebook_app.command("show")
def codebook_show(codebook: CodebookOption = None) -> None:
    """Show the scheme as readable tables: fields, event categories, rules."""
    from eventcoder.schema.docs import field_rows, hierarchy_rows

    cb = codebook_at(codebook)
    console.print(f"[bold]{escape(cb.title)}[/]  ({escape(cb.label)})")
    fields = field_rows(cb)
    columns = ("field", "type", "required", "origin", "level", "vocabulary")
    table = Table("field", "type", "req", "origin", "level", "vocabulary", title="Fields")
    for row in fields:
        table.add_row(*(escape(row[c]) for c in columns))
    console.print(table)
    categories = hierarchy_rows(cb)
    if categories:
        # Terms and their attributes are the codebook's text: '[/]' in one is not markup.
        cats = Table(*map(escape, categories[0]), title="Event categories (hierarchy order)")
        for row in categories:
            cats.add_row(*map(escape, row.values()))
        console.print(cats)
    rules = Table("rule", "kind", "severity", "message", title=f"Rules ({len(cb.rules)})")
    for r in cb.rules:
        rules.add_row(r.id, escape(r.kind), r.severity, escape(r.message))
    console.print(rules)


@codebook_app.command("docs")
def codebook_docs(
    codebook: CodebookOption = None,
    output: OutputFileOption = None,
) -> None:
    """Write Markdown coding instructions for annotators, generated from the codebook."""
    from eventcoder.schema.docs import codebook_markdown

    print_or_write(codebook_markdown(codebook_at(codebook)), output)


@codebook_app.command("check")
def codebook_check(path: Annotated[Path, typer.Argument(help="Codebook YAML file.")]) -> None:
    """Load a codebook file and report every problem in it."""
    cb = codebook_at(path)
    n_vocab = sum(len(v.terms) for v in cb.vocabularies.values())
    console.print(
        f"[green]ok[/] {escape(str(path))}: {escape(cb.label)}, {len(cb.fields)} fields, "
        f"{len(cb.vocabularies)} vocabularies ({n_vocab} values), {len(cb.rules)} rules"
    )


# --------------------------------------------------------------------------------------------
# validate
# --------------------------------------------------------------------------------------------


@app.command("validate")
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
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the summary as JSON instead of tables.")
    ] = False,
    encoding: Annotated[
        str | None,
        typer.Option(
            "--encoding",
            help="The file's text encoding (default: UTF-8, else cp1252 with a note).",
        ),
    ] = None,
    date_format: Annotated[
        str | None,
        typer.Option(
            "--date-format",
            help="How dates are written, in strftime codes, e.g. %d/%m/%Y "
            "(default: inferred per column from all its values).",
        ),
    ] = None,
) -> None:
    """Validate an events table; write accepted, rejected, warnings and changes Parquet files."""
    from eventcoder.files import check_folder
    from eventcoder.schema.validation import validate_file, write_result

    target = check_folder(out or table.parent)
    cb = codebook_at(codebook)
    with console.status("validating"):
        result = validate_file(table, cb, encoding=encoding, date_format=date_format)
    paths = write_result(result, target, stem=table.stem)
    if as_json:
        import json

        typer.echo(json.dumps(result.summary(), indent=2, default=str))
        raise typer.Exit(1 if result.rejected.height else 0)
    for note in result.notes:
        say_note(note)
    render_validation(result)
    from eventcoder.cli.render import say_changes

    say_changes(result.changes, paths["changes"])
    for path in paths.values():
        say(f"wrote {path}")
    raise typer.Exit(1 if result.rejected.height else 0)


def render_validation(result: ValidationResult) -> None:
    """Print the failures by rule and field and the reconciliation line of a ValidationResult."""
    from eventcoder.cli.render import render_failures
    from eventcoder.schema.failures import count_failures
    from eventcoder.schema.validation import ROW

    render_failures(count_failures(result.failures, key=ROW, label="rows"))
    console.print(
        f"{result.total:,} rows: {result.accepted.height:,} accepted, "
        f"{result.rejected.height:,} rejected, {result.warnings.height:,} warnings"
    )


# --------------------------------------------------------------------------------------------
# references
# --------------------------------------------------------------------------------------------

references_app = typer.Typer(
    help="Reference lists (actors, gazetteer) from your own tables.", no_args_is_help=True
)
app.add_typer(references_app, name="references")


@references_app.command("build")
def references_build(
    tables: Annotated[
        list[Path], typer.Argument(help="ACLED-style events tables (CSV or Parquet).")
    ],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for the lists and the codebook using them.")
    ],
    codebook: CodebookOption = None,
    tolerance_km: Annotated[
        float | None,
        typer.Option(
            "--tolerance-km",
            help="Coordinates of one place further apart than this are a conflict "
            "(default: the codebook's coordinate_tolerance_km).",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Build an actor list and a gazetteer from validated tables, with their conflicts."""
    from eventcoder.files import check_folder
    from eventcoder.schema.references import build_references_from_files

    cb = codebook_at(codebook)
    check_folder(out)  # before minutes of work, not after
    with console.status("building reference lists") as status:
        lists, uses = build_references_from_files(
            tables, cb, tolerance_km=tolerance_km, on_progress=status.update
        )
    paths = lists.write(out, cb, inputs=tables)
    if as_json:
        import json

        summary = lists.summary()
        summary["tables"] = [u.__dict__ for u in uses]
        summary["files"] = [str(p) for p in paths]
        typer.echo(json.dumps(summary, indent=2, default=str))
        return
    for use in uses:
        say(
            f"{use.path}: {use.rows:,} rows, {use.used:,} used, {use.rejected:,} rejected by "
            "validation (left out)"
        )
    for note in lists.notes:
        say_note(note)
    summary = lists.summary()
    console.print(
        f"{summary['actors']:,} actors ({summary['actor_rows']:,} rows, one per type period), "
        f"{summary['places']:,} places"
    )
    if lists.conflicts.height:
        t = Table("kind", "conflicts", title="Conflicts to settle (conflicts.csv)")
        for kind, n in summary["conflicts"].items():
            t.add_row(kind, f"{n:,}")
        console.print(t)
    else:
        console.print("no conflicts")
    for path in paths:
        say(f"wrote {path}")
    say(f"validate against them: eventcoder validate TABLE --codebook {paths[-1]}")
