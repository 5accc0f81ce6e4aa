"""The review queue as a Label Studio project: coders' versions shown, an adjudicator settles them.

:func:`eventcoder.datasets.adjudicate.adjudicate` leaves what it cannot decide in a review queue
(ties, events too few coders found, gold events that broke a rule). This module turns that queue
into a Label Studio project and back:

1. :func:`review_tasks` makes one task per article with queued events. Its data is the article
   (same text, so offsets carry over) under the id ``review:<article id>``, which cannot collide
   with the coding project's ids; ``article_id`` keeps the plain id and ``queue`` says what is
   queued. Its ``predictions`` are the coders' versions of the queued events, one prediction per
   coder (``model_version`` = the coder's e-mail), each an Event region over the coder's evidence
   span with the per-region controls of the coding config. Results are built by
   :func:`eventcoder.annotate.results.event_results`, the inverse of the converter
   (:func:`eventcoder.annotate.convert.export_to_annotations`): converting built results gives
   back the same field values (a test proves it).
2. :func:`push_review` creates (or finds) the review project, with the coding project's labeling
   config, and imports the tasks; tasks already there are not sent again, so re-running adds
   nothing.
3. The adjudicator opens a task, starts from one coder's version (or none), edits it into the
   gold event and submits. A queued event whose region they delete did not happen.
4. :func:`close_review` converts the review project's export and settles the queue: the
   adjudicator's version of each queued event becomes gold (every voted field decided with method
   ``adjudicator``, the adjudicator's e-mail in the ``adjudicator`` column of ``decisions``), the
   event's rows leave the review queue, a queued event the adjudicator deleted is dropped (reason
   ``deleted-by-adjudicator``), and everything on articles nobody reviewed stays queued.

Which adjudicator event is which queued event: each queued event's region id is derived from its
aligned-event id (:func:`region_id`). Label Studio 1.23.2's editor keeps a prediction's region
ids when an annotation is made from it (``addAnnotationFromPrediction`` in its shipped bundle
rewrites only a ``#suffix``, which these ids do not have), but gives new ids when a prediction's
results are appended to an annotation that exists already, and to regions drawn afresh. A region
with a new id is matched to the queued
event whose coders' evidence spans overlap it most (when the coders' ``annotations`` are given),
else, when the article has one queued event left and one unmatched region, to that one. A region
that matches no queued event is not added to gold (a note says how many: gold events come from
the coding project), and since it may be a queued event redrawn, no queued event of its article
is taken as deleted: they stay queued.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from eventcoder.annotate.articles import Article
from eventcoder.annotate.config import (
    labeling_config,
    parse_controls,
)
from eventcoder.annotate.convert import Conversion, export_to_annotations
from eventcoder.annotate.projects import Project
from eventcoder.annotate.results import event_results
from eventcoder.datasets.adjudicate import (
    DECISIONS_SCHEMA,
    DROPPED_SCHEMA,
    EVENT_FIELD,
    REVIEW_SCHEMA,
    Adjudication,
    read_adjudication,
    voted_fields,
)
from eventcoder.errors import InputError, ServerError
from eventcoder.schema.codebook import Codebook
from eventcoder.schema.validation import validate
from eventcoder.settings import ServerSettings

__all__ = [
    "DELETED",
    "REVIEW_PREFIX",
    "ReviewPush",
    "close_review",
    "push_review",
    "read_adjudication",
    "region_id",
    "review_tasks",
]

REVIEW_PREFIX = "review:"  # task data ids of review tasks: never an id of the coding project
METHOD = "adjudicator"
DELETED = "deleted-by-adjudicator"
BATCH = 200
Progress = Callable[[int, int | None], None]


@dataclass(frozen=True)
class ReviewPush:
    """What pushing a review queue did: the project, and tasks added / there already."""

    project: Project
    added: int
    unchanged: int
    total: int


# --------------------------------------------------------------------------------------------
# Building tasks
# --------------------------------------------------------------------------------------------


def region_id(aligned_event: str) -> str:
    """The Label Studio region id of a queued event: stable, derived from its aligned-event id."""
    return "q" + hashlib.sha1(aligned_event.encode("utf-8")).hexdigest()[:9]


def _article_data(articles_or_tasks: Sequence[Any]) -> dict[str, dict[str, Any]]:
    """Article id -> task data, from Articles, export tasks (``data``) or plain data dicts."""
    out: dict[str, dict[str, Any]] = {}
    for item in articles_or_tasks:
        if isinstance(item, Article):
            data: dict[str, Any] = item.task_data()
        elif isinstance(item, Mapping):
            data = dict(item["data"]) if isinstance(item.get("data"), Mapping) else dict(item)
        else:
            raise InputError(f"not an article or a task: {type(item).__name__}")
        if data.get("id") is None or data.get("text") is None:
            raise InputError("an article or task without id or text cannot be reviewed")
        out.setdefault(str(data["id"]), data)
    return out


def review_tasks(
    adjudication: Adjudication,
    annotations: pl.DataFrame,
    articles_or_tasks: Sequence[Any],
    cb: Codebook,
) -> list[dict[str, Any]]:
    """One Label Studio task per article with queued events, the coders' versions as predictions.

    ``annotations`` is the aligned annotations table the adjudication was made from (it must
    hold ``aligned_event``); ``articles_or_tasks`` the articles (:class:`Article`, task data
    dicts or tasks of the coding project's export). Raises :class:`InputError` when a queued
    article is not among them, or the table is not aligned.
    """
    if "aligned_event" not in annotations.columns:
        raise InputError(
            "the annotations table has no 'aligned_event' column: pass aligned.parquet"
        )
    queue = adjudication.review
    if queue.height == 0:
        return []
    data = _article_data(articles_or_tasks)
    missing = sorted(set(queue["article_id"].unique().to_list()) - set(data))
    if missing:
        raise InputError(
            f"{len(missing)} article(s) in the review queue are not among the articles given "
            f"(first: {missing[0]!r}); pass the articles file the coding project was made from"
        )
    controls = parse_controls(labeling_config(cb))
    queued = queue.select("article_id", "aligned_event").unique()
    versions = annotations.join(queued.select("aligned_event"), on="aligned_event", how="semi")
    # "a1#1: tie on location, notes; a1#2: too-few-coders on (event)", for the data manager.
    what = (
        queue.group_by("article_id", "aligned_event", "reason")
        .agg(pl.col("field").unique().sort().str.join(", "))
        .sort("aligned_event", "reason")
        .group_by("article_id", maintain_order=True)
        .agg(pl.format("{}: {} on {}", "aligned_event", "reason", "field").str.join("; "))
    )
    summary: dict[str, str] = dict(what.iter_rows())
    tasks: list[dict[str, Any]] = []
    # One loop step per queued article and coder: the queue is what people read, never large.
    for article_id in sorted(summary):
        article = data[article_id]
        text = str(article["text"])
        mine = versions.filter(pl.col("article_id") == article_id)
        predictions = []
        for coder in sorted(mine["coder"].unique().to_list()):
            rows = mine.filter(pl.col("coder") == coder).sort("span_start", "aligned_event")
            result: list[dict[str, Any]] = []
            for row in rows.iter_rows(named=True):
                region = region_id(row["aligned_event"])
                result += event_results(row, cb, text, region=region, controls=controls)
            predictions.append({"model_version": coder, "result": result})
        tasks.append(
            {
                "data": {
                    **article,
                    "id": f"{REVIEW_PREFIX}{article_id}",
                    "article_id": article_id,
                    "queue": summary[article_id],
                },
                "predictions": predictions,
            }
        )
    return tasks


# --------------------------------------------------------------------------------------------
# Pushing
# --------------------------------------------------------------------------------------------


def push_review(
    settings: ServerSettings,
    adjudication: Adjudication,
    annotations: pl.DataFrame,
    articles: Sequence[Any],
    cb: Codebook,
    *,
    title: str,
    on_progress: Progress | None = None,
) -> ReviewPush:
    """What pushing the review queue did: the review project (found or made) and tasks added.

    The project titled ``title`` is used when it exists, else created with the codebook's
    labeling config (one adjudicator per task). Tasks whose ``review:<article id>`` is there
    already are not sent again, so a re-run adds nothing; like ``import_tasks``, a failed
    import is retried only for the tasks still missing. Raises ``ServerError``, and
    ``InputError`` when the project titled ``title`` holds other tasks (a coding project).
    """
    from eventcoder.annotate.projects import create_project, find_project
    from eventcoder.annotate.tasks import project_tasks

    progress = on_progress or (lambda _done, _total: None)
    tasks = review_tasks(adjudication, annotations, articles, cb)
    try:
        project = find_project(settings, title)
    except ServerError as err:
        if err.status != 404:
            raise
        project = create_project(
            settings,
            cb,
            title=title,
            overlap=1,
            description=(
                "Review queue: each task shows every coder's version of the events they "
                "disagreed on as predictions (one per coder, named by e-mail). Code each event "
                "as it should be in the gold data; delete the region of an event that did not "
                "happen."
            ),
        )
    there = project_tasks(settings, project.id)
    foreign = [k for k in there if not k.startswith(REVIEW_PREFIX)]
    if foreign:
        raise InputError(
            f"project {project.id} {title!r} holds tasks that are not review tasks (first: "
            f"{foreign[0]!r}); give the review project a title of its own"
        )
    new = [t for t in tasks if t["data"]["id"] not in there]
    progress(0, len(new))
    pending = list(new)
    while pending:
        batch, pending = pending[:BATCH], pending[BATCH:]
        _send(settings, project.id, batch)
        progress(len(new) - len(pending), len(new))
    return ReviewPush(project, added=len(new), unchanged=len(tasks) - len(new), total=len(tasks))


def _send(settings: ServerSettings, project_id: int, batch: list[dict[str, Any]]) -> None:
    """POST one batch; after a failure list the project and send only what is still missing."""
    from eventcoder.annotate.client import FIRST_DELAY, MAX_DELAY, RETRIES, call, connection
    from eventcoder.annotate.tasks import project_tasks

    for attempt in range(RETRIES + 1):
        try:
            with connection(settings) as ls:
                call(
                    ls.projects.import_tasks,
                    id=project_id,
                    request=batch,
                    return_task_ids=True,
                    retries=0,  # a lost answer must not make a second copy
                    what=f"importing {len(batch)} review task(s) into project {project_id}",
                )
            return
        except ServerError as err:
            if (err.status is not None and err.status < 500) or attempt == RETRIES:
                raise
        time.sleep(min(FIRST_DELAY * 2**attempt, MAX_DELAY))
        there = project_tasks(settings, project_id)
        batch = [t for t in batch if t["data"]["id"] not in there]
        if not batch:
            return


# --------------------------------------------------------------------------------------------
# Closing
# --------------------------------------------------------------------------------------------


def _queued_coders(queue: pl.DataFrame) -> pl.DataFrame:
    """Per queued event: how many coders coded it (``not found`` rows do not count)."""
    found = ~((pl.col("field") == EVENT_FIELD) & (pl.col("value") == "not found"))
    return queue.group_by("aligned_event", "article_id").agg(
        coders=pl.col("coder").filter(found & pl.col("coder").is_not_null()).n_unique()
    )


def _span_matches(
    loose: pl.DataFrame, open_events: pl.DataFrame, annotations: pl.DataFrame | None
) -> pl.DataFrame:
    """``event_key`` -> ``aligned_event`` for regions with new ids, by evidence overlap."""
    empty = pl.DataFrame(schema={"event_key": pl.String, "aligned_event": pl.String})
    if loose.height == 0 or open_events.height == 0:
        return empty
    pairs: list[tuple[str, str]] = []
    if annotations is not None and "span_start" in annotations.columns:
        spans = annotations.join(open_events, on=["article_id", "aligned_event"], how="semi")
        cand = (
            loose.select("article_id", "event_key", s="span_start", e="span_end")
            .join(
                spans.select("article_id", "aligned_event", "span_start", "span_end"),
                on="article_id",
            )
            .with_columns(
                inter=(pl.min_horizontal("e", "span_end") - pl.max_horizontal("s", "span_start")),
                union=(pl.max_horizontal("e", "span_end") - pl.min_horizontal("s", "span_start")),
            )
            .filter(pl.col("inter") > 0)
            .group_by("article_id", "event_key", "aligned_event")
            .agg(iou=(pl.col("inter") / pl.col("union")).max())
            .sort("iou", "event_key", "aligned_event", descending=[True, False, False])
        )
        used_k: set[str] = set()
        used_e: set[str] = set()
        # Greedy by overlap: few rows (regions the adjudicator drew afresh on queued articles).
        for _article, key, event, _iou in cand.iter_rows():
            if key not in used_k and event not in used_e:
                pairs.append((key, event))
                used_k.add(key)
                used_e.add(event)
    else:
        # No spans to compare: one queued event and one new region on an article pair up.
        one = open_events.filter(pl.len().over("article_id") == 1)
        lone = loose.filter(pl.len().over("article_id") == 1)
        pairs = list(
            lone.join(one, on="article_id").select("event_key", "aligned_event").iter_rows()
        )
    if not pairs:
        return empty
    return pl.DataFrame(pairs, schema=empty.schema, orient="row")


def close_review(
    export: str | Path | Sequence[dict[str, Any]],
    adjudication: Adjudication,
    cb: Codebook,
    *,
    adjudicator: str | None = None,
    annotations: pl.DataFrame | None = None,
) -> Adjudication:
    """The adjudication with the queued events the adjudicator settled in the review export.

    ``export`` is the review project's export (a file or its task list). Only annotations by
    ``adjudicator`` (an e-mail) count when one is named; otherwise every task must have been
    annotated by one person at most. The latest accepted annotation of an article settles its
    queued events: each version becomes gold (method ``adjudicator``); a queued event it leaves
    out is dropped (``deleted-by-adjudicator``). Events on articles with no accepted annotation,
    and versions that break a codebook rule, stay queued. ``annotations`` (the coders' aligned
    table) lets regions drawn afresh be matched by evidence overlap.
    """
    conv = export_to_annotations(export, cb)
    final, events = _final_versions(conv, adjudicator)
    notes = list(adjudication.notes)
    if conv.rejected:
        notes.append(
            f"{conv.rejected} review annotation(s) broke a codebook rule and settle nothing; "
            "fix them in the review project and close again"
        )
    queue = adjudication.review
    reviewed = (
        queue.select("article_id", "aligned_event")
        .unique()
        .join(final.select("article_id"), on="article_id", how="semi")
    )
    matched, loose, by_span = _match_reviewed(events, reviewed, annotations)
    extra = loose.height - by_span.height
    if extra:
        notes.append(
            f"{extra} event(s) coded in review match no queued event and are not in gold "
            "(queued events of their articles stay queued): keep the regions the review "
            "project showed, or pass the coders' annotations to match by overlap"
        )

    fields = voted_fields(cb, matched.columns)
    candidates = matched.join(_queued_coders(queue), on=["aligned_event", "article_id"]).select(
        "article_id",
        "aligned_event",
        pl.col("coders").cast(pl.Int64),
        pl.col("span_start").cast(pl.Int64),
        pl.col("span_end").cast(pl.Int64),
        *(pl.col(f).cast(pl.String) for f in fields),
        _by=pl.col("coder"),
    )
    result = validate(candidates.drop("_by"), cb, "events")
    accepted = result.accepted
    broke = candidates["aligned_event"].filter(
        ~candidates["aligned_event"].is_in(accepted["aligned_event"].implode())
    )
    if broke.len():
        notes.append(
            f"{broke.len()} reviewed event(s) break a codebook rule and stay queued: "
            + ", ".join(broke.to_list()[:5])
        )
    # A queued event left out was deleted, unless the article has a region that matched no
    # queued event: that region may be it, so nothing unmatched on that article is settled.
    unclear = loose.join(by_span, on="event_key", how="anti").select("article_id").unique()
    deleted = reviewed.join(matched.select("aligned_event"), on="aligned_event", how="anti").join(
        unclear, on="article_id", how="anti"
    )
    settled = pl.concat([accepted.select("aligned_event"), deleted.select("aligned_event")])
    settled_ids = settled["aligned_event"].implode()
    by_coder = candidates.select("aligned_event", "_by")

    gold, decisions, dropped, rejected = _settle(
        adjudication, accepted, deleted, _decisions(accepted, by_coder, fields, cb), settled_ids
    )
    review = queue.filter(~pl.col("aligned_event").is_in(settled_ids)).cast(REVIEW_SCHEMA)
    who = ", ".join(sorted(set(final["coder"].to_list()))) or "nobody"
    notes.append(
        f"review closed by {who}: {accepted.height} queued event(s) settled, "
        f"{deleted.height} dropped, {review['aligned_event'].n_unique()} still queued"
    )
    return Adjudication(
        gold=gold,
        decisions=decisions,
        review=review,
        rejected=rejected,
        dropped=dropped,
        policy=adjudication.policy,
        notes=tuple(notes),
    )


def _settle(
    adjudication: Adjudication,
    accepted: pl.DataFrame,
    deleted: pl.DataFrame,
    new_decisions: pl.DataFrame,
    settled_ids: pl.Series,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Return ``(gold, decisions, dropped, rejected)`` with the settled queued events applied."""
    gold_new = accepted.select(adjudication.gold.columns) if accepted.height else None
    gold = (
        pl.concat([adjudication.gold, gold_new.cast(adjudication.gold.schema)])
        if gold_new is not None
        else adjudication.gold
    )
    old = adjudication.decisions
    if "adjudicator" not in old.columns:
        old = old.with_columns(adjudicator=pl.lit(None, pl.String))
    decisions = pl.concat(
        [old.filter(~pl.col("aligned_event").is_in(settled_ids)), new_decisions],
        how="vertical_relaxed",
    ).sort("aligned_event", "field")
    dropped = pl.concat(
        [
            adjudication.dropped,
            deleted.select("aligned_event", "article_id", reason=pl.lit(DELETED)).cast(
                DROPPED_SCHEMA
            ),
        ]
    )
    rejected = adjudication.rejected
    if "aligned_event" in rejected.columns:
        rejected = rejected.filter(~pl.col("aligned_event").is_in(settled_ids))
    return gold, decisions, dropped, rejected


def _final_versions(conv: Conversion, adjudicator: str | None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Return ``(final, events)``: each reviewed article's last accepted annotation and its events.

    Raises :class:`InputError` when the export is not a review project's, or when several
    people annotated a review task and no adjudicator is named.
    """
    coded = conv.coded
    is_review = pl.col("article_id").str.starts_with(REVIEW_PREFIX)
    if coded.height and not coded.filter(is_review).height:
        raise InputError(
            f"no task of this export has an id starting {REVIEW_PREFIX!r}: export the review "
            "project made by 'eventcoder review push', not the coding project"
        )
    plain = pl.col("article_id").str.strip_prefix(REVIEW_PREFIX)
    coded = coded.filter(is_review).with_columns(plain)
    events = conv.annotations.filter(is_review).with_columns(plain)
    if adjudicator:
        coded = coded.filter(pl.col("coder") == adjudicator)
    else:
        several = (
            coded.group_by("article_id").agg(pl.col("coder").n_unique()).filter(pl.col("coder") > 1)
        )
        if several.height:
            raise InputError(
                f"{several.height} review task(s) were annotated by several people (first: "
                f"{several['article_id'][0]!r}); name the adjudicator whose annotations count"
            )
    # The latest accepted annotation of each article is the adjudicator's final word.
    final = (
        coded.sort("annotation_id")
        .group_by("article_id")
        .agg(pl.col("annotation_id").last(), pl.col("coder").last())
    )
    events = events.join(final.select("annotation_id"), on="annotation_id", how="semi")
    return final, events


def _match_reviewed(
    events: pl.DataFrame, reviewed: pl.DataFrame, annotations: pl.DataFrame | None
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Return ``(matched, loose, by_span)``: review events matched to queued events.

    A review event matches a queued one by its region id (the review project showed each
    queued event as a region with that id) or, drawn afresh, by evidence overlap with the
    coders' regions (``by_span``); ``loose`` holds those that matched by id not at all.
    """
    keyed = reviewed.with_columns(
        event_key=pl.col("aligned_event").map_elements(region_id, return_dtype=pl.String)
    )
    by_id = events.join(keyed, on=["article_id", "event_key"], how="inner")
    loose = events.join(keyed, on=["article_id", "event_key"], how="anti")
    still_open = reviewed.join(by_id.select("aligned_event"), on="aligned_event", how="anti")
    by_span = _span_matches(loose, still_open, annotations)
    matched = pl.concat(
        [by_id, loose.join(by_span, on="event_key", how="inner").select(by_id.columns)]
    )
    return matched, loose, by_span


def _decisions(
    gold: pl.DataFrame, by: pl.DataFrame, fields: list[str], cb: Codebook
) -> pl.DataFrame:
    """Decision rows of adjudicated gold events: voted fields ``adjudicator``, the rest derived."""
    schema = pl.Schema({**DECISIONS_SCHEMA, "adjudicator": pl.String()})
    if gold.height == 0:
        return pl.DataFrame(schema=schema)
    derived = [f.name for f in cb.fields_by_origin("derived") if f.name in gold.columns]
    index = ["aligned_event", "article_id", "coders"]
    long = (
        gold.select(*index, *(pl.col(f).cast(pl.String) for f in [*fields, *derived]))
        .unpivot(on=[*fields, *derived], index=index, variable_name="field", value_name="value")
        .join(by.rename({"_by": "adjudicator"}), on="aligned_event")
    )
    voted = pl.col("field").is_in(fields)
    return long.select(
        "aligned_event",
        "article_id",
        "field",
        value=pl.when(pl.col("value").str.strip_chars() == "").then(None).otherwise("value"),
        method=pl.when(voted).then(pl.lit(METHOD)).otherwise(pl.lit("derived")),
        policy=pl.lit(None, pl.String),
        support=pl.when(voted).then(pl.lit(1, pl.Int64)).otherwise(pl.lit(None, pl.Int64)),
        coders="coders",
        adjudicator=pl.when(voted).then("adjudicator").otherwise(None),
    ).cast(schema)
