"""``eventcoder demo``: the whole pipeline on bundled material, no server."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from eventcoder.cli.app import app, say, say_error, say_note
from eventcoder.cli.options import progress_bar

DEMO_HEADLINE = ("event_type", "sub_event_type", "event_date", "location", "fatalities")


@app.command("demo")
def demo_cmd(
    workdir: Annotated[
        Path, typer.Option("--dir", help="Folder for the demo's inputs and intermediate tables.")
    ] = Path("eventcoder-demo"),
    root: Annotated[Path, typer.Option("--root", help="Folder holding the datasets.")] = Path(
        "datasets"
    ),
) -> None:
    """Run the whole pipeline on bundled articles and a real three-coder export; no server."""
    from eventcoder.files import check_folder
    from eventcoder.pipeline import STAGES, run_demo

    check_folder(workdir)
    check_folder(root)
    with progress_bar() as bar:
        task = bar.add_task(STAGES[0], total=len(STAGES))

        def progress(stage: str, done: int, total: int) -> None:
            bar.update(task, description=stage, completed=done, total=total)

        result = run_demo(workdir, root=root, on_progress=progress)
    for note in result.notes:
        say_note(note)
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
    passed = [s for s in result.statuses.values() if s.startswith("pass")]
    uncertain = sum(s.endswith("uncertain") for s in passed)
    say(
        f"agreement: event detection F1 {'-' if f1 is None else f'{f1:.2f}'}; Krippendorff's "
        f"alpha {alphas} ({len(passed)} of {len(result.statuses)} fields pass"
        + (f", {uncertain} of them uncertain)" if uncertain else ")")
    )
    what = "published" if result.published else "already published"
    count = "?" if result.release_events is None else result.release_events
    say(f"{what} {result.name} {result.version}: {count} events")
    say(f"dataset: {result.release}")
    say(f"report:  {result.report_html}")
    say(f"work:    {result.workdir}")
    for line in result.problems:
        say_error(line, label="changed")
    if not result.verified:
        raise typer.Exit(1)
