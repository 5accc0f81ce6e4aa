"""Time `eventcoder agreement` as users run it, with and without intervals, on a synthetic table.

Run by hand from the repository root::

    .venv/bin/python bench/bench_agreement.py [--articles N] [--coders C] [--repeats R] [--stages]

The table is seeded and built with numpy: each article has 1 to 5 true events; each coder codes
each true event with probability 0.9, with jittered evidence spans, the date off by a day 10% of
the time, and another event type, location, actor or fatality count now and then, and adds a
spurious event of their own with probability 0.1. The default (100,000 articles x 3 coders) gives
about 840,000 annotation rows, written to a Parquet file. The command runs in a fresh process
(``python -m eventcoder agreement FILE --out DIR``: reading, alignment, statistics, the report
files), once with its defaults (1,000 bootstrap resamples) and once with ``--boot 0``. Prints
each run, the medians, their ratio (targets: default under 60 s on a 2-core machine, at most
2x the run without intervals) and the peak resident memory of the runs.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from eventcoder.schema.codebook import Codebook
from eventcoder.schema.tables import empty_table

TYPES = {
    "Battles": "Armed clash",
    "Protests": "Peaceful protest",
    "Riots": "Violent demonstration",
    "Explosions/Remote violence": "Air/drone strike",
    "Violence against civilians": "Attack",
    "Strategic developments": "Arrests",
}
INTERS = ["State forces", "Rebel group", "Protesters", "Civilians", "Political militia"]
PLACES = ["Aleppo", "Idleb", "Homs", "Hama", "Daraa", "Raqqa", "Damascus", "Latakia"]
ACTORS = [
    "Military Forces of Syria (2024-)",
    "HTS: Hayat Tahrir al Sham",
    "Protesters (Syria)",
    "Civilians (Syria)",
    "Unidentified Armed Group (Syria)",
]


def synthetic_annotations(
    cb: Codebook,
    n_articles: int,
    n_coders: int = 3,
    seed: int = 0,
) -> pl.DataFrame:
    """Return a seeded synthetic annotations table (accepted rows) with realistic disagreement."""
    rng = np.random.default_rng(seed)
    n_true = rng.integers(1, 6, n_articles)
    article = np.repeat(np.arange(n_articles), n_true)
    m = len(article)
    first = np.r_[0, np.cumsum(n_true)[:-1]]
    slot = np.arange(m) - np.repeat(first, n_true)
    true_start = slot * 400 + rng.integers(0, 100, m)
    true_len = rng.integers(40, 250, m)
    true_type = rng.integers(0, len(TYPES), m)
    true_place = rng.integers(0, len(PLACES), m)
    true_actor = rng.integers(0, len(ACTORS), m)
    true_day = rng.integers(0, 3650, m)
    true_dead = rng.poisson(2.0, m)
    parts = []
    for c in range(n_coders):
        coded = rng.random(m) < 0.9
        extra = rng.random(n_articles) < 0.1
        idx = np.flatnonzero(coded)
        k = len(idx)

        def flip(values: np.ndarray, p: float, n_values: int, _k: int = k) -> np.ndarray:
            return np.where(rng.random(_k) < p, rng.integers(0, n_values, _k), values)

        start = true_start[idx] + rng.integers(-15, 16, k)
        block = {
            "article": np.r_[article[idx], np.flatnonzero(extra)],
            "start": np.r_[np.maximum(start, 0), rng.integers(2000, 2400, extra.sum())],
            "len": np.r_[
                true_len[idx] + rng.integers(-20, 21, k), rng.integers(40, 200, extra.sum())
            ],
            "type": np.r_[
                flip(true_type[idx], 0.08, len(TYPES)), rng.integers(0, len(TYPES), extra.sum())
            ],
            "place": np.r_[
                flip(true_place[idx], 0.05, len(PLACES)), rng.integers(0, len(PLACES), extra.sum())
            ],
            "actor": np.r_[
                flip(true_actor[idx], 0.1, len(ACTORS)), rng.integers(0, len(ACTORS), extra.sum())
            ],
            "day": np.r_[true_day[idx] + (rng.random(k) < 0.1), rng.integers(0, 3650, extra.sum())],
            "dead": np.r_[
                np.where(rng.random(k) < 0.1, rng.poisson(2.0, k), true_dead[idx]),
                rng.poisson(1.0, extra.sum()),
            ],
        }
        frame = pl.DataFrame(block).with_columns(coder=pl.lit(f"coder{c + 1}@example.org"))
        parts.append(frame)
    raw = pl.concat(parts).with_row_index("row")
    types, places = list(TYPES), PLACES
    epoch = date(2014, 1, 1)
    out = raw.select(
        project_id=pl.lit(1, pl.Int64),
        task_id=pl.col("article").cast(pl.Int64) + 1,
        article_id=pl.lit("a") + pl.col("article").cast(pl.String),
        annotation_id=pl.col("article").cast(pl.Int64) * 10
        + pl.col("coder").str.slice(5, 1).cast(pl.Int64),
        coder="coder",
        event_key=pl.lit("r") + pl.col("row").cast(pl.String),
        span_start=pl.col("start").cast(pl.Int64),
        span_end=(pl.col("start") + pl.col("len").clip(lower_bound=1)).cast(pl.Int64),
        event_date=pl.lit(epoch) + pl.duration(days=pl.col("day")),
        time_precision=(pl.col("row") % 11 == 0).cast(pl.Int64) + 1,
        event_type=pl.col("type").replace_strict(range(len(types)), types),
        sub_event_type=pl.col("type").replace_strict(range(len(types)), list(TYPES.values())),
        actor1=pl.col("actor").replace_strict(range(len(ACTORS)), ACTORS),
        assoc_actor_1=pl.when(pl.col("actor") == 2).then(pl.lit("Students; Teachers")),
        inter1=pl.col("actor").replace_strict(range(len(ACTORS)), INTERS),
        actor2=pl.when(pl.col("type") == 4).then(pl.lit("Civilians (Syria)")),
        inter2=pl.when(pl.col("type") == 4).then(pl.lit("Civilians")),
        civilian_targeting=pl.when(pl.col("type") == 4).then(pl.lit("Civilian targeting")),
        country=pl.lit("Syria"),
        admin1=pl.col("place").replace_strict(range(len(places)), places),
        location=pl.col("place").replace_strict(range(len(places)), places),
        latitude=pl.col("place").cast(pl.Float64) * 0.37 + 33.0,
        longitude=pl.col("place").cast(pl.Float64) * 0.41 + 36.0,
        geo_precision=(pl.col("row") % 7 == 0).cast(pl.Int64) + 1,
        source=pl.lit("Syrian Observatory for Human Rights"),
        source_scale=pl.lit("National"),
        fatalities=pl.col("dead").cast(pl.Int64),
    )
    base = empty_table(cb, "annotations")
    return pl.concat([base, out], how="diagonal_relaxed").select(base.columns)


def _run_command(args: list[str]) -> float:
    """Return the wall time of ``python -m eventcoder ARGS`` run as a user runs it."""
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "eventcoder", *args],
        check=True,
        stdout=subprocess.DEVNULL,
        env={**os.environ, "COLUMNS": "100"},
    )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--coders", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=1, help="runs of each variant")
    parser.add_argument(
        "--stages",
        action="store_true",
        help="also time the library call with its stages (alignment, fields) at the defaults",
    )
    parser.add_argument("--align-only", action="store_true")
    args = parser.parse_args()

    from eventcoder.datasets.align import align_events

    cb = Codebook.default()
    start = time.perf_counter()
    table = synthetic_annotations(cb, args.articles, args.coders)
    print(
        f"synthetic table: {table.height:,} rows, {args.articles:,} articles x {args.coders} "
        f"coders, built in {time.perf_counter() - start:.1f} s"
    )
    if args.align_only:
        start = time.perf_counter()
        align_events(table, cb)
        print(f"alignment: {time.perf_counter() - start:.2f} s")
        return
    with tempfile.TemporaryDirectory(prefix="bench-agreement-") as tmp:
        path = Path(tmp) / "annotations.parquet"
        table.write_parquet(path)
        command = ["agreement", str(path), "--out", str(Path(tmp) / "report")]
        variants = {
            "default (1000 resamples)": command,
            "without intervals (--boot 0)": [*command, "--boot", "0"],
        }
        times: dict[str, list[float]] = {name: [] for name in variants}
        # Alternate the variants so that a change in the machine's load hits both alike.
        for _ in range(args.repeats):
            for name, argv in variants.items():
                times[name].append(_run_command(argv))
                print(f"  {name}: {times[name][-1]:.2f} s", flush=True)
        if args.stages:
            from eventcoder.datasets.agreement import agreement

            stages: dict[str, float] = {}
            last = [time.perf_counter()]

            def tick(stage: str, done: int, total: int) -> None:
                now = time.perf_counter()
                stages[stage] = stages.get(stage, 0.0) + now - last[0]
                last[0] = now

            agreement(table, cb, on_progress=tick)
            print("  library stages: " + ", ".join(f"{k} {v:.2f} s" for k, v in stages.items()))
    default, bare = (statistics.median(t) for t in times.values())
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    peak_mb = peak / 2**20 if sys.platform == "darwin" else peak / 1024
    print(
        f"eventcoder agreement, median of {args.repeats} run(s): default {default:.1f} s "
        f"(target < 60 s), without intervals {bare:.1f} s, ratio {default / bare:.2f} "
        f"(target <= 2); peak RSS {peak_mb:,.0f} MB"
    )


if __name__ == "__main__":
    main()
