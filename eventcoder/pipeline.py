"""The whole pipeline in one call: export -> validated annotations -> agreement -> gold -> release.

:func:`run_pipeline` chains the library's stages on one Label Studio export, writing what each
stage produced into a work folder and the release into the datasets root::

    WORKDIR/conversion/     annotations, rejects, skipped, predictions, warnings, coded,
                            mentions, changes (Parquet)
    WORKDIR/agreement/      agreement.html, AGREEMENT.md, agreement.json, aligned.parquet
    WORKDIR/adjudication/   gold, decisions, review, rejected, dropped (Parquet), review.csv
    ROOT/NAME/VERSION/      the release (see eventcoder.datasets.release)

Stages: convert with the codebook (every annotation accepted, rejected or skipped), align the
coders' events, measure agreement and write the report, adjudicate into gold events (default
policy: majority vote, the codebook's per-field ties such as fatalities: lowest, other ties go
to the review queue), publish, verify the published checksums. :func:`run_demo` runs it with no
server on the material bundled in :mod:`eventcoder.demo`.

Releases are immutable, so when the version exists already the pipeline publishes nothing: it
verifies the release that is there, returns its paths with ``published=False`` and says so in a
note. Running the demo twice therefore leaves one release, and the second run tells where it is.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib.resources import as_file
from pathlib import Path

import polars as pl

from eventcoder.annotate.convert import Conversion, read_export, write_conversion
from eventcoder.datasets.adjudicate import Adjudication, adjudicate, write_adjudication
from eventcoder.datasets.agreement import N_BOOT, agreement
from eventcoder.datasets.agreement_report import write_report
from eventcoder.datasets.align import align_events
from eventcoder.datasets.release import publish, read_events, verify
from eventcoder.errors import ReleaseExistsError
from eventcoder.schema.codebook import Codebook

__all__ = ["STAGES", "DemoResult", "PipelineResult", "run_demo", "run_pipeline"]

STAGES = (
    "converting the export",
    "aligning events",
    "measuring agreement",
    "adjudicating",
    "publishing",
    "verifying",
)
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class PipelineResult:
    """Where everything went and the counts of each stage.

    ``annotations == accepted + rejected + skipped`` (Label Studio annotations);
    ``events_accepted`` / ``events_rejected`` count coders' events; ``aligned_events`` the events
    after alignment; ``gold_events`` those adjudicated, ``review_events`` those queued for an
    adjudicator; ``release_events`` the rows of the release's events table (None when the
    release does not verify: then ``problems`` names the files that changed). ``alphas`` and
    ``statuses`` hold Krippendorff's alpha and its verdict per field.
    """

    workdir: Path
    release: Path
    name: str
    version: str
    published: bool
    report_html: Path
    files: Mapping[str, Path]
    annotations: int
    accepted: int
    rejected: int
    skipped: int
    events_accepted: int
    events_rejected: int
    aligned_events: int
    gold_events: int
    review_events: int
    release_events: int | None
    detection_f1: float | None
    alphas: Mapping[str, float | None]
    statuses: Mapping[str, str]
    verified: bool
    problems: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    def reconciliation(self) -> str:
        """The one-line account of every annotation in the export."""
        return (
            f"{self.annotations:,} annotations: {self.accepted:,} accepted, {self.rejected:,} "
            f"rejected, {self.skipped:,} skipped"
        )


DemoResult = PipelineResult  # the demo's result is the pipeline's, on the bundled material


def run_pipeline(
    export: str | Path,
    workdir: str | Path,
    cb: Codebook | None = None,
    *,
    name: str,
    version: str,
    root: str | Path | None = None,
    title: str | None = None,
    n_boot: int = N_BOOT,
    on_progress: Progress | None = None,
) -> PipelineResult:
    """Return what running every stage on ``export`` produced (see the module docstring).

    ``cb`` defaults to the bundled codebook, ``root`` to ``./datasets``. Raises the stages' own
    errors for unusable input (``ExportFormatError`` for a broken export, ``InputError`` when no
    annotation is accepted); a version that exists already is not an error.
    """
    from eventcoder.schema import load_codebook

    cb = cb if cb is not None else load_codebook(None)
    work = Path(workdir)
    root = Path(root) if root is not None else Path("datasets")
    report = on_progress or (lambda _stage, _done, _total: None)
    total = len(STAGES)
    notes: list[str] = []
    files: dict[str, Path] = {}

    report(STAGES[0], 0, total)
    conv = read_export(export, cb)
    files.update(
        {f"conversion/{k}": p for k, p in write_conversion(conv, work / "conversion").items()}
    )

    report(STAGES[1], 1, total)
    aligned = align_events(conv.annotations, cb)

    report(STAGES[2], 2, total)
    result = agreement(aligned, cb, n_boot=n_boot, coded=conv.coded)
    written = write_report(result, work / "agreement")
    files.update({f"agreement/{k}": p for k, p in written.items()})

    report(STAGES[3], 3, total)
    adj = adjudicate(aligned, cb)
    files.update(
        {f"adjudication/{k}": p for k, p in write_adjudication(adj, work / "adjudication").items()}
    )
    summary = adj.summary()

    report(STAGES[4], 4, total)
    target = root / name / version
    published, published_notes = _publish_once(
        adj, aligned, conv, work / "agreement", cb, target, title=title
    )
    notes.extend(published_notes)

    report(STAGES[5], 5, total)
    check = verify(target)
    release_html = target / "agreement" / "agreement.html"
    fields = result.fields
    report("done", total, total)
    return PipelineResult(
        workdir=work,
        release=target,
        name=name,
        version=version,
        published=published,
        report_html=release_html if release_html.is_file() else written["html"],
        files=files,
        annotations=conv.total,
        accepted=conv.accepted,
        rejected=conv.rejected,
        skipped=conv.skipped_count,
        events_accepted=conv.events_accepted,
        events_rejected=conv.events_rejected,
        aligned_events=aligned["aligned_event"].n_unique(),
        gold_events=summary["gold"],
        review_events=summary["review_events"],
        release_events=read_events(target).height if check.ok else None,
        detection_f1=result.summary.get("detection_f1"),
        alphas=dict(zip(fields["field"], fields["alpha"], strict=True)),
        statuses=dict(zip(fields["field"], fields["status"], strict=True)),
        verified=check.ok,
        problems=tuple(check.problems()),
        notes=tuple(notes),
    )


def _publish_once(
    adj: Adjudication,
    aligned: pl.DataFrame,
    conv: Conversion,
    agreement_dir: Path,
    cb: Codebook,
    target: Path,
    *,
    title: str | None,
) -> tuple[bool, list[str]]:
    """Publish the release at ``target`` (root/name/version); return whether it was and notes.

    A version published before is left as it is: releases are immutable, and the demo shows it.
    """
    try:
        release = publish(
            adj,
            aligned,
            conv.rejects,
            agreement_dir,
            cb,
            name=target.parent.name,
            version=target.name,
            root=target.parent.parent,
            title=title,
        )
    except ReleaseExistsError:
        return False, [
            f"{target} exists already and releases are immutable, so nothing was published; "
            "it is shown as it is (delete that folder to publish it again)"
        ]
    return True, list(release.notes)


def run_demo(
    workdir: str | Path,
    *,
    root: str | Path | None = None,
    on_progress: Progress | None = None,
) -> PipelineResult:
    """Return the result of the whole pipeline on the bundled demo material, with no server.

    Copies the bundled articles and export into ``workdir`` (so they can be read beside the
    results), then runs :func:`run_pipeline` on the export and publishes release 1.0.0 of the
    dataset ``idlib-demo`` under ``root`` (default ``./datasets``).
    """
    from eventcoder import demo

    work = Path(workdir)
    work.mkdir(parents=True, exist_ok=True)
    for name in (demo.ARTICLES, demo.EXPORT):
        with as_file(demo.material(name)) as src:
            shutil.copyfile(src, work / name)
    return run_pipeline(
        work / demo.EXPORT,
        work,
        name=demo.DATASET,
        version=demo.VERSION,
        root=root,
        title=f"{demo.DATASET}: eventcoder demo, north-west Syria, June 2020",
        on_progress=on_progress,
    )
