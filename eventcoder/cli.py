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
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the summary as JSON instead of tables.")
    ] = False,
) -> None:
    """Validate an events table; write accepted, rejected and warnings Parquet files."""
    from eventcoder.schema.validate import validate_file, write_result

    cb = _codebook(codebook)
    with console.status("validating"):
        result = validate_file(table, cb)
    paths = write_result(result, out or table.parent, stem=table.stem)
    if as_json:
        import json

        typer.echo(json.dumps(result.summary(), indent=2, default=str))
        raise typer.Exit(1 if result.rejected.height else 0)
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
                f"{row['failures']:,}",
                f"{row['rows']:,}",
            )
        console.print(t)
    console.print(
        f"{result.total:,} rows: {result.accepted.height:,} accepted, "
        f"{result.rejected.height:,} rejected, {result.warnings.height:,} warnings"
    )


# --------------------------------------------------------------------------------------------
# Label Studio: project create, tasks import, export pull, coders add
# --------------------------------------------------------------------------------------------

project_app = typer.Typer(help="Create Label Studio projects from codebooks.", no_args_is_help=True)
tasks_app = typer.Typer(help="Put articles into a project as tasks.", no_args_is_help=True)
export_app = typer.Typer(help="Pull annotations from a project.", no_args_is_help=True)
coders_app = typer.Typer(help="Give coders accounts on the server.", no_args_is_help=True)
app.add_typer(project_app, name="project")
app.add_typer(tasks_app, name="tasks")
app.add_typer(export_app, name="export")
app.add_typer(coders_app, name="coders")

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
ProjectOption = Annotated[
    str, typer.Option("--project", "-p", help="Project id, or its exact title.", show_default=False)
]


def _server(url: str | None, api_key: str | None):  # noqa: ANN202 - returns ServerSettings
    from eventcoder.settings import server_settings

    return server_settings(url, api_key)


def _bar(*columns: Any):  # noqa: ANN202 - returns a rich Progress, imported lazily
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        *columns,
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    )


@project_app.command("create")
@handled
def project_create(
    title: Annotated[str, typer.Option("--title", "-t", help="Project title (unique).")],
    description: Annotated[
        str | None, typer.Option("--description", help="Project description.")
    ] = None,
    overlap: Annotated[
        int, typer.Option("--overlap", min=1, help="Coders per task (2 or 3 to measure agreement).")
    ] = 2,
    codebook: CodebookOption = None,
    url: UrlOption = None,
    api_key: ApiKeyOption = None,
) -> None:
    """Create a project: labeling config and coder instructions generated from the codebook."""
    from eventcoder.annotate.projects import create_project

    settings = _server(url, api_key)
    cb = _codebook(codebook)
    with console.status("creating the project"):
        project = create_project(
            settings, cb, title=title, description=description, overlap=overlap
        )
    console.print(
        f"created project {project.id} [bold]{project.title}[/] ({overlap} coders per task): "
        f"{project.url}",
        highlight=False,
        soft_wrap=True,
    )


