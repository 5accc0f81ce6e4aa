"""Time ``krippendorff_alpha`` against the ``krippendorff`` package on 1,000,000 units x 3 coders.

Run by hand from the repository root::

    /tmp/devvenv/bin/python bench/bench_alpha.py [--units N] [--repeats R]

The matrix holds seeded random categories 1..5 with about 10% missing. For each level it prints
the median seconds of both implementations over the repeats and the ratio ours/theirs (target:
<= 0.5), and checks that both give the same alpha.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from functools import partial

import krippendorff
import numpy as np

from eventcoder.datasets.reliability import krippendorff_alpha

LEVELS = ("nominal", "ordinal", "interval", "ratio")


def _median_seconds(run: Callable[[], float], repeats: int) -> tuple[float, float]:
    """Return the median wall time of ``run`` over ``repeats`` calls, and its last result."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    rng = np.random.default_rng(20240501)
    data = rng.integers(1, 6, size=(args.units, 3)).astype(np.float64)
    data[rng.random(data.shape) < 0.10] = np.nan
    transposed = np.ascontiguousarray(data.T)  # the package wants coders x units

    print(f"{args.units:,} units x 3 coders, ~10% missing, median of {args.repeats} runs")
    print(f"{'level':<9} {'ours (s)':>9} {'theirs (s)':>11} {'ours/theirs':>12}  alpha")
    for level in LEVELS:
        ours, a = _median_seconds(partial(krippendorff_alpha, data, level), args.repeats)
        theirs, b = _median_seconds(
            partial(krippendorff.alpha, reliability_data=transposed, level_of_measurement=level),
            args.repeats,
        )
        assert abs(a - b) < 1e-9, (level, a, b)
        print(f"{level:<9} {ours:>9.3f} {theirs:>11.3f} {ours / theirs:>12.3f}  {a:+.6f}")


if __name__ == "__main__":
    main()
