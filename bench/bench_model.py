"""Benchmark: train the text model on 100,000 ACLED-style rows, score it, predict for articles.

Run by hand: ``python bench/bench_model.py [--rows N] [--articles K]``. The rows are made up
(``synthetic_events``: eight countries, notes from templates, 12% of notes written from a close
sub-event type's templates and 3% from any type's, as borderline and mislabelled cases). 90% of
the rows train the model (10% of those calibrate it), the other 10% are held out and scored.
Then ``--articles`` articles of 3-6 sentences (event notes mixed with sentences that report no
event) are pre-annotated as Label Studio predictions. Prints times, accuracy and macro-F1 per
field, the calibration error, and how many event sentences became regions.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from synthetic_events import events  # noqa: E402

from eventcoder.model import evaluate, examples, train  # noqa: E402
from eventcoder.schema import load_codebook, validate  # noqa: E402
from eventcoder.schema.codebook import Codebook  # noqa: E402
from eventcoder.schema.references import build_references, without_references  # noqa: E402

FILLER = (
    "The ministry did not respond to a request for comment.",
    "Prices of bread and fuel have risen sharply this year.",
    "The report was compiled from local media and community sources.",
    "Schools in the district reopened last month after the holidays.",
    "Officials said further details would be released next week.",
)


def articles(notes: list[str], n: int, seed: int = 0) -> list[dict[str, str]]:
    """``n`` articles, each 1-3 event notes and 1-3 sentences that report no event."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        k = int(rng.integers(1, 4))
        picked = [notes[int(j)] for j in rng.integers(0, len(notes), k)]
        filler = [FILLER[int(j)] for j in rng.integers(0, len(FILLER), int(rng.integers(1, 4)))]
        sentences = picked + filler
        rng.shuffle(sentences)
        out.append({"id": f"art-{i}", "title": f"Report {i}", "text": " ".join(sentences)})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--articles", type=int, default=10_000)
    args = parser.parse_args()
    cb = load_codebook()
    start = time.perf_counter()
    frame = events(args.rows, seed=7)
    print(f"generated {frame.height:,} rows in {time.perf_counter() - start:.1f} s")
    start = time.perf_counter()
    accepted = validate(frame, without_references(cb)).accepted
    ex = examples(accepted, cb)
    print(f"validated: {ex.height:,} rows usable in {time.perf_counter() - start:.1f} s")
    ex = ex.sample(fraction=1.0, shuffle=True, seed=1)
    cut = int(ex.height * 0.9)
    train_rows, held = ex[:cut], ex[cut:]
    start = time.perf_counter()
    model = train(train_rows, cb)
    print(
        f"train: {time.perf_counter() - start:.1f} s on {train_rows.height:,} rows "
        f"(temperature {model.temperature:.3f})"
    )
    start = time.perf_counter()
    result = evaluate(model, held)
    took = time.perf_counter() - start
    print(f"evaluate: {took:.2f} s for {held.height:,} held-out rows")
    for name, s in result.fields.items():
        print(f"  {name}: accuracy {s.accuracy:.3f}, macro-F1 {s.macro_f1:.3f}")
    print(f"  calibration error {result.calibration_error:.3f}; detected {result.detected:.1%}")
    filler = model.predict(list(FILLER))["reports_event"]
    print(f"  sentences that report no event taken for events: {filler.sum()} of {len(FILLER)}")
    from eventcoder.annotate.prelabel import predict_articles

    # Actor and place mentions are looked up in lists built from the same tables, as a team
    # would (references build), so that pre-annotation finds names in every country.
    with tempfile.TemporaryDirectory() as tmp:
        build_references([accepted], cb).write(tmp, cb)
        with_lists = Codebook.from_file(Path(tmp) / "codebook.yaml")
    arts = articles(held["text"].to_list(), args.articles)
    start = time.perf_counter()
    preds = predict_articles(arts, model, with_lists)
    took = time.perf_counter() - start
    regions = sum(p.regions for p in preds)
    mentions = sum(p.mentions for p in preds)
    print(
        f"predict: {took:.1f} s for {len(arts):,} articles "
        f"({len(arts) / took:,.0f} articles/s), {regions:,} event regions, "
        f"{mentions:,} actor, place and date mentions"
    )


if __name__ == "__main__":
    main()