@tasks_app.command("import")
@handled
def tasks_import(
    file: Annotated[
        Path, typer.Argument(help="Articles (.jsonl or .csv): id, text, title, source, url, ...")
    ],
    project: ProjectOption,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="Tasks per POST.")] = 500,
    url: UrlOption = None,
    api_key: ApiKeyOption = None,
) -> None:
    """Import articles as tasks; articles already in the project are not imported again.

    An article whose id is in the project with another title or text is reported and left as it
    is (exit code 1): its task may have annotations whose offsets the new text would break.
    """
    from rich.progress import MofNCompleteColumn

    from eventcoder.annotate.articles import read_articles
    from eventcoder.annotate.projects import find_project
    from eventcoder.annotate.tasks import import_tasks

    settings = _server(url, api_key)
    articles = read_articles(file)
    target = find_project(settings, project)
    with _bar(MofNCompleteColumn()) as bar:
        job = bar.add_task("importing", total=None)
        report = import_tasks(
            settings,
            target.id,
            articles,
            batch_size=batch_size,
            on_progress=lambda done, total: bar.update(job, completed=done, total=total),
        )
    console.print(
        f"{report.total} articles: {report.added} added, {report.unchanged} unchanged, "
        f"{len(report.changed)} changed (not imported) -> project {target.id} {target.url}",
        highlight=False,
        soft_wrap=True,
    )
    if report.changed:
        shown = ", ".join(report.changed[:20]) + (" ..." if len(report.changed) > 20 else "")
        console.print(
            f"[yellow]changed:[/] {shown}: edit these tasks on the server, or import the "
            "new versions under new ids.",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(1)


@export_app.command("pull")
@handled
def export_pull(
    project: ProjectOption,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="JSON file to write (default: project-<id>.json)."),
    ] = None,
    only_annotated: Annotated[
        bool, typer.Option("--only-annotated", help="Leave out tasks nobody has annotated.")
    ] = False,
    url: UrlOption = None,
    api_key: ApiKeyOption = None,
) -> None:
    """Pull a snapshot export (coders' emails, skips and predictions included) to a JSON file."""
    from rich.progress import DownloadColumn, TransferSpeedColumn

    from eventcoder.annotate.exports import pull_export
    from eventcoder.annotate.projects import find_project

    settings = _server(url, api_key)
    target = find_project(settings, project)
    path = output or Path(f"project-{target.id}.json")
    with _bar(DownloadColumn(), TransferSpeedColumn()) as bar:
        job = bar.add_task("downloading", total=None)
        pull_export(
            settings,
            target.id,
            path,
            only_annotated=only_annotated,
            on_progress=lambda done, total: bar.update(job, completed=done, total=total),
        )
    console.print(
        f"wrote {path} ({path.stat().st_size:,} bytes) from project {target.id}",
        highlight=False,
        soft_wrap=True,
    )


@coders_app.command("add")
@handled
def coders_add(
    emails: Annotated[list[str], typer.Argument(help="Email address of each new coder.")],
    url: UrlOption = None,
    api_key: ApiKeyOption = None,
) -> None:
    """Create coder accounts; print each login address and one-time password, once.

    Passwords are shown here only and written nowhere: hand each to its coder privately. The
    coders' API tokens are not shown; coders log in with their email and password instead. An
    email the server refuses (taken, invalid) is reported and the others are still created
    (exit code 2 if any was refused).
    """
    from rich.markup import escape

    from eventcoder.annotate.client import create_coder
    from eventcoder.errors import ServerError

    settings = _server(url, api_key)
    refused = 0
    for email in emails:
        try:
            coder = create_coder(settings, email)
        except ServerError as err:
            if err.status is None:  # no server at all: the other emails would fail the same way
                raise
            err_console.print(
                f"[bold red]error:[/] {escape(str(err))}", highlight=False, soft_wrap=True
            )
            refused += 1
            continue
        # typer.echo, not rich: no wrapping or markup may alter a password
        typer.echo(f"{coder.email}\t{coder.login_url}\tpassword: {coder.password.reveal()}")
    if refused < len(emails):
        err_console.print(
            "Shown once and saved nowhere: give each coder their password privately and ask "
            "them to change it after logging in (Account & Settings).",
            highlight=False,
            soft_wrap=True,
        )
    if refused:
        raise typer.Exit(2)


# --------------------------------------------------------------------------------------------
# labeling config and convert (eventcoder.annotate.config / eventcoder.annotate.convert)
# --------------------------------------------------------------------------------------------


@project_app.command("config")
@handled
def project_config(
    codebook: CodebookOption = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file.")
    ] = None,
) -> None:
    """Print the Label Studio labeling config (XML) generated from the codebook."""
    from eventcoder.annotate.config import labeling_config
    from eventcoder.files import atomic_write_text

    xml = labeling_config(_codebook(codebook))
    if output is None:
        typer.echo(xml)
    else:
        atomic_write_text(xml + "\n", output)
        console.print(f"wrote {output}")


