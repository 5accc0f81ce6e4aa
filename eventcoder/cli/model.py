"""Commands of the model stage: ``model train``, ``model evaluate``, ``model show``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from eventcoder.cli.app import app, console, say
from eventcoder.cli.options import CodebookOption, codebook_at

model_app = typer.Typer(
    help="A text model of event categories, for pre-annotation.", no_args_is_help=True
)
app.add_typer(model_app, name="model")

TablesArgument = Annotated[
    list[Path],
    typer.Argument(help="ACLED-style tables (CSV or Parquet) with notes, or annotations tables."),
]


@model_app.command("train")
def model_train(
    tables: TablesArgument,
    out: Annotated[Path, typer.Option("--out", "-o", help="Model file to write.")],
    codebook: CodebookOption = None,
    seed: Annotated[int, typer.Option(help="Seed of the calibration split.")] = 0,
    background: Annotated[
        Path | None,
        typer.Option(
            "--background",
            help="More sentences that report no event (one a line), besides the bundled ones.",
        ),
    ] = None,
    articles: Annotated[
        Path | None,
        typer.Option(
            "--articles",
            help="Articles (.jsonl or .csv) of gold events: learn from their evidence spans.",
        ),
    ] = None,
) -> None:
    """Train event type and sub-event type from notes (or evidence spans) of validated rows."""
    from eventcoder.files import check_folder, refuse_input
    from eventcoder.model import read_examples, save_model, train
    from eventcoder.model.training import background_sentences

    cb = codebook_at(codebook)
    check_folder(out.parent)  # before training, not after
    inputs = [*tables, *(p for p in (articles, background) if p is not None)]
    refuse_input(out, inputs)  # before training, not after
    texts = None
    if articles is not None:
        from eventcoder.annotate.articles import read_articles

        texts = {a.id: a.text for a in read_articles(articles)}
    with console.status("reading tables") as status:
        frame, uses = read_examples(tables, cb, on_progress=status.update, articles=texts)
        status.update(f"training on {frame.height:,} rows")
        model = train(frame, cb, seed=seed, uses=uses, background=background_sentences(background))
    for use in uses:
        say(
            f"{use.path}: {use.rows:,} rows, {use.used:,} used, {use.rejected:,} rejected by "
            "validation (left out)"
        )
    path = save_model(model, out)
    s = model.summary
    say(
        f"trained on {s['fitted_on']:,} rows, calibrated on {s['calibrated_on']:,}; "
        f"{s['classes']} categories; codebook {cb.label}"
    )
    say(f"wrote {path}")


@model_app.command("evaluate")
def model_evaluate(
    model_path: Annotated[Path, typer.Argument(help="Model file.")],
    tables: TablesArgument,
    codebook: CodebookOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the scores as JSON.")] = False,
) -> None:
    """Score a model on labelled tables: accuracy and macro-F1 per field, confusion table."""
    from eventcoder.model import evaluate, load_model, read_examples

    cb = codebook_at(codebook)
    model = load_model(model_path, cb)
    with console.status("reading tables") as status:
        frame, _ = read_examples(tables, cb, on_progress=status.update)
        status.update(f"predicting {frame.height:,} rows")
        result = evaluate(model, frame)
    if as_json:
        import json

        typer.echo(json.dumps(result.to_dict(), indent=2))
        return
    scores = Table("field", "accuracy", "macro-F1", title=f"{result.rows:,} rows")
    for name, s in result.fields.items():
        scores.add_row(name, f"{s.accuracy:.3f}", f"{s.macro_f1:.3f}")
    console.print(scores)
    console.print(
        f"calibration error {result.calibration_error:.3f}; "
        f"{result.detected:.1%} of rows taken to report an event"
    )
    if len(result.countries) > 1:
        fields = list(result.fields)
        by = Table("country", "rows", *fields, title="Accuracy per country")
        for country, row in result.countries.items():
            by.add_row(escape(country), f"{int(row['rows']):,}", *(f"{row[f]:.3f}" for f in fields))
        console.print(by)
    event_field = model.hierarchy.event_field
    confusion = result.fields[event_field].confusion
    labels = sorted(set(confusion["truth"]) | set(confusion["predicted"]))
    counts = {(t, p): n for t, p, n in confusion.iter_rows()}
    t = Table("truth \\ predicted", *map(escape, labels), title=f"Confusion of {event_field}")
    for truth in labels:
        t.add_row(escape(truth), *(str(counts.get((truth, p), "")) for p in labels))
    console.print(t)
