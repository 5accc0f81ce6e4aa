"""Bootstrap distributions of Krippendorff's alpha, cheap at thousands of resamples.

A bootstrap resample draws the units (rows of a units x coders matrix) with replacement, as many
as there are, so it is a weighting of the units by multinomial counts. Alpha is a function of sums
over units: the coincidence counts (each unit adds its ordered value pairs, weighted ``1 / (m_u -
1)``) and, at the interval level, per-unit sums (values, their squares, the within-unit sum of
squares). Two units with the same multiset of values add the same amounts, and coded data repeat
a few such *patterns* (three coders who agree on ``Battles``; two on ``Riots``, one on
``Protests``; ...). So the units are compressed to their patterns once, a resample is a vector of
counts per pattern, drawn as ``Multinomial(n_units, pattern_sizes / n_units)`` (exactly the
counts that drawing units would give), and alpha for all resamples is a few matrix products over
patterns instead of one pass over the units per resample.

Units with fewer than two values stay in the population (a resample can draw them) and add
nothing, as in :func:`eventcoder.datasets.reliability.krippendorff_alpha`. So a caller that
passes every unit of a study (say, every event two coders found) resamples the same population
for every field, whatever each field's missing values.

The interval is percentile (``inverted_cdf``: an order statistic of the resamples), so that
"the interval reaches below ``t``" and "``q(t)``, the share of resamples below ``t``, is at
least ``(1 - ci) / 2``" are the same statement.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from numpy.typing import ArrayLike

from eventcoder.datasets.reliability import (
    Level,
    _as_numbers,
    _check_level,
    _distances,
    _encode,
    krippendorff_alpha,
)
from eventcoder.errors import AgreementError

__all__ = ["AlphaBootstrap", "bootstrap_alpha"]

# Cells (resamples x patterns) handled at once: bounds memory whatever the number of patterns.
_BLOCK_CELLS = 4_000_000


@dataclass(frozen=True)
class AlphaBootstrap:
    """Krippendorff's alpha with its bootstrap distribution.

    ``resamples`` holds the alphas of the resamples on which alpha is defined, sorted;
    ``n_undefined`` counts the others (say, a resample with no variation).
    """

    estimate: float
    level: str
    n_boot: int
    n_undefined: int
    seed: int | Sequence[int]
    resamples: npt.NDArray[Any] = field(compare=False, repr=False)

    def interval(self, ci: float = 0.95) -> tuple[float, float]:
        """Return the ``ci`` percentile interval (order statistics of the resamples)."""
        if not 0.0 < ci < 1.0:
            raise AgreementError(f"ci must be between 0 and 1, got {ci}", statistic="bootstrap")
        # The j-th smallest of n resamples with j = ceil(n * level) (numpy's "inverted_cdf"),
        # computed here so that 1000 * 0.025 is 25, not the 25.000000000000025 of floats.
        n = len(self.resamples)
        tail = (1.0 - ci) / 2
        first = max(math.ceil(round(n * tail, 9)), 1) - 1
        last = min(math.ceil(round(n * (1.0 - tail), 9)), n) - 1
        return float(self.resamples[first]), float(self.resamples[last])

    def prob_below(self, threshold: float) -> float:
        """Return ``q``: the share of the (defined) resamples whose alpha is below ``threshold``."""
        return float(np.searchsorted(self.resamples, threshold, side="left") / len(self.resamples))


def bootstrap_alpha(
    data: ArrayLike,
    level: Level = "nominal",
    *,
    n_boot: int = 1000,
    seed: int | Sequence[int] = 0,
    value_domain: Sequence[object] | None = None,
) -> AlphaBootstrap:
    """Return Krippendorff's alpha of ``data`` and of ``n_boot`` resamples of its units.

    ``data`` is a units x coders matrix as for
    :func:`~eventcoder.datasets.reliability.krippendorff_alpha` (NaN/None missing); every row,
    including rows with fewer than two values, is one unit of the population resampled. The
    resampled pattern counts come from ``numpy.random.default_rng(seed)``: a seed gives the same
    resamples every time. ``seed`` may be a sequence of ints (e.g. a run's seed and a field's
    number).

    Raises ``AgreementError`` when alpha is undefined on ``data`` itself (as
    ``krippendorff_alpha`` does) or on every resample.
    """
    _check_level(level, "bootstrap_alpha")
    if n_boot < 1:
        raise AgreementError(
            f"bootstrap_alpha needs n_boot >= 1, got {n_boot}", statistic="bootstrap_alpha"
        )
    codes, categories = _encode(data, value_domain)
    if level == "ordinal" and value_domain is None:
        _as_numbers(categories, level)
    patterns, sizes = _patterns(codes)
    n_units = codes.shape[1]
    sums = _PatternSums(patterns, categories, level)
    # Patterns with fewer than two values add nothing: one bucket holds them all.
    pairable = sums.pairable
    weights = np.append(sizes[pairable], sizes[~pairable].sum())
    # The estimate is alpha of the data's own counts: the definition's sums, regrouped.
    estimate = float(sums.alpha(weights[None, :-1].astype(np.float64))[0])
    if not np.isfinite(estimate):
        krippendorff_alpha(data, level, value_domain=value_domain)  # raises, saying why
        raise AgreementError("krippendorff_alpha is undefined", statistic="bootstrap_alpha")
    rng = np.random.default_rng(seed)
    per_block = max(1, _BLOCK_CELLS // sums.width)
    alphas = np.empty(n_boot)
    for start in range(0, n_boot, per_block):
        stop = min(n_boot, start + per_block)
        counts = _multinomial(rng, n_units, weights, stop - start)
        alphas[start:stop] = sums.alpha(counts[:, :-1].astype(np.float64))
    defined = np.sort(alphas[np.isfinite(alphas)])
    if defined.size == 0:
        raise AgreementError(
            "bootstrap_alpha: alpha is undefined on every resample; use more units",
            statistic="bootstrap_alpha",
        )
    return AlphaBootstrap(
        estimate=estimate,
        level=level,
        n_boot=n_boot,
        n_undefined=n_boot - defined.size,
        seed=seed if isinstance(seed, int) else tuple(seed),
        resamples=defined,
    )


# Above this many categories, counts are drawn through Poisson variates (see _multinomial).
_POISSON_FROM = 256


def _multinomial(
    rng: np.random.Generator, n: int, sizes: npt.NDArray[Any], rows: int
) -> npt.NDArray[Any]:
    """Return ``rows`` draws of ``Multinomial(n, sizes / sizes.sum())`` (rows x categories).

    Few categories: numpy's multinomial (one binomial per category). Many: independent Poisson
    counts with means ``sizes * (n - slack) / n`` (one cheap variate per category), which given
    their total ``T`` are ``Multinomial(T, p)``; the other ``n - T`` draws are added as single
    draws. Given ``T``, the sum is ``Multinomial(n, p)`` exactly, whatever ``T`` is, so rows with
    ``T > n`` are drawn again (a 4-sigma slack makes that rare).
    """
    k = len(sizes)
    p = sizes / sizes.sum()
    if k < _POISSON_FROM:
        return rng.multinomial(n, p, size=rows)
    slack = min(n, 4.0 * math.sqrt(n) + 4.0)
    means = p * (n - slack)
    out = rng.poisson(means, size=(rows, k))
    total = out.sum(axis=1)
    for r in np.flatnonzero(total > n):
        while total[r] > n:
            out[r] = rng.poisson(means)
            total[r] = out[r].sum()
    rest = n - total
    cumulative = np.cumsum(sizes)
    picks = np.searchsorted(cumulative, rng.random(int(rest.sum())) * cumulative[-1], side="right")
    picks = np.minimum(picks, k - 1)
    owner = np.repeat(np.arange(rows), rest)
    out += np.bincount(owner * k + picks, minlength=rows * k).reshape(rows, k)
    return out


def _patterns(codes: npt.NDArray[Any]) -> tuple[npt.NDArray[Any], npt.NDArray[Any]]:
    """Return the distinct value multisets of the units and how many units have each.

    ``codes`` is coders x units (-1 missing). A pattern is a unit's codes sorted, so that which
    coder gave which value does not matter (alpha does not ask); missing codes sort first.
    """
    rows = np.sort(codes.T, axis=1)
    n_coders = rows.shape[1]
    base = int(rows.max(initial=-1)) + 2
    if n_coders == 0 or rows.shape[0] == 0:
        return rows[:0], np.zeros(0, dtype=np.int64)
    if base**n_coders < 2**62:
        # One int64 key per unit: np.unique over a vector is far cheaper than over rows.
        key = (rows + 1) @ (base ** np.arange(n_coders, dtype=np.int64))
        _, first, sizes = np.unique(key, return_index=True, return_counts=True)
        return rows[first], sizes
    patterns, sizes = np.unique(rows, axis=0, return_counts=True)
    return patterns, sizes


class _PatternSums:
    """Alpha as a function of counts per pattern, vectorised over many count vectors."""

    def __init__(
        self, patterns: npt.NDArray[Any], categories: npt.NDArray[Any], level: str
    ) -> None:
        present = patterns >= 0
        m = present.sum(axis=1)
        self.pairable = m >= 2
        patterns, present, m = patterns[self.pairable], present[self.pairable], m[self.pairable]
        self.level = level
        self.m = m.astype(np.float64)
        n_pat, n_coders = patterns.shape
        k = len(categories)
        if level == "interval":
            values = _as_numbers(categories, level)
            x = np.where(present, values[np.where(present, patterns, 0)], 0.0)
            # Centre on the grand mean (of the patterns, unweighted: any centre is exact, a
            # central one keeps the squares of large values such as days small).
            centre = x[present].mean() if present.any() else 0.0
            x = np.where(present, x - centre, 0.0)
            unit_mean = x.sum(axis=1) / m
            ss_within = (np.where(present, x - unit_mean[:, None], 0.0) ** 2).sum(axis=1)
            self.s1 = x.sum(axis=1)
            self.s2 = (x**2).sum(axis=1)
            self.within = m * ss_within / (m - 1)
            # Variation: some resampled pattern's values differ from another's (or within).
            self.lo = np.where(present, patterns, np.iinfo(np.int64).max).min(axis=1)
            self.hi = patterns.max(axis=1)
            self.width = n_pat + 1
            return
        # Category incidence: patterns x categories, a few non-zeros per row.
        rows = np.repeat(np.arange(n_pat), n_coders)[present.ravel()]
        self.incidence = sp.csr_matrix(
            (np.ones(len(rows)), (rows, patterns[present])), shape=(n_pat, k)
        ).T.tocsr()
        # Coincidence entries: each ordered pair of a pattern's values, weighted 1 / (m - 1).
        ii, jj = np.nonzero(~np.eye(n_coders, dtype=bool))
        both = present[:, ii] & present[:, jj]
        p_idx = np.broadcast_to(np.arange(n_pat)[:, None], both.shape)[both]
        self.c = patterns[:, ii][both]
        self.k = patterns[:, jj][both]
        self.w = (1.0 / (m - 1))[p_idx]
        self.p = p_idx
        # Cells per resample in the widest intermediate (ordinal: one per coincidence entry).
        self.width = max(n_pat, k, len(p_idx) if level == "ordinal" else 0) + 1
        if level == "ordinal":
            return
        d = _distances(level, categories, np.ones(k))
        self.d = d
        # Observed disagreement per pattern, for a fixed distance.
        self.observed = np.bincount(self.p, weights=self.w * d[self.c, self.k], minlength=n_pat)

    def alpha(self, counts: npt.NDArray[Any]) -> npt.NDArray[Any]:
        """Return alpha per row of ``counts`` (resamples x pairable patterns), NaN if undefined."""
        n = counts @ self.m
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.level == "interval":
                s1 = counts @ self.s1
                s2 = counts @ self.s2
                ss = s2 - s1 * s1 / n
                # A resample with no variation leaves rounding residue in ss; only resamples
                # whose ss is that small get the exact (and costlier) check of their values.
                varied = ss > 1e-9 * s2
                for b in np.flatnonzero(~varied & (n > 0)):
                    drawn = counts[b] > 0
                    varied[b] = self.lo[drawn].min() < self.hi[drawn].max()
                out = 1.0 - (n - 1) / n * (counts @ self.within) / ss
                return np.where(varied & (n > 0), out, np.nan)
            n_c = (self.incidence @ counts.T).T  # resamples x categories
            varied = np.count_nonzero(n_c, axis=1) >= 2
            if self.level == "nominal":
                observed = counts @ self.observed
                expected = n * n - np.einsum("bc,bc->b", n_c, n_c)
            elif self.level == "ratio":
                observed = counts @ self.observed
                expected = np.einsum("bc,bc->b", n_c @ self.d, n_c)
            else:  # ordinal: the distances follow each resample's marginal frequencies
                v = np.cumsum(n_c, axis=1) - n_c / 2
                gap = (v[:, self.c] - v[:, self.k]) ** 2
                observed = np.einsum("be,be->b", counts[:, self.p], gap * self.w)
                expected = (
                    2 * n * np.einsum("bc,bc->b", n_c, v * v)
                    - 2 * np.einsum("bc,bc->b", n_c, v) ** 2
                )
            out = 1.0 - (n - 1) * observed / expected
        return np.where(varied, out, np.nan)