@app.command("convert")
@handled
def convert_cmd(
    export: Annotated[Path, typer.Argument(help="Label Studio JSON export (snapshot or quick).")],
    codebook: CodebookOption = None,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            help="Labeling config XML the project used (default: from the codebook).",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="Folder for the Parquet tables (default: beside the export)."
        ),
    ] = None,
) -> None:
    """Convert an export into annotations, mentions, rejects, skipped and predictions tables."""
    from eventcoder.annotate.convert import read_export, write_conversion

    cb = _codebook(codebook)
    xml = config.read_text(encoding="utf-8") if config is not None else None
    with console.status("converting") as status:
        conv = read_export(export, cb, xml, on_progress=lambda msg: status.update(msg))
        paths = write_conversion(conv, out or export.parent)
    for path in paths.values():
        console.print(f"wrote {path}")
    console.print(conv.reconciliation(), highlight=False)
    raise typer.Exit(1 if conv.rejected else 0)


# --------------------------------------------------------------------------------------------
# agreement (eventcoder.datasets.align / scores / report)
# --------------------------------------------------------------------------------------------


@app.command("agreement")
@handled
def agreement_cmd(
    source: Annotated[
        Path,
        typer.Argument(
            help="Annotations Parquet table (from `eventcoder convert`) "
            "or a Label Studio JSON export.",
        ),
    ],
    codebook: CodebookOption = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="Folder for the report files (default: beside the input)."
        ),
    ] = None,
    n_boot: Annotated[
        int,
        typer.Option(
            "--boot", min=0, help="Bootstrap resamples per field (0: no confidence intervals)."
        ),
    ] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the bootstrap.")] = 0,
    threshold: Annotated[
        float | None,
        typer.Option(
            "--threshold",
            help="Similarity at or above which two coders' events are the same "
            "event (default: the codebook's, else 0.5).",
        ),
    ] = None,
) -> None:
    """Align coders' events and measure agreement per field; write HTML, Markdown and JSON."""
    from rich.progress import Progress

    from eventcoder.annotate.convert import read_annotations
    from eventcoder.datasets.agreement import agreement
    from eventcoder.datasets.agreement_report import write_report

    cb = _codebook(codebook)
    with console.status("reading annotations"):
        table, coded = read_annotations(source, cb)
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("aligning events", total=None)

        def progress(stage: str, done: int, total: int) -> None:
            bar.update(task, description=stage, completed=done, total=total)

        result = agreement(
            table,
            cb,
            n_boot=n_boot,
            seed=seed,
            threshold=threshold,
            coded=coded,
            on_progress=progress,
        )
    paths = write_report(result, out or source.parent)
    render_agreement(result)
    for path in paths.values():
        console.print(f"wrote {path}", soft_wrap=True, highlight=False)


def render_agreement(result: Any) -> None:
    """Print the headline figures and a table of alpha per field of an AgreementResult."""
    colours = {"pass": "green", "tentative": "yellow", "fail": "red", "undefined": "dim"}
    s = result.summary
    t = Table(
        "field",
        "level",
        "alpha",
        "95% CI",
        "agreement",
        "status",
        title=f"Krippendorff's alpha (pass >= {s['thresholds']['pass']}, "
        f"tentative >= {s['thresholds']['tentative']})",
    )
    for r in result.fields.iter_rows(named=True):

        def num(v: float | None) -> str:
            return "-" if v is None else f"{v:.3f}"

        ci = f"{num(r['alpha_low'])} - {num(r['alpha_high'])}" if r["alpha_low"] is not None else ""
        c = colours[r["status"]]
        t.add_row(
            r["field"],
            r["level"],
            f"[{c}]{num(r['alpha'])}[/]",
            ci,
            num(r["percent_agreement"]),
            f"[{c}]{r['status']}[/]",
        )
    console.print(t)
    f1 = s["detection_f1"]
    console.print(
        f"{s['articles']:,} articles, {s['coders']} coders, {s['aligned_events']:,} "
        f"aligned events; event detection F1 {'-' if f1 is None else f'{f1:.2f}'}",
        highlight=False,
    )


# --------------------------------------------------------------------------------------------
# adjudicate, release, verify (eventcoder.datasets.adjudicate / release)
# --------------------------------------------------------------------------------------------


