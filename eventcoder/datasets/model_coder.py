"""A model's predictions as one more coder, so that agreement measures the model too.

``eventcoder convert`` keeps predictions apart from annotations (one row per result in
``predictions``). :func:`prediction_events` turns one model version's predictions into rows
shaped like the annotations table (one per predicted Event region, its fields read through the
labeling config's controls), with the coder ``model:<version>``; :func:`with_model_coder` adds
them, and the tasks the model saw, to the coders' tables. The agreement then reports the model
beside the people: detection F1 of the model against each coder, its pooled agreement per field,
and each field's alpha without it (the coders' own). Whether pre-annotation helps or anchors
coders shows as the model's agreement with coders who saw its predictions.

With gold events (an adjudication's ``gold.parquet``), :func:`model_against_gold` measures the
model against gold alone: the gold events are one coder (``gold``), the model the other, over
the articles both cover, so detection F1 and each field's alpha say how far the model's
pre-annotation is from what the team finally published.

Predictions hold what a model fills (categories, actors, places, dates); fields it leaves blank
are blank here, and are not counted against it by the agreement (a missing value is no vote).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from eventcoder.annotate.config import EVENT_LABEL, LABELS_NAME, control_field
from eventcoder.errors import InputError
from eventcoder.schema.codebook import Codebook
from eventcoder.schema.tables import polars_dtype

if TYPE_CHECKING:
    from eventcoder.datasets.agreement import AgreementResult

CODER_PREFIX = "model:"


def model_versions(predictions: pl.DataFrame) -> list[str]:
    """The model versions the predictions table holds, sorted."""
    if predictions.height == 0:
        return []
    return sorted(v for v in predictions["model_version"].unique().to_list() if v is not None)


def prediction_events(
    predictions: pl.DataFrame, cb: Codebook, model_version: str
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Return ``(events, coded)`` of one model version: event rows and the tasks it predicted.

    ``events`` has ``task_id``, ``article_id``, ``annotation_id`` (the prediction id), ``coder``
    (``model:<version>``), ``event_key`` (the region id), ``span_start``, ``span_end`` and the
    codebook fields the predictions fill, typed as the codebook says. ``coded`` lists
    ``article_id``, ``coder`` for every task with a prediction of that version, events or not.
    Raises :class:`InputError` when the version has no predictions, naming those there are.
    """
    versions = model_versions(predictions)
    if model_version not in versions:
        there = ", ".join(versions) or "none"
        raise InputError(
            f"no predictions of model version {model_version!r} (there are: {there}); "
            "pass one of those"
        )
    coder = f"{CODER_PREFIX}{model_version}"
    mine = predictions.filter(pl.col("model_version") == model_version)
    coded = mine.select("article_id", pl.lit(coder).alias("coder")).unique(maintain_order=True)
    regions = (
        mine.filter((pl.col("from_name") == LABELS_NAME) & (pl.col("labels") == EVENT_LABEL))
        .select(
            "task_id",
            "article_id",
            pl.col("prediction_id").alias("annotation_id"),
            pl.lit(coder).alias("coder"),
            pl.col("region").alias("event_key"),
            pl.col("span_start").cast(pl.Int64),
            pl.col("span_end").cast(pl.Int64),
        )
        .unique(["annotation_id", "event_key"], maintain_order=True)
    )
    names = mine["from_name"].unique().to_list()
    field_of = {n: control_field(n, cb) for n in names if n != LABELS_NAME}
    field_of = {n: f for n, f in field_of.items() if f is not None}
    values = (
        mine.filter(pl.col("from_name").is_in(list(field_of)))
        .with_columns(pl.col("from_name").replace_strict(field_of).alias("_field"))
        .select(
            pl.col("prediction_id").alias("annotation_id"),
            pl.col("region").alias("event_key"),
            "_field",
            "value",
        )
    )
    if values.height:
        wide = values.pivot(
            on="_field",
            index=["annotation_id", "event_key"],
            values="value",
            aggregate_function="first",
        )
        regions = regions.join(wide, on=["annotation_id", "event_key"], how="left")
    fields = [f for f in cb.fields if f.name in regions.columns]
    typed = regions.with_columns(
        _typed(pl.col(f.name), f.type, polars_dtype(f)).alias(f.name) for f in fields
    )
    # A predicted value that is not of its field's type is refused, never dropped unseen.
    for f in fields:
        lost = regions.filter(pl.col(f.name).is_not_null() & typed[f.name].is_null())
        if lost.height:
            raise InputError(
                f"model version {model_version!r} predicts {lost[f.name][0]!r} for {f.name} "
                f"(task {lost['task_id'][0]}), not a {f.type}; {lost.height} such value(s)"
            )
    return typed, coded


def _typed(col: pl.Expr, ftype: str, dtype: pl.DataType) -> pl.Expr:
    text = col.cast(pl.String)
    if ftype == "date":
        return text.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)
    if ftype in ("integer", "number"):
        return text.cast(pl.Float64, strict=False).cast(dtype, strict=False)
    return text.cast(dtype, strict=False)


