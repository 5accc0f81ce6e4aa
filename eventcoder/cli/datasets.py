"""Commands of the datasets stage: agreement, adjudication, its review queue, releases."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from eventcoder.cli.app import app, console, say, say_error, say_note
from eventcoder.cli.options import (
    ApiKeyOption,
    CodebookOption,
    UrlOption,
    codebook_at,
    progress_bar,
)
from eventcoder.errors import InputError
from eventcoder.settings import server_settings

if TYPE_CHECKING:
    from eventcoder.datasets.agreement import AgreementResult
    from eventcoder.datasets.release import Release


@app.command("agreement")
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
    seed: Annotated[
        int,
        typer.Option("--seed", min=0, help="Seed of the bootstrap (same seed, same intervals)."),
    ] = 0,
    threshold: Annotated[
        float | None,
        typer.Option(
            "--threshold",
            help="Similarity at or above which two coders' events are the same "
            "event (default: the codebook's, else 0.5).",
        ),
    ] = None,
    model_coder: Annotated[
        str | None,
        typer.Option(
            "--model-coder",
            help="Count this model version's predictions as one more coder, model:VERSION.",
        ),
    ] = None,
    gold: Annotated[
        Path | None,
        typer.Option(
            "--gold",
            help="With --model-coder: gold events (gold.parquet from adjudicate) to measure the "
            "model against too; that report goes to OUT/model-vs-gold/.",
        ),
    ] = None,
) -> None:
    """Align coders' events and measure agreement per field; write HTML, Markdown and JSON."""
    from rich.progress import Progress

    from eventcoder.datasets.agreement import agreement
    from eventcoder.datasets.agreement_report import write_report
    from eventcoder.datasets.model_coder import model_gold_agreement, read_coders
    from eventcoder.files import check_folder

    if gold is not None and model_coder is None:
        raise InputError("--gold measures a model against gold: give --model-coder too")
    target = check_folder(out or source.parent)
    cb = codebook_at(codebook)
    with console.status("reading annotations"):
        table, coded, predictions, uncoded = read_coders(source, cb, model_coder, say_note)
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
            uncoded=uncoded,
            on_progress=progress,
        )
    paths = write_report(result, target)
    render_agreement(result)
    if gold is not None and model_coder is not None and predictions is not None:
        from eventcoder.schema.validation import read_table

        against = model_gold_agreement(
            predictions, read_table(gold), cb, model_coder, n_boot=n_boot, seed=seed
        )
        paths |= {
            f"model-vs-gold {k}": p
            for k, p in write_report(against, target / "model-vs-gold").items()
        }
        console.print(f"[bold]{escape(model_coder)} against gold[/]", highlight=False)
        render_agreement(against)
    for path in paths.values():
        say(f"wrote {path}")


def render_agreement(result: AgreementResult) -> None:
    """Print the headline figures and a table of alpha per field of an AgreementResult.

    The table fits 80 columns without cutting a field name: the name column takes the longest
    name's width, has no vertical rules, and other cells wrap rather than end in an ellipsis.
    """
    colours = {"pass": "green", "tentative": "yellow", "fail": "red", "undefined": "dim"}
    s = result.summary
    ok, tentative = s["thresholds"]["pass"], s["thresholds"]["tentative"]
    boot = s["bootstrap"]
    fields = result.fields
    intervals = bool(boot["n_boot"]) and fields["alpha_low"].is_not_null().any()
    t = Table(
        title=f"Krippendorff's alpha (pass >= {ok}, tentative >= {tentative})",
        caption=f"q(t): share of {boot['n_boot']} bootstrap resamples with alpha below t. "
        f"uncertain: the {boot['ci'] * 100:g}% interval leaves the verdict's band "
        "(the rule is written in AGREEMENT.md)."
        if intervals
        else None,
        box=box.SIMPLE_HEAD,
    )
    longest = max((len(name) for name in fields["field"].to_list()), default=5)
    t.add_column("field", no_wrap=True, min_width=longest)
    t.add_column("alpha", justify="right", no_wrap=True, min_width=5)
    if intervals:
        # These wrap (at the spaces) when a long field name leaves them little room.
        t.add_column(f"{boot['ci'] * 100:g}% CI", overflow="fold")
        t.add_column(f"q({ok:g})", justify="right", overflow="fold")
        t.add_column(f"q({tentative:g})", justify="right", overflow="fold")
    t.add_column("status", overflow="fold", min_width=len("pass, uncertain"))

    def num(v: float | None) -> str:
        return "-" if v is None else f"{v:.3f}"

    def share(v: float | None) -> str:
        return "-" if v is None else f"{v:.1%}" if 0 < v < 1 else f"{v:.0%}"

    for r in fields.iter_rows(named=True):
        c = colours[r["status"].split(",")[0]]
        cells = [escape(r["field"]), f"[{c}]{num(r['alpha'])}[/]"]
        if intervals:
            ci = (
                f"{num(r['alpha_low'])}-{num(r['alpha_high'])}"
                if r["alpha_low"] is not None
                else ""
            )
            cells += [ci, share(r["q_pass"]), share(r["q_tentative"])]
        t.add_row(*cells, f"[{c}]{escape(r['status'])}[/]")
    console.print(t)
    f1 = s["detection_f1"]
    console.print(
        f"{s['articles']:,} articles, {s['coders']} coders, {s['aligned_events']:,} "
        f"aligned events; event detection F1 {'-' if f1 is None else f'{f1:.2f}'}",
        highlight=False,
    )