@app.command("adjudicate")
@handled
def adjudicate_cmd(
    source: Annotated[
        Path,
        typer.Argument(
            help="Annotations Parquet table, aligned (aligned.parquet) or not (aligned here), "
            "or a Label Studio JSON export."
        ),
    ],
    codebook: CodebookOption = None,
    policy: Annotated[
        str,
        typer.Option(
            "--policy",
            help="Tie policy: unresolved, first-coder, lowest or median "
            "(per-field ties come from the codebook: fatalities take the lowest).",
        ),
    ] = "unresolved",
    adjudicator: Annotated[
        list[str] | None,
        typer.Option(
            "--adjudicator", help="E-mail of a coder whose annotation is final (repeatable)."
        ),
    ] = None,
    min_coders: Annotated[
        str,
        typer.Option(
            "--min-coders",
            help="Coders of an article who must find an event: majority, all or "
            "a number; fewer goes to the review queue.",
        ),
    ] = "majority",
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Folder for gold, decisions and the review queue (default: beside the input).",
        ),
    ] = None,
) -> None:
    """Turn aligned events into gold events; write gold, decisions and the review queue."""
    from eventcoder.datasets.adjudicate import Policy, adjudicate, write_adjudication
    from eventcoder.datasets.align import read_aligned

    cb = _codebook(codebook)
    with console.status("adjudicating"):
        pol = Policy(tie=policy, min_coders=int(min_coders) if min_coders.isdigit() else min_coders)
        result = adjudicate(read_aligned(source, cb), cb, policy=pol, adjudicator=adjudicator)
    paths = write_adjudication(result, out or source.parent)
    s = result.summary()
    console.print(
        f"{s['gold']} gold events; {s['review_events']} event(s) in the review queue, "
        f"{s['rejected']} rejected by the codebook, {s['dropped']} dropped",
        highlight=False,
    )
    console.print(
        "decided by: " + ", ".join(f"{k} {v}" for k, v in s["decisions"].items()), highlight=False
    )
    for path in paths.values():
        console.print(f"wrote {path}", soft_wrap=True, highlight=False)


@app.command("release")
@handled
def release_cmd(
    name: Annotated[str, typer.Option("--name", help="Dataset name (a folder under the root).")],
    version: Annotated[
        str, typer.Option("--version", help="Semantic version X.Y.Z; never overwritten.")
    ],
    annotations: Annotated[
        Path,
        typer.Option(
            "--annotations",
            help="Annotations Parquet table (aligned or not) or a Label Studio JSON export.",
        ),
    ],
    gold: Annotated[
        Path | None,
        typer.Option(
            "--gold",
            help="gold.parquet from `eventcoder adjudicate` (default: adjudicate the "
            "annotations here with the default policy).",
        ),
    ] = None,
    rejects: Annotated[
        Path | None,
        typer.Option("--rejects", help="Rejected annotations (Parquet) to publish beside them."),
    ] = None,
    agreement: Annotated[
        Path | None,
        typer.Option("--agreement", help="Agreement report folder to copy into the release."),
    ] = None,
    root: Annotated[Path, typer.Option("--root", help="Folder holding the datasets.")] = Path(
        "datasets"
    ),
    license: Annotated[str, typer.Option("--license", help="License id, e.g. CC-BY-4.0.")] = (
        "CC-BY-4.0"
    ),
    partition_rows: Annotated[
        int,
        typer.Option(
            "--partition-rows",
            help="Write events as a hive dataset (country=/year=) above this many rows.",
        ),
    ] = 1_000_000,
    codebook: CodebookOption = None,
) -> None:
    """Publish an immutable, versioned release: Parquet tables, card, changelog, checksums."""
    from eventcoder.datasets.adjudicate import adjudicate
    from eventcoder.datasets.align import read_aligned
    from eventcoder.datasets.release import publish
    from eventcoder.schema.validate import read_table

    cb = _codebook(codebook)
    with console.status("publishing") as status:
        table = read_aligned(annotations, cb)
        gold_in = read_table(gold) if gold is not None else adjudicate(table, cb)
        release = publish(
            gold_in,
            table,
            read_table(rejects) if rejects else None,
            agreement,
            cb,
            name=name,
            version=version,
            root=root,
            license=license,
            partition_rows=partition_rows,
            on_progress=status.update,
        )
    for note in release.notes:
        console.print(f"[yellow]note:[/] {note}", highlight=False)
    c = release.changes
    console.print(
        f"{release.name} {release.version}: {release.events} events "
        f"({c['added']} added, {c['removed']} removed, {c['changed']} changed against "
        f"{release.previous or 'nothing'})",
        highlight=False,
    )
    console.print(f"wrote {release.path}", soft_wrap=True, highlight=False)


