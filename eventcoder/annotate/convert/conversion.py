"""What an export becomes: the :class:`Conversion` and its tables' schemas, and writing them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

# Whose a row is: its annotation (task, article, coder), then the event in it.
OWNER = pl.Schema(
    {
        "task_id": pl.Int64(),
        "article_id": pl.String(),
        "annotation_id": pl.Int64(),
        "coder": pl.String(),
    }
)
BY_EVENT = pl.Schema({**OWNER, "event_key": pl.String()})
REJECT_SCHEMA = pl.Schema(
    {
        **BY_EVENT,
        "field": pl.String(),
        "rule": pl.String(),
        "value": pl.String(),
        "message": pl.String(),
    }
)
KEY = ["task_id", "annotation_id", "event_key"]
# A value of an accepted event that differs from what the coder entered, for a reason the
# codebook declares (a gazetteer's name for an alternate spelling, a vocabulary's term for an
# alias, a fill from a reference list, a derived field): the validator's changes, by event.
CHANGE_SCHEMA = pl.Schema(
    {
        **BY_EVENT,
        "field": pl.String(),
        "before": pl.String(),
        "after": pl.String(),
        "reason": pl.String(),
        "source": pl.String(),
    }
)
MENTION_SCHEMA = pl.Schema(
    {
        **OWNER,
        "region": pl.String(),
        "label": pl.String(),
        "span_start": pl.Int64(),
        "span_end": pl.Int64(),
        "text": pl.String(),
    }
)


@dataclass(frozen=True)
class Conversion:
    """What an export became. ``total == accepted + rejected + skipped`` (annotations)."""

    annotations: pl.DataFrame
    rejects: pl.DataFrame
    skipped: pl.DataFrame
    predictions: pl.DataFrame
    warnings: pl.DataFrame
    total: int
    accepted: int
    rejected: int
    events_accepted: int = 0
    events_rejected: int = 0
    events_skipped: int = 0  # Event regions drawn in annotations the coder then skipped
    notes: tuple[str, ...] = field(default_factory=tuple)
    # One row per accepted annotation (task, article, coder, events found), those with no event
    # included: event detection needs to know who coded an article and found nothing in it.
    coded: pl.DataFrame = field(default_factory=pl.DataFrame)
    # One row per mention region (Actor, Place, Date, Fatalities) of an accepted annotation.
    mentions: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=MENTION_SCHEMA))
    # Every value of ``annotations`` that differs from what the coder entered, and why.
    changes: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=CHANGE_SCHEMA))

    @property
    def skipped_count(self) -> int:
        return self.skipped.height

    def reconciliation(self) -> str:
        """The one-line account of every annotation in the export."""
        return (
            f"{self.total:,} annotations: {self.accepted:,} accepted, {self.rejected:,} rejected, "
            f"{self.skipped_count:,} skipped"
        )

    def failures(self) -> pl.DataFrame:
        """Return every problem found: the rejects (severity ``error``) and the warnings."""
        cols = ["annotation_id", "field", "rule"]
        return pl.concat(
            [
                self.rejects.select(cols).with_columns(severity=pl.lit("error")),
                self.warnings.select(cols).with_columns(severity=pl.lit("warning")),
            ]
        )

    def counts_by_rule(self) -> pl.DataFrame:
        """One row per rule and field: severity, failures, annotations affected; errors first."""
        from eventcoder.schema.failures import count_failures

        return count_failures(self.failures(), key="annotation_id", label="annotations")

    def summary(self) -> dict[str, Any]:
        """Plain-data counts, for ``--json`` and reports."""
        return {
            "annotations": self.total,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "skipped": self.skipped_count,
            "events_accepted": self.events_accepted,
            "events_rejected": self.events_rejected,
            "events_skipped": self.events_skipped,
            "rejects": self.rejects.height,
            "warnings": self.warnings.height,
            "predictions": self.predictions.height,
            "mentions": self.mentions.height,
            "changes": self.changes.height,
        }


def write_conversion(conv: Conversion, folder: str | Path) -> dict[str, Path]:
    """Write the conversion's tables as Parquet files in ``folder``; return their paths.

    The tables appear together or not at all (:func:`eventcoder.files.output_set`): a full disk
    never leaves a new annotations table beside the previous run's rejects.
    """
    from eventcoder.files import output_set

    tables = {
        "annotations": conv.annotations,
        "rejects": conv.rejects,
        "skipped": conv.skipped,
        "predictions": conv.predictions,
        "warnings": conv.warnings,
        "coded": conv.coded,
        "mentions": conv.mentions,
        "changes": conv.changes,
    }
    with output_set(folder) as out:
        return {name: out.parquet(frame, f"{name}.parquet") for name, frame in tables.items()}