def with_model_coder(
    annotations: pl.DataFrame,
    coded: pl.DataFrame | None,
    predictions: pl.DataFrame,
    cb: Codebook,
    model_version: str,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The coders' annotations and coded tables with the model's events and tasks added."""
    events, model_coded = prediction_events(predictions, cb, model_version)
    both = pl.concat([annotations, events], how="diagonal_relaxed")
    people = (
        coded.select("article_id", "coder")
        if coded is not None
        else annotations.select("article_id", "coder").unique()
    )
    return both, pl.concat([people, model_coded], how="vertical_relaxed")


GOLD_CODER = "gold"


def model_against_gold(
    predictions: pl.DataFrame,
    gold: pl.DataFrame,
    cb: Codebook,
    model_version: str,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Return ``(annotations, coded)`` of two coders: the model's events and the gold events.

    Gold events need ``article_id``, ``span_start`` and ``span_end`` (an adjudication's gold
    table has them); each is one event of coder ``gold``. Only articles both the model and gold
    cover count: an article the model was never run on says nothing about it. Only fields the
    model's predictions fill are kept: the others get no row in the agreement's fields table.
    """
    missing = [c for c in ("article_id", "span_start", "span_end") if c not in gold.columns]
    if missing:
        raise InputError(
            f"the gold table has no {', '.join(missing)} column(s); pass the gold.parquet "
            "eventcoder adjudicate wrote"
        )
    events, model_coded = prediction_events(predictions, cb, model_version)
    both_cover = model_coded.select("article_id").join(
        gold.select("article_id").unique(), on="article_id", how="semi"
    )
    # Only the fields the model fills are compared: a field it never predicts (admin1, filled
    # from the gazetteer after coding) would be blank on every model event, and agreement
    # counts a blank optional category as a vote against gold's value.
    fields = [f.name for f in cb.fields if f.name in gold.columns and f.name in events.columns]
    gold_events = (
        gold.join(both_cover, on="article_id", how="semi")
        .with_row_index("_n")
        .select(
            "article_id",
            pl.lit(GOLD_CODER).alias("coder"),
            pl.format("gold-{}", "_n").alias("event_key"),
            pl.col("span_start").cast(pl.Int64),
            pl.col("span_end").cast(pl.Int64),
            *fields,
        )
    )
    model_events = events.join(both_cover, on="article_id", how="semi")
    coded = pl.concat(
        [
            model_coded.join(both_cover, on="article_id", how="semi"),
            both_cover.select("article_id", pl.lit(GOLD_CODER).alias("coder")),
        ],
        how="vertical_relaxed",
    )
    table = pl.concat(
        [model_events.drop("task_id", "annotation_id", strict=False), gold_events],
        how="diagonal_relaxed",
    )
    return table, coded


def model_gold_agreement(
    predictions: pl.DataFrame,
    gold: pl.DataFrame,
    cb: Codebook,
    model_version: str,
    **options: Any,
) -> AgreementResult:
    """Return the agreement of a model version with gold events (``options`` go to agreement)."""
    from eventcoder.datasets.agreement import agreement

    table, coded = model_against_gold(predictions, gold, cb, model_version)
    if table.filter(pl.col("coder") == GOLD_CODER).height == 0:
        raise InputError(
            f"no article has both gold events and predictions of {model_version!r}: pass the "
            "gold of the project the model pre-annotated"
        )
    return agreement(table, cb, coded=coded, **options)


def read_with_predictions(
    path: str | Path, cb: Codebook, on_note: Callable[[str], None] | None = None
) -> tuple[pl.DataFrame, pl.DataFrame | None, pl.DataFrame]:
    """``(annotations, coded, predictions)`` of an export, or of ``eventcoder convert``'s tables.

    For an annotations Parquet table, the predictions are the ``predictions.parquet`` beside it.
    """
    from eventcoder.annotate.convert import read_annotations, read_export, used_note

    path = Path(path)
    if path.suffix.lower() == ".json" and path.exists():
        conv = read_export(path, cb)
        if on_note is not None:
            on_note(used_note(path, conv))
        return conv.annotations, conv.coded, conv.predictions
    annotations, coded = read_annotations(path, cb)
    beside = path.with_name("predictions.parquet")
    if not beside.exists():
        raise InputError(
            f"{beside}: no such file; the model's predictions come from the export, or from "
            "the predictions.parquet eventcoder convert writes beside the annotations",
            path=str(beside),
        )
    return annotations, coded, pl.read_parquet(beside, glob=False)


def unfilled_fields(annotations: pl.DataFrame, coder: str, cb: Codebook) -> list[str]:
    """The codebook fields ``coder`` leaves blank on every one of its events (a model's gaps)."""
    mine = annotations.filter(pl.col("coder") == coder)
    names = [f.name for f in cb.fields_by_origin("coded", "assisted")]
    return [
        n
        for n in names
        if n not in mine.columns or mine.height == 0 or mine[n].null_count() == mine.height
    ]


def read_coders(
    path: str | Path,
    cb: Codebook,
    model_version: str | None = None,
    on_note: Callable[[str], None] | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame | None, pl.DataFrame | None, dict[str, list[str]]]:
    """Return ``(annotations, coded, predictions, uncoded)`` for the agreement of the coders.

    With ``model_version``, that version's predictions are one more coder in ``annotations`` and
    ``coded``, ``predictions`` is the whole predictions table, and ``uncoded`` names the fields
    the model never fills (no vote in the agreement); without, they are None and empty.
    """
    from eventcoder.annotate.convert import read_annotations

    if model_version is None:
        annotations, coded = read_annotations(path, cb, on_note)
        return annotations, coded, None, {}
    annotations, coded, predictions = read_with_predictions(path, cb, on_note)
    annotations, coded = with_model_coder(annotations, coded, predictions, cb, model_version)
    coder = f"{CODER_PREFIX}{model_version}"
    return annotations, coded, predictions, {coder: unfilled_fields(annotations, coder, cb)}
