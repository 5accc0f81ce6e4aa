"""Commands of the annotation stage: projects, coders, tasks, exports and their conversion."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from eventcoder.cli.app import app, console, err_console, say, say_error, say_note
from eventcoder.cli.options import (
    ApiKeyOption,
    CodebookOption,
    OutputFileOption,
    ProjectOption,
    UrlOption,
    codebook_at,
    print_or_write,
    progress_bar,
)
from eventcoder.cli.render import render_failures, say_changes
from eventcoder.settings import ServerSettings, server_settings

if TYPE_CHECKING:
    from eventcoder.model import TextModel
    from eventcoder.schema.codebook import Codebook

project_app = typer.Typer(help="Create Label Studio projects from codebooks.", no_args_is_help=True)
tasks_app = typer.Typer(help="Put articles into a project as tasks.", no_args_is_help=True)
export_app = typer.Typer(help="Pull annotations from a project.", no_args_is_help=True)
coders_app = typer.Typer(help="Give coders accounts on the server.", no_args_is_help=True)
app.add_typer(project_app, name="project")
app.add_typer(tasks_app, name="tasks")
app.add_typer(export_app, name="export")
app.add_typer(coders_app, name="coders")


@project_app.command("create")
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

    settings = server_settings(url, api_key)
    cb = codebook_at(codebook)
    with console.status("creating the project"):
        project = create_project(
            settings, cb, title=title, description=description, overlap=overlap
        )
    console.print(
        f"created project {project.id} [bold]{escape(project.title)}[/] ({overlap} coders per "
        f"task): {escape(project.url)}",
        highlight=False,
        soft_wrap=True,
    )


@tasks_app.command("import")
def tasks_import(
    file: Annotated[
        Path, typer.Argument(help="Articles (.jsonl or .csv): id, text, title, source, url, ...")
    ],
    project: ProjectOption,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="Tasks per POST.")] = 500,
    predict: Annotated[
        Path | None,
        typer.Option(
            "--predict",
            help="Model file (eventcoder model train): attach its predictions to the articles.",
        ),
    ] = None,
    codebook: CodebookOption = None,
    url: UrlOption = None,
    api_key: ApiKeyOption = None,
) -> None:
    """Import articles as tasks; articles already in the project are not imported again.

    An article whose id is in the project with another title or text is reported and left as it
    is (exit code 1): its task may have annotations whose offsets the new text would break.
    With --predict, every article given gets the model's prediction (pre-annotation); running
    it again replaces that model version's predictions and adds none.
    """
    from rich.progress import MofNCompleteColumn

    from eventcoder.annotate.articles import read_articles
    from eventcoder.annotate.projects import find_project
    from eventcoder.annotate.tasks import import_tasks

    settings = server_settings(url, api_key)
    articles = read_articles(file)
    model = None
    if predict is not None:
        from eventcoder.model import load_model

        cb = codebook_at(codebook)
        model = load_model(predict, cb)  # refused before anything is sent
    target = find_project(settings, project)
    with progress_bar(MofNCompleteColumn()) as bar:
        job = bar.add_task("importing", total=None)
        report = import_tasks(
            settings,
            target.id,
            articles,
            batch_size=batch_size,
            on_progress=lambda done, total: bar.update(job, completed=done, total=total),
        )
    say(
        f"{report.total} articles: {report.added} added, {report.unchanged} unchanged, "
        f"{len(report.changed)} changed (not imported) -> project {target.id} {target.url}",
    )
    if model is not None and predict is not None:
        _preannotate(settings, target.id, articles, model, cb, predict)
    if report.changed:
        shown = ", ".join(report.changed[:20]) + (" ..." if len(report.changed) > 20 else "")
        console.print(
            f"[yellow]changed:[/] {escape(shown)}: edit these tasks on the server, or import the "
            "new versions under new ids.",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(1)


def _preannotate(
    settings: ServerSettings,
    project_id: int,
    articles: Sequence[Any] | None,
    model: TextModel,
    cb: Codebook,
    path: Path,
) -> None:
    from eventcoder.annotate.prelabel import preannotate
    from eventcoder.model import model_version

    version = model_version(path)
    with console.status("predicting"):
        report = preannotate(settings, project_id, articles, model, cb, version)
    console.print(
        f"predictions {escape(version)}: {report.added} added, {report.replaced} replaced, "
        f"{report.unchanged} unchanged; {report.regions:,} event regions",
        highlight=False,
        soft_wrap=True,
    )
    if report.without_task:
        console.print(
            f"[yellow]no task for:[/] {escape(', '.join(report.without_task[:20]))}",
            highlight=False,
            soft_wrap=True,
        )


@app.command("predict")
def predict_cmd(
    project: ProjectOption,
    model_path: Annotated[Path, typer.Option("--model", "-m", help="Model file.")],
    codebook: CodebookOption = None,
    url: UrlOption = None,
    api_key: ApiKeyOption = None,
) -> None:
    """Attach a model's predictions to every task of a project (pre-annotation)."""
    from eventcoder.annotate.projects import find_project
    from eventcoder.model import load_model

    settings = server_settings(url, api_key)
    cb = codebook_at(codebook)
    model = load_model(model_path, cb)
    target = find_project(settings, project)
    _preannotate(settings, target.id, None, model, cb, model_path)


@export_app.command("pull")
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

    settings = server_settings(url, api_key)
    target = find_project(settings, project)
    path = output or Path(f"project-{target.id}.json")
    with progress_bar(DownloadColumn(), TransferSpeedColumn()) as bar:
        job = bar.add_task("downloading", total=None)
        pull_export(
            settings,
            target.id,
            path,
            only_annotated=only_annotated,
            on_progress=lambda done, total: bar.update(job, completed=done, total=total),
        )
    say(f"wrote {path} ({path.stat().st_size:,} bytes) from project {target.id}")


@coders_app.command("add")
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
    from eventcoder.annotate.client import create_coders

    made = create_coders(server_settings(url, api_key), emails)
    refused = 0
    for coder in made:
        if isinstance(coder, Exception):
            say_error(str(coder))
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


@project_app.command("config")
def project_config(
    codebook: CodebookOption = None,
    output: OutputFileOption = None,
) -> None:
    """Print the Label Studio labeling config (XML) generated from the codebook."""
    from eventcoder.annotate.config import labeling_config

    print_or_write(labeling_config(codebook_at(codebook)) + "\n", output)


@app.command("convert")
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
    from eventcoder.files import check_folder

    target = check_folder(out or export.parent)
    cb = codebook_at(codebook)
    xml = config.read_text(encoding="utf-8") if config is not None else None
    with console.status("converting") as status:
        conv = read_export(export, cb, xml, on_progress=lambda msg: status.update(msg))
        paths = write_conversion(conv, target)
    for note in conv.notes:
        say_note(note)
    render_failures(conv.counts_by_rule())
    say(conv.reconciliation())
    say(
        f"{conv.rejects.height:,} problems in the rejected annotations, listed in "
        f"{paths['rejects']}; {conv.warnings.height:,} warnings, listed in {paths['warnings']}"
    )
    say_changes(conv.changes, paths["changes"])
    for path in paths.values():
        say(f"wrote {path}")
    raise typer.Exit(1 if conv.rejected else 0)
