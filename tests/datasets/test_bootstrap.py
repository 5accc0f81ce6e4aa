"""Bootstrap of alpha by unit patterns: exact against expanded matrices, seeded, and honest."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from eventcoder.datasets.bootstrap import (
    _POISSON_FROM,
    AlphaBootstrap,
    _multinomial,
    _patterns,
    _PatternSums,
    bootstrap_alpha,
)
from eventcoder.datasets.reliability import (
    AgreementError,
    _encode,
    bootstrap_ci,
    krippendorff_alpha,
)
from tests.datasets.test_reliability import KRIPPENDORFF_2011 as K2011
from tests.datasets.test_reliability import LEVELS

nan = np.nan


@st.composite
def matrices(draw: st.DrawFn) -> np.ndarray:
    """Draw a units x coders matrix of a few categories with NaN missing."""
    shape = (draw(st.integers(1, 40)), draw(st.integers(2, 4)))
    return draw(arrays(np.float64, shape, elements=st.sampled_from([nan, 0.0, 1.0, 2.0, 5.0])))


@settings(max_examples=300, deadline=None)
@given(
    matrix=matrices(),
    level=st.sampled_from(LEVELS),
    seed=st.integers(0, 2**32 - 1),
)
def test_pattern_sums_are_alpha_of_the_resampled_matrix(matrix, level, seed) -> None:
    # A resample is counts per pattern; alpha from the pattern sums must be alpha of the matrix
    # that repeats each pattern's units that many times.
    codes, categories = _encode(matrix)
    patterns, sizes = _patterns(codes)
    sums = _PatternSums(patterns, categories, level)
    rows = patterns[sums.pairable]
    counts = np.random.default_rng(seed).integers(0, 4, size=(3, len(rows)))
    got = sums.alpha(counts.astype(float))
    for b in range(len(counts)):
        expanded = categories[np.maximum(np.repeat(rows, counts[b], axis=0), 0)].astype(float)
        expanded[np.repeat(rows, counts[b], axis=0) < 0] = nan
        try:
            expected = krippendorff_alpha(expanded.reshape(-1, matrix.shape[1]), level)
        except AgreementError:
            assert np.isnan(got[b])
            continue
        assert got[b] == pytest.approx(expected, abs=1e-9)


@settings(max_examples=100, deadline=None)
@given(matrix=matrices(), level=st.sampled_from(LEVELS))
def test_counts_of_the_data_give_the_estimate(matrix, level) -> None:
    codes, categories = _encode(matrix)
    patterns, sizes = _patterns(codes)
    assert sizes.sum() == matrix.shape[0]
    sums = _PatternSums(patterns, categories, level)
    got = sums.alpha(sizes[sums.pairable][None].astype(float))[0]
    try:
        assert got == pytest.approx(krippendorff_alpha(matrix, level), abs=1e-9)
    except AgreementError:
        assert np.isnan(got)


def test_patterns_ignore_which_coder_gave_which_value() -> None:
    codes, _ = _encode(np.array([[1, 2, nan], [2, nan, 1], [nan, 1, 1], [1, 2, nan]]))
    patterns, sizes = _patterns(codes)
    assert sorted(sizes.tolist()) == [1, 3]


@pytest.mark.parametrize("level", LEVELS)
def test_seeded_and_brackets_the_estimate(level: str) -> None:
    boot = bootstrap_alpha(K2011, level, n_boot=500, seed=3)
    assert isinstance(boot, AlphaBootstrap)
    assert boot.estimate == krippendorff_alpha(K2011, level)
    low, high = boot.interval()
    assert low < boot.estimate <= high <= 1.0
    again = bootstrap_alpha(K2011, level, n_boot=500, seed=3)
    assert again == boot and np.array_equal(again.resamples, boot.resamples)
    assert bootstrap_alpha(K2011, level, n_boot=500, seed=4).interval() != (low, high)


def test_same_distribution_as_drawing_units() -> None:
    # Drawing pattern counts from a multinomial is drawing units: compare with the unit-level
    # bootstrap (both 4,000 resamples) on quantiles; Monte Carlo error is about 0.01 here.
    rng = np.random.default_rng(11)
    truth = rng.integers(0, 4, 300)
    matrix = np.repeat(truth[:, None], 3, axis=1).astype(float)
    noise = rng.random(matrix.shape) < 0.2
    matrix[noise] = rng.integers(0, 4, noise.sum())
    matrix[rng.random(matrix.shape) < 0.15] = nan
    ours = bootstrap_alpha(matrix, "nominal", n_boot=4000, seed=1)
    units = bootstrap_ci(partial(krippendorff_alpha, level="nominal"), matrix, n_boot=4000, seed=2)
    low, high = ours.interval()
    assert low == pytest.approx(units.low, abs=0.015)
    assert high == pytest.approx(units.high, abs=0.015)


def test_interval_and_q_agree() -> None:
    # The interval's ends are order statistics, so q(t) >= 2.5 % exactly when low < t.
    boot = bootstrap_alpha(K2011, "nominal", n_boot=1000, seed=5)
    low, high = boot.interval(0.95)
    values = boot.resamples
    for t in np.unique(np.r_[values, values + 1e-9, values - 1e-9]):
        assert (low < t) == (boot.prob_below(t) >= 0.025 - 1e-12)
        assert (high >= t) == (boot.prob_below(t) < 0.975 - 1e-12)
    assert boot.prob_below(-10) == 0.0 and boot.prob_below(10) == 1.0


def test_units_with_one_value_are_resampled_and_add_nothing() -> None:
    # Extra single-value rows enlarge the population (fewer pairable units per resample) but
    # leave the estimate alone.
    extra = np.vstack([K2011, np.full((12, 4), nan)])
    extra[12:, 0] = 1
    assert bootstrap_alpha(extra, n_boot=10).estimate == krippendorff_alpha(K2011)
    wide = bootstrap_alpha(extra, n_boot=2000, seed=1).interval()
    narrow = bootstrap_alpha(K2011, n_boot=2000, seed=1).interval()
    assert wide[1] - wide[0] > narrow[1] - narrow[0]


def test_undefined_resamples_are_counted() -> None:
    matrix = np.array([[1, 1], [1, 1], [2, 2]])
    boot = bootstrap_alpha(matrix, n_boot=300, seed=0)
    assert 0 < boot.n_undefined < 300
    assert boot.interval() == (1.0, 1.0)


def test_undefined_data_raise() -> None:
    with pytest.raises(AgreementError):
        bootstrap_alpha(np.array([[1, 1], [1, 1]]), n_boot=10)
    with pytest.raises(AgreementError):
        bootstrap_alpha(K2011, n_boot=0)
    with pytest.raises(AgreementError):
        bootstrap_alpha(K2011, "cardinal", n_boot=10)  # type: ignore[arg-type]


def test_many_coders_and_categories_use_row_patterns() -> None:
    # 12 coders x 5,000 categories overflow one int64 key: the row-wise path gives the same.
    rng = np.random.default_rng(0)
    matrix = rng.integers(0, 5000, size=(50, 12)).astype(float)
    matrix[:, 6:] = matrix[:, :6]
    boot = bootstrap_alpha(matrix, "interval", n_boot=50)
    assert boot.estimate == pytest.approx(krippendorff_alpha(matrix, "interval"))


@pytest.mark.parametrize("k", [5, _POISSON_FROM + 50])
def test_pattern_counts_are_multinomial(k: int) -> None:
    # Both samplers (numpy's for few patterns, Poisson plus single draws for many): every row
    # sums to n, and the counts have the multinomial's means, variances and covariances.
    rng = np.random.default_rng(0)
    sizes = rng.integers(1, 30, k).astype(float)
    p = sizes / sizes.sum()
    n, rows = 2000, 20000
    counts = _multinomial(np.random.default_rng(1), n, sizes, rows)
    assert counts.shape == (rows, k) and (counts.sum(axis=1) == n).all() and counts.min() >= 0
    se = np.sqrt(n * p * (1 - p) / rows)
    assert np.all(np.abs(counts.mean(axis=0) - n * p) < 5 * se)
    assert np.allclose(counts.var(axis=0), n * p * (1 - p), rtol=0.08)
    cov = np.cov(counts[:, 0], counts[:, 1])[0, 1]
    assert cov == pytest.approx(-n * p[0] * p[1], abs=6 * np.sqrt(n * p[0] * n * p[1] / rows))


def test_many_patterns_match_drawing_units() -> None:
    # Continuous values: every unit its own pattern, the Poisson sampler's path.
    rng = np.random.default_rng(4)
    truth = rng.normal(0, 1, 800)
    matrix = truth[:, None] + rng.normal(0, 0.6, (800, 3))
    matrix[rng.random(matrix.shape) < 0.1] = nan
    assert len(_patterns(_encode(matrix)[0])[1]) > _POISSON_FROM
    ours = bootstrap_alpha(matrix, "interval", n_boot=3000, seed=1)
    units = bootstrap_ci(partial(krippendorff_alpha, level="interval"), matrix, n_boot=3000, seed=2)
    low, high = ours.interval()
    assert low == pytest.approx(units.low, abs=0.01)
    assert high == pytest.approx(units.high, abs=0.01)
