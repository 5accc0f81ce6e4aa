"""Time a release of 1,000,000 events (3,000,000 annotations) against plain pyarrow Parquet writes.

Run by hand from the repository root::

    /tmp/devvenv/bin/python bench/bench_release.py [--events N] [--coders C] [--repeats R]

The gold events are seeded synthetic ACLED-style rows (three templates with varied dates,
places and fatalities over 200,000 articles); the annotations are each event once per coder. The
baseline writes the same two tables with ``pyarrow.parquet.write_table`` (its defaults); the
release does everything ``publish`` does (ids, changelog, timestamp, events, event sources,
annotations, changes, card, datapackage.json, SHA-256 of every file, atomic rename). A second
measurement publishes the next version on top of the first (every id matched against the
previous release). Prints the median seconds of each over the repeats and the ratio
release / pyarrow (target: <= 2).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime, timezone
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow.parquet as pq

from eventcoder.datasets.release import publish
from eventcoder.datasets.release_tables import _annotations_frame, _to_arrow, events_table
from eventcoder.schema import arrow_schema, load_codebook

PLACES = [
    ("Kansafra", 35.6411, 36.5008, "Ehsem"),
    ("Mozra", 35.6570, 36.4397, "Ehsem"),
    ("Sarmada", 36.1783, 36.7225, "Dana"),
    ("Ariha", 35.8137, 36.6075, "Ariha"),
]


def synthetic_gold(n: int, seed: int = 0) -> pl.DataFrame:
    """``n`` valid-looking gold events (shelling, air strike, protest) over ``n // 5`` articles."""
    rng = np.random.default_rng(seed)
    kind = rng.integers(0, 3, n)
    place = rng.integers(0, len(PLACES), n)
    day = rng.integers(0, 5 * 365, n)
    article = np.arange(n) // 5
    sub = np.array(["Shelling/artillery/missile attack", "Air/drone strike", "Peaceful protest"])
    etype = np.array(["Explosions/Remote violence", "Explosions/Remote violence", "Protests"])
    actor1 = np.array(
        [
            "Military Forces of Syria (2000-2024)",
            "Military Forces of Russia (2000-)",
            "Protesters (Syria)",
        ]
    )
    inter1 = np.array(["State forces", "External/Other forces", "Protesters"])
    interaction = np.array(
        ["State forces only", "External/Other forces-Civilians", "Protesters only"]
    )
    disorder = np.array(["Political violence", "Political violence", "Demonstrations"])
    frame = pl.DataFrame(
        {
            "article_id": pl.Series(article).cast(pl.String),
            "coders": np.full(n, 3),
            "span_start": (np.arange(n) % 5) * 200,
            "event_date": pl.select(
                pl.lit(date(2018, 1, 1)) + pl.duration(days=pl.Series(day))
            ).to_series(),
            "time_precision": np.ones(n, dtype=np.int64),
            "disorder_type": disorder[kind],
            "event_type": etype[kind],
            "sub_event_type": sub[kind],
            "actor1": actor1[kind],
            "inter1": inter1[kind],
            "actor2": pl.Series(np.where(kind == 1, "Civilians (Syria)", "")).replace("", None),
            "inter2": pl.Series(np.where(kind == 1, "Civilians", "")).replace("", None),
            "interaction": interaction[kind],
            "civilian_targeting": pl.Series(np.where(kind == 1, "Civilian targeting", "")).replace(
                "", None
            ),
            "iso": np.full(n, 760),
            "region": np.full(n, "Middle East"),
            "country": np.full(n, "Syria"),
            "admin1": np.full(n, "Idleb"),
            "admin3": np.array([p[3] for p in PLACES])[place],
            "location": np.array([p[0] for p in PLACES])[place],
            "latitude": np.array([p[1] for p in PLACES])[place],
            "longitude": np.array([p[2] for p in PLACES])[place],
            "geo_precision": np.ones(n, dtype=np.int64),
            "source": np.full(n, "Enab Baladi"),
            "source_scale": np.full(n, "National"),
            "fatalities": np.where(kind == 2, 0, rng.integers(0, 12, n)),
        }
    )
    return frame.with_columns(
        aligned_event=pl.concat_str(
            "article_id", pl.lit("#"), (pl.col("span_start") // 200 + 1).cast(pl.String)
        ),
        span_end=pl.col("span_start") + 150,
        year=pl.col("event_date").dt.year().cast(pl.Int64),
        notes=pl.concat_str(
            pl.lit("On "),
            pl.col("event_date").cast(pl.String),
            pl.lit(", an event at "),
            "location",
            pl.lit("."),
        ),
    )


def synthetic_annotations(gold: pl.DataFrame, coders: int) -> pl.DataFrame:
    """Each gold event once per coder, with provenance columns."""
    n = gold.height
    parts = []
    for c in range(coders):
        parts.append(
            gold.drop("coders").with_columns(
                project_id=pl.lit(1, pl.Int64),
                task_id=pl.col("article_id").cast(pl.Int64),
                annotation_id=pl.col("article_id").cast(pl.Int64) * coders + c,
                coder=pl.lit(f"coder{c}@example.org"),
                event_key=pl.concat_str(pl.lit(f"c{c}-"), pl.int_range(n).cast(pl.String)),
                created_at=pl.lit(datetime(2024, 1, 1, tzinfo=timezone.utc)),
            )
        )
    return pl.concat(parts)


def _median(run: Callable[[int], None], repeats: int) -> float:
    times = []
    for i in range(repeats):
        start = time.perf_counter()
        run(i)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--coders", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    cb = load_codebook()
    gold = synthetic_gold(args.events)
    annotations = synthetic_annotations(gold, args.coders)
    print(f"{gold.height:,} events, {annotations.height:,} annotations")
    work = Path(tempfile.mkdtemp(prefix="bench-release-"))
    try:
        # The baseline writes the same two tables, already in their Arrow form.
        events_arrow = _to_arrow(
            events_table(
                gold.with_columns(
                    event_id_cnty=pl.format("SYR{}", pl.int_range(1, pl.len() + 1)),
                    timestamp=pl.lit(1_700_000_000, pl.Int64),
                ),
                cb,
            ),
            arrow_schema(cb, "events"),
        )
        frame, schema = _annotations_frame(annotations, cb)
        ann_arrow = frame.to_arrow(compat_level=pl.CompatLevel.oldest()).cast(schema)

        def baseline(i: int) -> None:
            pq.write_table(events_arrow, work / f"base-events-{i}.parquet")
            pq.write_table(ann_arrow, work / f"base-annotations-{i}.parquet")

        def release(i: int, version: str = "1.0.0") -> None:
            publish(
                gold,
                annotations,
                None,
                None,
                cb,
                name=f"bench{i}",
                version=version,
                root=work / "datasets",
            )

        def next_release(i: int) -> None:
            # bench0's next version on top of its 1.0.0 (ids matched against the previous one)
            release(0, version=f"1.1.{i}")

        t_base = _median(baseline, args.repeats)
        t_rel = _median(release, args.repeats)
        t_next = _median(next_release, args.repeats)
        print(
            f"pyarrow write_table (events + annotations): {t_base:7.2f} s (median of "
            f"{args.repeats})"
        )
        print(
            f"eventcoder publish, first release:         {t_rel:7.2f} s  ratio {t_rel / t_base:.2f}"
        )
        print(
            f"eventcoder publish, next release:          {t_next:7.2f} s  ratio "
            f"{t_next / t_base:.2f}"
        )
        print("target: ratio <= 2")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