@app.command("verify")
@handled
def verify_cmd(path: Annotated[Path, typer.Argument(help="A release folder.")]) -> None:
    """Re-check a release's checksums and schemas; exit 1 naming any file that changed."""
    from eventcoder.datasets.release import MANIFEST, verify

    report = verify(path)
    for line in report.problems():
        err_console.print(f"[bold red]changed:[/] {line}", highlight=False, soft_wrap=True)
    if not report.ok:
        raise typer.Exit(1)
    console.print(f"[green]ok[/] {path}: {report.checked} files match {MANIFEST}", highlight=False)


# --------------------------------------------------------------------------------------------
# demo (eventcoder.pipeline)
# --------------------------------------------------------------------------------------------

DEMO_HEADLINE = ("event_type", "sub_event_type", "event_date", "location", "fatalities")


@app.command("demo")
@handled
def demo_cmd(
    workdir: Annotated[
        Path, typer.Option("--dir", help="Folder for the demo's inputs and intermediate tables.")
    ] = Path("eventcoder-demo"),
    root: Annotated[Path, typer.Option("--root", help="Folder holding the datasets.")] = Path(
        "datasets"
    ),
) -> None:
    """Run the whole pipeline on bundled articles and a real three-coder export; no server."""
    from eventcoder.pipeline import STAGES, run_demo

    with _bar() as bar:
        task = bar.add_task(STAGES[0], total=len(STAGES))

        def progress(stage: str, done: int, total: int) -> None:
            bar.update(task, description=stage, completed=done, total=total)

        result = run_demo(workdir, root=root, on_progress=progress)
    for note in result.notes:
        console.print(f"[yellow]note:[/] {note}", highlight=False, soft_wrap=True)
    say = functools.partial(console.print, highlight=False, soft_wrap=True)
    say(result.reconciliation())
    say(
        f"{result.events_accepted} events accepted, {result.events_rejected} in rejected "
        f"annotations; {result.aligned_events} aligned events: {result.gold_events} gold, "
        f"{result.review_events} in the review queue"
    )
    f1 = result.detection_f1
    alphas = ", ".join(
        f"{n} {result.alphas[n]:.3f}" for n in DEMO_HEADLINE if result.alphas.get(n) is not None
    )
    passed = sum(s == "pass" for s in result.statuses.values())
    say(
        f"agreement: event detection F1 {'-' if f1 is None else f'{f1:.2f}'}; Krippendorff's "
        f"alpha {alphas} ({passed} of {len(result.statuses)} fields pass)"
    )
    what = "published" if result.published else "already published"
    count = "?" if result.release_events is None else result.release_events
    say(f"{what} {result.name} {result.version}: {count} events")
    say(f"dataset: {result.release}")
    say(f"report:  {result.report_html}")
    say(f"work:    {result.workdir}")
    for line in result.problems:
        err_console.print(f"[bold red]changed:[/] {line}", highlight=False, soft_wrap=True)
    if not result.verified:
        raise typer.Exit(1)


# --------------------------------------------------------------------------------------------
# review: the adjudication's review queue in Label Studio (eventcoder.datasets.review)
# --------------------------------------------------------------------------------------------

review_app = typer.Typer(
    help="Settle the adjudication's review queue in a Label Studio project.", no_args_is_help=True
)
app.add_typer(review_app, name="review")

AdjudicationDir = Annotated[
    Path,
    typer.Argument(help="Folder 'eventcoder adjudicate' wrote (gold, decisions, review, ...)."),
]
AnnotationsOption = Annotated[
    Path,
    typer.Option(
        "--annotations",
        help="The annotations table the adjudication was made from (aligned or not).",
    ),
]


