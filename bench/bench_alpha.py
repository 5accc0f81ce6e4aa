"""Time ``krippendorff_alpha`` against the ``krippendorff`` package on 1,000,000 units x 3 coders.

Run by hand from the repository root::

    .venv/bin/python bench/bench_alpha.py [--units N] [--repeats R]

The matrix holds seeded random categories 1..5 with about 10% missing. For each level it prints
the median seconds of both implementations over the repeats (run in turns) and the median ratio
ours/theirs (target: <= 0.25 at every level), and checks that both give the same alpha.
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


def _seconds(run: Callable[[], float]) -> tuple[float, float]:
    """Return the wall time of one call of ``run`` and its result."""
    start = time.perf_counter()
    result = run()
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    rng = np.random.default_rng(20240501)
    data = rng.integers(1, 6, size=(args.units, 3)).astype(np.float64)
    data[rng.random(data.shape) < 0.10] = np.nan
    transposed = np.ascontiguousarray(data.T)  # the package wants coders x units

    print(f"{args.units:,} units x 3 coders, ~10% missing, median of {args.repeats} runs")
    print(f"{'level':<9} {'ours (s)':>9} {'theirs (s)':>11} {'ours/theirs':>12}  alpha")
    for level in LEVELS:
        ours_run = partial(krippendorff_alpha, data, level)
        theirs_run = partial(
            krippendorff.alpha, reliability_data=transposed, level_of_measurement=level
        )
        ours, theirs, ratios = [], [], []
        # Alternate the two so that the shared machine's load hits both alike; the ratio is
        # taken per pair of runs.
        for _ in range(args.repeats):
            t_ours, a = _seconds(ours_run)
            t_theirs, b = _seconds(theirs_run)
            assert abs(a - b) < 1e-9, (level, a, b)
            ours.append(t_ours)
            theirs.append(t_theirs)
            ratios.append(t_ours / t_theirs)
        print(
            f"{level:<9} {statistics.median(ours):>9.3f} {statistics.median(theirs):>11.3f} "
            f"{statistics.median(ratios):>12.3f}  {a:+.6f}"
        )


if __name__ == "__main__":
    main()
