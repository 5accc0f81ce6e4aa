"""Benchmark: reference lists from 1,000,000 validated ACLED-style rows.

Run by hand: ``python bench/bench_references.py [--rows N] [--repeat K]``. The rows are made up
(``synthetic_events``: eight countries, 300 places and 88 actors each); a few are disturbed as
real tables are: 0.1% of coordinates moved by a degree, 0.1% of rebel groups coded as militias,
1% of place names spelt in lower case or with an "al-" prefix at the same coordinates. Prints
the median time of ``build_references`` on the validated rows (and, once, of validating them)
and what the lists hold.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).parent))

from synthetic_events import events  # noqa: E402

from eventcoder.schema import load_codebook, validate  # noqa: E402
from eventcoder.schema.references import build_references, without_references  # noqa: E402


def disturbed(n: int, seed: int = 0) -> pl.DataFrame:
    """``n`` rows: 125,000 distinct events repeated with later dates, a few disturbed."""
    base = events(min(n, 125_000), seed)
    copies = []
    for k in range(-(-n // base.height)):
        copies.append(
            base.with_columns(
                (pl.col("event_date").str.to_date() + pl.duration(days=7 * k))
                .cast(pl.String)
                .alias("event_date"),
                (pl.col("event_id_cnty") + f"-{k}").alias("event_id_cnty"),
            )
        )
    frame = pl.concat(copies).head(n)
    rng = np.random.default_rng(seed)
    u = pl.Series(rng.random(n))
    return frame.with_columns(
        pl.when(u < 0.001)
        .then((pl.col("longitude").cast(pl.Float64) + 1.0).round(4).cast(pl.String))
        .otherwise(pl.col("longitude"))
        .alias("longitude"),
        pl.when((u >= 0.001) & (u < 0.002) & (pl.col("inter1") == "Rebel group"))
        .then(pl.lit("Political militia"))
        .otherwise(pl.col("inter1"))
        .alias("inter1"),
        pl.when((u >= 0.01) & (u < 0.015))
        .then(pl.col("location").str.to_lowercase())
        .when((u >= 0.015) & (u < 0.02))
        .then("al-" + pl.col("location"))
        .otherwise(pl.col("location"))
        .alias("location"),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    cb = load_codebook()
    frame = disturbed(args.rows)
    start = time.perf_counter()
    result = validate(frame, without_references(cb))
    validated = time.perf_counter() - start
    times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        lists = build_references([result.accepted], cb)
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    print(f"rows: {frame.height:,} ({result.accepted.height:,} accepted by validation)")
    print(f"validate (once, without reference rules): {validated:.2f} s")
    print(
        f"build_references: median {median:.2f} s of {args.repeat} "
        f"({frame.height / median / 1e6:.2f} million rows/s)"
    )
    summary = lists.summary()
    print(
        f"lists: {summary['actor_rows']} actor rows ({summary['actors']} actors), "
        f"{summary['places']:,} places; conflicts: {summary['conflicts']}"
    )


if __name__ == "__main__":
    main()
