"""Table assembly: event rows validated against the codebook, and every annotation accounted for.

An annotation with any error (a structural problem or a rule of severity error) is rejected
whole; its events with no problem of their own get one ``annotation-rejected`` row, so every
event is accounted for too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

import polars as pl

from eventcoder.annotate.convert.conversion import (
    BY_EVENT,
    CHANGE_SCHEMA,
    KEY,
    MENTION_SCHEMA,
    OWNER,
    REJECT_SCHEMA,
    Conversion,
)
from eventcoder.schema.codebook import Codebook, Rule
from eventcoder.schema.tables import PROVENANCE, table_columns

_BY_ROW = list(BY_EVENT)
EDITOR_DATE = "%Y-%m-%d"  # what the DateTime control with only="date" stores
_OWNERS = list(OWNER)


@dataclass(frozen=True)
class Extracted:
    """What the SQL stage hands on, as plain frames (DuckDB's memory is free again by then)."""

    events: pl.DataFrame  # one row per Event region, field values as text
    problems: pl.DataFrame  # structural problems: annotation_id, event_key, field, rule, ...
    meta: pl.DataFrame  # one row per annotation
    predictions: pl.DataFrame
    mentions: pl.DataFrame
    recounted: pl.DataFrame  # regions whose UTF-16 offsets were recounted
    notes: tuple[str, ...] = ()  # what was done to the export as a whole (a repeated task)


def build_conversion(cb: Codebook, parts: Extracted, say: Callable[[str], None]) -> Conversion:
    """The conversion: accepted events, rejects, warnings and the tables beside them.

    Every event row ends up in ``annotations`` or with at least one row in ``rejects``, whatever
    the severity of any rule. Uniqueness rules are checked here, within each annotation, and
    never by the validator: across coders the same event is coded on purpose, and a row the
    validator rejected for it would leave with no reject row of its own.
    """
    # Imported here, not at the top: read_export imports it on another thread while DuckDB
    # parses, so that pandera's import costs no time of its own.
    from eventcoder.schema.validation import validate

    meta = parts.meta
    columns = table_columns(cb, "annotations")
    # A cancelled annotation is skipped whole: regions drawn before skipping are no coding.
    cancelled = meta.filter(pl.col("was_cancelled")).select("annotation_id")
    events = parts.events.join(cancelled, on="annotation_id", how="anti")
    problems = parts.problems.join(cancelled, on="annotation_id", how="anti")
    events_skipped = parts.events.height - events.height
    # In key order, so that the validator's changes (in row order) come out in key order too:
    # sorting them instead would copy a million rows of a long export.
    events = _typed(cb, events, columns).sort(KEY)
    say("validating")
    unique = [r for r in cb.rules if r.kind == "unique"]
    within = replace(cb, rules=tuple(r for r in cb.rules if r.kind != "unique"))
    # Dates as Label Studio's DateTime control writes them (only="date"): a column of coders'
    # dates has no "format" to infer, and one hand-posted 04/03/2024 made the whole export
    # refused as ambiguous (and told to pass a --date-format convert does not have); any other
    # form is now that event's field-type problem, with the value as written.
    result = validate(events, within, table="annotations", date_format=EDITOR_DATE)
    # Rejected rows hold what the coder wrote (text), accepted rows typed values.
    rows = pl.concat(
        [result.accepted, result.rejected.drop("row", "reasons")], how="diagonal_relaxed"
    )
    failures = pl.concat(
        [result.failures, _unique_failures(rows, unique, events.columns)],
        how="diagonal_relaxed",
    )
    owners = meta.select(_OWNERS)
    warnings = _warnings(failures, parts.recounted, owners)
    accepted_rows = result.accepted.join(
        failures.filter(pl.col("severity") == "error").select(KEY).unique(), on=KEY, how="anti"
    )
    rejects = _rejects(failures, problems, owners)
    bad_ann = rejects.select("annotation_id").unique()
    rejects = pl.concat([rejects, _withdrawn(accepted_rows, rejects, bad_ann)]).sort(
        ["task_id", "annotation_id", "event_key", "rule", "field"], nulls_last=True
    )
    accepted = accepted_rows.join(bad_ann, on="annotation_id", how="anti")
    accepted = accepted.select([c for c in columns if c in accepted.columns])
    accepted = accepted.sort(["task_id", "annotation_id", "span_start", "event_key"])
    done = meta.filter(~pl.col("was_cancelled"))
    rejected_ann = done.join(bad_ann, on="annotation_id", how="semi").height
    coded = _coded(done, bad_ann, accepted)
    return Conversion(
        annotations=accepted,
        rejects=rejects,
        skipped=_skipped(meta),
        predictions=parts.predictions.sort("task_id", "prediction_id", "region"),
        warnings=warnings,
        total=meta.height,
        accepted=done.height - rejected_ann,
        rejected=rejected_ann,
        events_accepted=accepted.height,
        events_rejected=rows.height - accepted.height,
        events_skipped=events_skipped,
        notes=parts.notes + tuple(result.notes),
        coded=coded,
        mentions=_mentions(parts.mentions, coded),
        changes=_changes(result.changes, events, accepted),
    )


def _typed(cb: Codebook, events: pl.DataFrame, columns: Iterable[str]) -> pl.DataFrame:
    """Event rows with the article's values filled in and provenance columns typed."""
    # Fields left blank by the coder fall back to the article's own value (source, country...).
    fill = [
        pl.coalesce(pl.col(n), pl.col(f"data__{n}")).alias(n)
        if n in events.columns
        else pl.col(f"data__{n}").alias(n)
        for n in (f.name for f in cb.fields_by_origin("assisted", "coded"))
    ]
    events = events.with_columns(fill).drop([c for c in events.columns if c.startswith("data__")])
    prov_types = {name: dtype for name, dtype, *_ in PROVENANCE}
    events = events.with_columns(
        pl.col("created_at").str.to_datetime(time_zone="UTC", strict=False),
        pl.col("updated_at").str.to_datetime(time_zone="UTC", strict=False),
    ).with_columns(
        pl.col(n).cast(t, strict=False) for n, t in prov_types.items() if n in events.columns
    )
    # Values stay text until the validator types them, so "many" becomes a field-type failure.
    return events.select([c for c in columns if c in events.columns])


def _warnings(
    failures: pl.DataFrame, recounted: pl.DataFrame, owners: pl.DataFrame
) -> pl.DataFrame:
    """Warnings of the rules, and one ``utf16-offsets`` row per recounted region."""
    warnings = failures.filter(pl.col("severity") == "warning").select(
        *_BY_ROW, "field", "rule", "value", "message"
    )
    utf16 = recounted.join(owners, on="annotation_id", how="left").select(
        *_OWNERS,
        pl.col("region").alias("event_key"),
        pl.when(pl.col("kind") == "event")
        .then(pl.lit("evidence"))
        .otherwise(pl.lit("mention"))
        .alias("field"),
        pl.lit("utf16-offsets").alias("rule"),
        pl.format("{}-{}", "utf16_start", "utf16_end").alias("value"),
        pl.format(
            "offsets counted in UTF-16 code units; kept as code points {}-{}",
            "span_start",
            "span_end",
        ).alias("message"),
    )
    return pl.concat([warnings, utf16], how="vertical_relaxed")


def _rejects(failures: pl.DataFrame, problems: pl.DataFrame, owners: pl.DataFrame) -> pl.DataFrame:
    """One row per error: the rules' errors and the structural problems, each once."""
    errors = failures.filter(pl.col("severity") == "error")
    structural = problems.join(owners, on="annotation_id", how="left")
    rejects = pl.concat(
        [
            errors.select(*_BY_ROW, "field", "rule", "value", "message"),
            structural.select(*REJECT_SCHEMA),
        ],
        how="vertical_relaxed",
    ).cast(REJECT_SCHEMA)
    return rejects.unique(
        subset=["annotation_id", "event_key", "field", "rule", "value"],
        keep="first",
        maintain_order=True,
    )


def _withdrawn(rows: pl.DataFrame, rejects: pl.DataFrame, bad_ann: pl.DataFrame) -> pl.DataFrame:
    """An ``annotation-rejected`` row for each event of a rejected annotation with no reject."""
    held = rows.join(bad_ann, on="annotation_id", how="semi").join(
        rejects.select(KEY).unique(), on=KEY, how="anti"
    )
    return held.select(
        *_BY_ROW,
        pl.lit(None, pl.String).alias("field"),
        pl.lit("annotation-rejected").alias("rule"),
        pl.lit(None, pl.String).alias("value"),
        pl.lit("another result of this annotation was rejected").alias("message"),
    ).cast(REJECT_SCHEMA)


def _skipped(meta: pl.DataFrame) -> pl.DataFrame:
    """The cancelled annotations."""
    return (
        meta.filter(pl.col("was_cancelled"))
        .drop("was_cancelled")
        .with_columns(
            pl.col("created_at").str.to_datetime(time_zone="UTC", strict=False),
            pl.col("updated_at").str.to_datetime(time_zone="UTC", strict=False),
        )
        .sort("annotation_id")
    )


def _coded(done: pl.DataFrame, bad_ann: pl.DataFrame, accepted: pl.DataFrame) -> pl.DataFrame:
    """One row per accepted annotation with its number of events, none included."""
    return (
        done.join(bad_ann, on="annotation_id", how="anti")
        .select(_OWNERS)
        .join(accepted.group_by("annotation_id").len("events"), on="annotation_id", how="left")
        .with_columns(pl.col("events").fill_null(0).cast(pl.Int64))
        .sort("task_id", "annotation_id")
    )


def _mentions(mentions: pl.DataFrame, coded: pl.DataFrame) -> pl.DataFrame:
    """The mention regions of accepted annotations, with their owners."""
    return (
        mentions.join(coded.select(_OWNERS), on="annotation_id", how="inner")
        .select(*MENTION_SCHEMA)
        .cast(MENTION_SCHEMA)
        .sort("task_id", "annotation_id", "span_start", "region", "label", nulls_last=True)
    )


def _changes(changes: pl.DataFrame, events: pl.DataFrame, accepted: pl.DataFrame) -> pl.DataFrame:
    """The validator's changes to accepted events, each named by its event instead of its row.

    ``row`` counts the rows of ``events`` as the validator was given them (from 1), in key
    order, and ``changes`` come in row order: joined keeping that order, they are in key order
    with no sort. Only events of ``annotations`` keep theirs: a rejected event is kept as the
    coder wrote it.
    """
    owners = (
        events.select(_BY_ROW)
        .with_row_index("row", offset=1)
        .with_columns(pl.col("row").cast(pl.Int64))
        .join(accepted.select(KEY), on=KEY, how="semi")
    )
    return (
        changes.join(owners, on="row", how="inner", maintain_order="left")
        .select(*CHANGE_SCHEMA)
        .cast(CHANGE_SCHEMA)
    )


def _unique_failures(rows: pl.DataFrame, rules: list[Rule], present: list[str]) -> pl.DataFrame:
    """Failures of uniqueness rules, checked within each annotation."""
    parts = []
    for rule in rules:
        fields = [f for f in rule.params["fields"] if f in present]
        if len(fields) != len(rule.params["fields"]):
            continue
        dup = rows.filter(pl.len().over("annotation_id", *fields) > 1)
        parts.append(
            dup.select(
                "task_id",
                "article_id",
                "annotation_id",
                "coder",
                "event_key",
                pl.lit(", ".join(fields)).alias("field"),
                pl.lit(rule.id).alias("rule"),
                pl.lit(rule.severity).alias("severity"),
                pl.concat_str(
                    [pl.col(f).cast(pl.String).fill_null("") for f in fields], separator=", "
                ).alias("value"),
                pl.lit(rule.message).alias("message"),
            )
        )
    return (
        pl.concat(parts)
        if parts
        else pl.DataFrame(schema={"rule": pl.String, "severity": pl.String})
    )
