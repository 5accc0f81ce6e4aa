"""Event detection: which aligned events each pair of coders both found, on articles both coded.

The counts, precision, recall and F1 per pair of coders and overall are defined in
:mod:`eventcoder.datasets.agreement`, whose report they open.
"""

from __future__ import annotations

import polars as pl

__all__ = ["event_detection"]


def event_detection(
    aligned: pl.DataFrame, coded: pl.DataFrame | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Return the per-pair detection frame and the per-coder frame.

    ``coded`` (article_id, coder) lists who coded which article, those who found no event
    included; without it, a coder counts only for the articles where they found an event.
    """
    per_article = aligned.group_by("article_id", "coder").len("events")
    if coded is not None and coded.height:
        per_article = (
            coded.select("article_id", "coder")
            .unique()
            .join(per_article, on=["article_id", "coder"], how="full", coalesce=True)
            .with_columns(pl.col("events").fill_null(0))
        )
    shared = (
        per_article.join(per_article, on="article_id", suffix="_b")
        .filter(pl.col("coder") < pl.col("coder_b"))
        .group_by(coder_a="coder", coder_b="coder_b")
        .agg(articles=pl.len(), events_a=pl.sum("events"), events_b=pl.sum("events_b"))
    )
    members = aligned.select("aligned_event", "coder")
    matched = (
        members.join(members, on="aligned_event", suffix="_b")
        .filter(pl.col("coder") < pl.col("coder_b"))
        .group_by(coder_a="coder", coder_b="coder_b")
        .agg(matched=pl.len())
    )
    pairs = shared.join(matched, on=["coder_a", "coder_b"], how="left").with_columns(
        pl.col("matched").fill_null(0).cast(pl.Int64),
        pl.col("articles", "events_a", "events_b").cast(pl.Int64),
    )
    overall = pairs.select(
        coder_a=pl.lit("overall"),
        coder_b=pl.lit("overall"),
        articles=pl.sum("articles"),
        events_a=pl.sum("events_a"),
        events_b=pl.sum("events_b"),
        matched=pl.sum("matched"),
    )

    def rates(frame: pl.DataFrame) -> pl.DataFrame:
        # null, not NaN, where there is nothing to compare (one coder, no shared article)
        def ratio(num: pl.Expr, den: pl.Expr) -> pl.Expr:
            return pl.when(den > 0).then(num / den).otherwise(None)

        return frame.with_columns(
            precision=ratio(pl.col("matched"), pl.col("events_b")),
            recall=ratio(pl.col("matched"), pl.col("events_a")),
            f1=ratio(2 * pl.col("matched"), pl.col("events_a") + pl.col("events_b")),
        )

    detection = pl.concat([rates(pairs.sort("coder_a", "coder_b")), rates(overall)])
    coders = (
        aligned.with_columns(_m=pl.len().over("aligned_event") > 1)
        .group_by("coder")
        .agg(events=pl.len(), matched_share=pl.col("_m").mean())
    )
    coders = (
        per_article.group_by("coder")
        .agg(articles=pl.col("article_id").n_unique())
        .join(coders, on="coder", how="left")
        .with_columns(pl.col("events").fill_null(0))
    )
    both_ways = pl.concat(
        [
            pairs.select(
                coder="coder_a",
                f1=2 * pl.col("matched") / (pl.col("events_a") + pl.col("events_b")),
            ),
            pairs.select(
                coder="coder_b",
                f1=2 * pl.col("matched") / (pl.col("events_a") + pl.col("events_b")),
            ),
        ]
    )
    coders = (
        coders.join(both_ways.group_by("coder").agg(mean_f1=pl.mean("f1")), on="coder", how="left")
        .with_columns(pl.col("articles", "events").cast(pl.Int64))
        .sort("coder")
    )
    return detection, coders