@app.command("adjudicate")
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
    from eventcoder.files import check_folder

    target = check_folder(out or source.parent)
    cb = codebook_at(codebook)
    with console.status("adjudicating"):
        pol = Policy(tie=policy, min_coders=int(min_coders) if min_coders.isdigit() else min_coders)
        result = adjudicate(
            read_aligned(source, cb, say_note), cb, policy=pol, adjudicator=adjudicator
        )
    paths = write_adjudication(result, target)
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
        say(f"wrote {path}")


@app.command("release")
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
    adjudication: Annotated[
        Path | None,
        typer.Option(
            "--adjudication",
            help="The folder `eventcoder adjudicate` wrote: gold events, decisions and the "
            "review queue are published together (default: adjudicate the annotations here "
            "with the default policy).",
        ),
    ] = None,
    gold: Annotated[
        Path | None,
        typer.Option(
            "--gold",
            help="Gold events alone (Parquet), without decisions or review queue; the card "
            "then cannot say what awaits review. Prefer --adjudication.",
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
            min=0,
            help="Write events as a hive dataset (country=/year=) above this many rows.",
        ),
    ] = 1_000_000,
    codebook: CodebookOption = None,
) -> None:
    """Publish an immutable, versioned release: Parquet tables, card, changelog, checksums."""
    from eventcoder.datasets.align import read_aligned
    from eventcoder.datasets.release import gold_source, publish
    from eventcoder.files import check_folder
    from eventcoder.schema.validation import read_table

    check_folder(root)
    cb = codebook_at(codebook)
    with console.status("publishing") as status:
        table = read_aligned(annotations, cb, say_note)
        release = publish(
            gold_source(table, cb, adjudication=adjudication, gold=gold),
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
    render_release(release)


def render_release(release: Release) -> None:
    """Print a release's notes, its changes against the previous one and its review queue."""
    for note in release.notes:
        say_note(note)
    c = release.changes
    say(
        f"{release.name} {release.version}: {release.events} events "
        f"({c['added']} added, {c['removed']} removed, {c['changed']} changed against "
        f"{release.previous or 'nothing'})"
    )
    if release.review is None:
        console.print(
            "[yellow]note:[/] published from gold events alone: events awaiting review, if any, "
            "are neither in the release nor counted (--adjudication DIR publishes the queue)",
            highlight=False,
        )
    elif release.review[0]:
        say(
            f"{release.review[0]} event(s) await an adjudicator, not in this release: "
            f"{release.path / 'review.parquet'} ({release.review[1]} rows)"
        )
    say(f"wrote {release.path}")


@app.command("verify")
def verify_cmd(path: Annotated[Path, typer.Argument(help="A release folder.")]) -> None:
    """Re-check a release's checksums and schemas; exit 1 naming any file that changed."""
    from eventcoder.datasets.release import MANIFEST, verify

    report = verify(path)
    for line in report.problems():
        say_error(line, label="changed")
    if not report.ok:
        raise typer.Exit(1)
    console.print(
        f"[green]ok[/] {escape(str(path))}: {report.checked} files match {MANIFEST}",
        highlight=False,
        soft_wrap=True,
    )


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

    settings = server_settings(url, api_key)
    cb = codebook_at(codebook)
    adj = read_adjudication(folder)
    table = read_aligned(annotations, cb, say_note)
    found = read_articles(articles)
    with progress_bar(MofNCompleteColumn()) as bar:
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
    say(
        f"{pushed.total} article(s) with queued events: {pushed.added} added, "
        f"{pushed.unchanged} there already -> project {pushed.project.id} {pushed.project.url}",
    )


@review_app.command("close")
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
    from eventcoder.files import check_folder

    if project is None and export is None:
        raise InputError(
            "which review? Give --project ID_OR_TITLE to pull the review project now, or "
            "--export FILE for an export of it pulled before."
        )
    if project is not None and export is not None:
        raise InputError(
            "--project and --export both name the review: give one (--project pulls the "
            "project now, --export reads an export pulled before)."
        )
    target = check_folder(out or folder)
    cb = codebook_at(codebook)
    adj = read_adjudication(folder)
    table = None
    if annotations is not None:
        from eventcoder.datasets.align import read_aligned

        table = read_aligned(annotations, cb, say_note)
    if project is not None:
        from eventcoder.annotate.exports import pull_export
        from eventcoder.annotate.projects import find_project

        settings = server_settings(url, api_key)
        review = find_project(settings, project)  # not `target`: that is the output folder
        with console.status(f"pulling project {review.id}"):
            export = pull_export(settings, review.id, folder / "review-export.json")
    assert export is not None
    with console.status("closing the review queue"):
        result = close_review(export, adj, cb, adjudicator=adjudicator, annotations=table)
    paths = write_adjudication(result, target)
    for note in result.notes[len(adj.notes) :]:
        say_note(note)
    s = result.summary()
    console.print(
        f"{s['gold']} gold events; {s['review_events']} event(s) still in the review queue; "
        f"{s['dropped']} dropped",
        highlight=False,
    )
    for path in paths.values():
        say(f"wrote {path}")