@review_app.command("push")
@handled
def review_push(
    folder: AdjudicationDir,
    articles: Annotated[
        Path, typer.Option("--articles", help="The articles file the coding project was made from.")
    ],
    annotations: AnnotationsOption,
    title: Annotated[
        str, typer.Option("--title", "-t", help="Review project title (found, or created).")
    ],
    codebook: CodebookOption = None,
    url: UrlOption = None,
    api_key: ApiKeyOption = None,
) -> None:
    """Put the review queue into a review project: one task per article, coders' versions shown.

    Each coder's version of the queued events is a prediction named by the coder's email.
    Re-running adds nothing.
    """
    from rich.progress import MofNCompleteColumn

    from eventcoder.annotate.articles import read_articles
    from eventcoder.datasets.align import read_aligned
    from eventcoder.datasets.review import push_review, read_adjudication

    settings = _server(url, api_key)
    cb = _codebook(codebook)
    adj = read_adjudication(folder)
    table = read_aligned(annotations, cb)
    found = read_articles(articles)
    with _bar(MofNCompleteColumn()) as bar:
        job = bar.add_task("importing", total=None)
        pushed = push_review(
            settings,
            adj,
            table,
            found,
            cb,
            title=title,
            on_progress=lambda done, total: bar.update(job, completed=done, total=total),
        )
    console.print(
        f"{pushed.total} article(s) with queued events: {pushed.added} added, "
        f"{pushed.unchanged} there already -> project {pushed.project.id} {pushed.project.url}",
        highlight=False,
        soft_wrap=True,
    )


@review_app.command("close")
@handled
def review_close(
    folder: AdjudicationDir,
    project: Annotated[
        str | None,
        typer.Option("--project", "-p", help="Review project id or title: pull its export now."),
    ] = None,
    export: Annotated[
        Path | None,
        typer.Option("--export", help="A review project export pulled before (instead of -p)."),
    ] = None,
    adjudicator: Annotated[
        str | None,
        typer.Option("--adjudicator", help="Only this email's annotations settle the queue."),
    ] = None,
    annotations: Annotated[
        Path | None,
        typer.Option(
            "--annotations",
            help="The coders' annotations table, to match regions drawn afresh by overlap.",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Folder for the settled adjudication (default: FOLDER)."),
    ] = None,
    codebook: CodebookOption = None,
    url: UrlOption = None,
    api_key: ApiKeyOption = None,
) -> None:
    """Settle the queue from the review project: the adjudicator's versions become gold.

    Events on articles nobody reviewed stay queued; a queued event the adjudicator deleted is
    dropped. With --project the export is pulled first (to FOLDER/review-export.json).
    """
    from eventcoder.datasets.adjudicate import write_adjudication
    from eventcoder.datasets.review import close_review, read_adjudication
    from eventcoder.errors import InputError

    if (project is None) == (export is None):
        raise InputError("give the review project (--project) or its export (--export), not both")
    cb = _codebook(codebook)
    adj = read_adjudication(folder)
    table = None
    if annotations is not None:
        from eventcoder.datasets.align import read_aligned

        table = read_aligned(annotations, cb)
    if project is not None:
        from eventcoder.annotate.exports import pull_export
        from eventcoder.annotate.projects import find_project

        settings = _server(url, api_key)
        target = find_project(settings, project)
        with console.status(f"pulling project {target.id}"):
            export = pull_export(settings, target.id, folder / "review-export.json")
    assert export is not None
    with console.status("closing the review queue"):
        result = close_review(export, adj, cb, adjudicator=adjudicator, annotations=table)
    paths = write_adjudication(result, out or folder)
    for note in result.notes[len(adj.notes) :]:
        console.print(f"[yellow]note:[/] {escape(note)}", highlight=False, soft_wrap=True)
    s = result.summary()
    console.print(
        f"{s['gold']} gold events; {s['review_events']} event(s) still in the review queue; "
        f"{s['dropped']} dropped",
        highlight=False,
    )
    for path in paths.values():
        console.print(f"wrote {path}", soft_wrap=True, highlight=False)
