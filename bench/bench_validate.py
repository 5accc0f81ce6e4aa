"""Benchmark: validate 1,000,000 synthetic event rows with the full rule set.

Run by hand: ``python bench/bench_validate.py [--rows N] [--repeat K]``. Prints rows/s and the
ratio of the full validation (``eventcoder.schema.validation``: spellings, types, reference
look-ups, every codebook rule, failure rows) to a bare pandera check of column types only, on
the same frame, in the same run. Target: ratio <= 3.

Two frames, as users hand them to ``eventcoder validate``:

- the table as read from a CSV file (every cell text). Checking its column types means reading
  every value: the pandera check coerces each column to its type. This is the ratio the target
  is judged on.
  Everything ``validate`` does to read a table is in this timed path: matching headers to fields,
  trimming cells, reading missing-value tokens as blank, inferring each date column's format.
- the same events as a CSV file, through ``validate_file`` (detecting the encoding and delimiter
  and parsing the text as well): printed beside the frame's figure, since pandera's check has no
  file to parse.
- the same events already typed (a Parquet file). pandera's types-only check of a polars frame
  compares the schema's dtypes and reads no data (a few milliseconds for any row count), so a
  ratio to it measures nothing but the cost of reading the data at all; it is printed for
  completeness.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandera.polars as pa
import polars as pl

from eventcoder.schema.codebook import DEFAULT_PATH, Codebook
from eventcoder.schema.reading import open_table
from eventcoder.schema.tables import table_columns
from eventcoder.schema.validation import validate, validate_file


def synthetic_codebook(folder: Path, places: int = 20_000, seed: int = 0) -> Codebook:
    """The default codebook with a gazetteer of ``places`` places, as a large team would have.

    With the 19 bundled places, a million events would repeat the same date, place and actors
    thousands of times, and the aggregation-key warning would fire on almost every row.
    """
    rng = np.random.default_rng(seed)
    for name in ("codebook.yaml", "actors.csv"):
        shutil.copy(DEFAULT_PATH.parent / name, folder / name)
    pl.DataFrame(
        {
            "location": [f"Place {i}" for i in range(places)],
            "alternate_names": None,
            "country": "Syria",
            "iso": 760,
            "region": "Middle East",
            "admin1": rng.choice(["Idleb", "Aleppo", "Hama"], places),
            "admin2": None,
            "admin3": None,
            "latitude": rng.uniform(32.5, 37.0, places).round(4),
            "longitude": rng.uniform(35.8, 42.0, places).round(4),
        }
    ).write_csv(folder / "gazetteer.csv")
    return Codebook.from_file(folder / "codebook.yaml")


def synthetic_events(n: int, cb: Codebook, seed: int = 0) -> pl.DataFrame:
    """n typed events shaped like real ones, with ~1% broken rows.

    Like a real export, every row carries its country's iso code and region (a blank one would be
    filled from the gazetteer and recorded as a change on every row).
    """
    rng = np.random.default_rng(seed)
    subs = cb.vocabularies["sub_event_types"]
    pick = rng.choice([9, 11, 2, 15], n)  # air strike, shelling, armed clash, attack
    sub = np.array([subs.terms[i].value for i in pick])
    ev = np.array([subs.terms[i].attributes["event_type"] for i in pick])
    dis = np.array([subs.terms[i].attributes["disorder_type"] for i in pick])
    gaz = cb.references.gazetteer
    place = rng.integers(0, gaz.height, n)
    days = rng.integers(0, 2000, n)
    event_date = (np.datetime64("2018-01-01") + days).astype("datetime64[D]")
    two_sided = np.isin(pick, [2, 15])
    actor2 = np.where(
        pick == 15,
        "Civilians (Syria)",
        np.where(pick == 2, "Opposition Rebels (Syria)", "Civilians (Syria)"),
    )
    inter2 = np.where(pick == 2, "Rebel group", "Civilians")
    one_sided = pick == 11
    frame = pl.DataFrame(
        {
            "event_id_cnty": [f"SYR{i}" for i in range(n)],
            "event_date": event_date,
            "year": event_date.astype("datetime64[Y]").astype(int) + 1970,
            "time_precision": rng.integers(1, 4, n),
            "disorder_type": dis,
            "event_type": ev,
            "sub_event_type": sub,
            "actor1": np.where(
                rng.random(n) < 0.98,
                "Military Forces of Syria (2000-2024)",
                "Military Forces of Syria (2000-2024) Air Force",
            ),
            "inter1": "State forces",
            "actor2": np.where(one_sided, None, actor2),
            "inter2": np.where(one_sided, None, inter2),
            "interaction": np.where(
                one_sided,
                "State forces only",
                np.where(pick == 2, "State forces-Rebel group", "State forces-Civilians"),
            ),
            "civilian_targeting": np.where(pick == 15, "Civilian targeting", None),
            "location": gaz["location"].gather(place),
            "latitude": gaz["latitude"].gather(place),
            "longitude": gaz["longitude"].gather(place),
            "iso": 760,
            "region": "Middle East",
            "country": "Syria",
            "admin1": gaz["admin1"].gather(place),
            "geo_precision": rng.integers(1, 4, n),
            "source": "Syrian Observatory for Human Rights",
            # Every row its own note, as in real tables (one of the longest columns).
            "notes": [
                f"On {d}, forces struck {p}; the source reports {k} casualties among residents."
                for d, p, k in zip(
                    event_date.astype(str), gaz["location"].gather(place), days % 7, strict=True
                )
            ],
            "fatalities": rng.poisson(1.5, n),
            "timestamp": 1_800_000_000,
        }
    ).with_columns(pl.col("event_date").cast(pl.Date))
    del two_sided
    broken = rng.random(n) < 0.01
    frame = frame.with_columns(
        pl.when(pl.Series(broken)).then(-1).otherwise(pl.col("fatalities")).alias("fatalities")
    )
    cols = table_columns(cb, "events")
    missing = [pl.lit(None, cols[c]).alias(c) for c in cols if c not in frame.columns]
    return frame.with_columns(missing).select([pl.col(c).cast(t) for c, t in cols.items()])


def types_only_schema(cb: Codebook, coerce: bool = False) -> pa.DataFrameSchema:
    return pa.DataFrameSchema(
        {
            c: pa.Column(t, nullable=True, coerce=coerce)
            for c, t in table_columns(cb, "events").items()
        }
    )


def _median_pair(first, second, repeat: int) -> tuple[float, float, object]:
    a, b, out = [], [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        first()
        a.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        out = second()
        b.append(time.perf_counter() - t0)
    return statistics.median(a), statistics.median(b), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    tmp = tempfile.TemporaryDirectory()
    cb = synthetic_codebook(Path(tmp.name))
    frame = synthetic_events(args.rows, cb)
    text = frame.select(pl.all().cast(pl.String))  # the same events as read from a CSV file
    print(f"rows: {args.rows:,}  ({len(cb.rules)} rules)")

    bare = types_only_schema(cb)
    m_types, m_full, result = _median_pair(
        lambda: bare.validate(frame, lazy=True), lambda: validate(frame, cb), args.repeat
    )
    print(
        f"accepted {result.accepted.height:,}, rejected {result.rejected.height:,}, "
        f"warnings {result.warnings.height:,}"
    )
    print("typed frame (Parquet input):")
    print(f"  pandera types-only check: median {m_types:.3f} s  (dtype metadata only, no data)")
    print(f"  full validation:          median {m_full:.3f} s  ({args.rows / m_full:,.0f} rows/s)")
    print(f"  ratio full / types-only:  {m_full / m_types:.1f}  (not meaningful: see docstring)")

    # pandera cannot coerce text to a date: that column is checked as text, the rest coerced.
    coercing = types_only_schema(cb, coerce=True).update_column("event_date", dtype=pl.String)
    m_types, m_full, _ = _median_pair(
        lambda: coercing.validate(text, lazy=True), lambda: validate(text, cb), args.repeat
    )
    print("text frame (CSV input, what `eventcoder validate table.csv` reads):")
    print(f"  pandera types-only check: median {m_types:.3f} s  (coerces every value to its type)")
    print(f"  full validation:          median {m_full:.3f} s  ({args.rows / m_full:,.0f} rows/s)")
    print(f"  ratio full / types-only:  {m_full / m_types:.1f}  (target <= 3)")

    csv_path = Path(tmp.name) / "events.csv"
    text.write_csv(csv_path, separator=";")
    m_read, m_file, _ = _median_pair(
        lambda: open_table(csv_path), lambda: validate_file(csv_path, cb), args.repeat
    )
    print(f"CSV file ({csv_path.stat().st_size / 1e6:,.0f} MB, ';'-separated, detected):")
    print(f"  reading it (open_table):  median {m_read:.3f} s")
    print(f"  validate_file:            median {m_file:.3f} s  (reading included)")


if __name__ == "__main__":
    main()
