"""Reliability statistics: published known answers, the krippendorff package, and properties."""

from __future__ import annotations

from functools import partial

import krippendorff
import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from irrCAC import datasets as irrcac_data
from irrCAC.raw import CAC

from eventcoder.datasets.reliability import (
    AgreementError,
    BootstrapCI,
    bootstrap_ci,
    cohen_kappa,
    fleiss_kappa,
    gwet_ac1,
    krippendorff_alpha,
    pairwise_cohen_kappa,
    percent_agreement,
)
from eventcoder.errors import EventcoderError

nan = np.nan
LEVELS = ("nominal", "ordinal", "interval", "ratio")

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", reliability data with
# missing values: 4 coders (A-D) x 12 units, written here as units x coders.
KRIPPENDORFF_2011 = np.array(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],  # A
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],  # B
        [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],  # C
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan],  # D
    ]
).T

# Gwet (2014) and irrCAC's cac.raw4raters: Krippendorff's (2011) data above, with unit 12 (one
# rating) as Gwet prints it: coded by coder C, not B.
RAW_4RATERS = KRIPPENDORFF_2011.copy()
RAW_4RATERS[11] = [nan, nan, 3, nan]

# Fleiss (1971), Table 1: 30 patients, 6 psychiatrists each, number of diagnoses per category
# (depression, personality disorder, schizophrenia, neurosis, other). Fleiss: kappa = .430.
FLEISS_1971_COUNTS = np.array(
    [
        [0, 0, 0, 6, 0],
        [0, 3, 0, 0, 3],
        [0, 1, 4, 0, 1],
        [0, 0, 0, 0, 6],
        [0, 3, 0, 3, 0],
        [2, 0, 4, 0, 0],
        [0, 0, 4, 0, 2],
        [2, 0, 3, 1, 0],
        [2, 0, 0, 4, 0],
        [0, 0, 0, 0, 6],
        [1, 0, 0, 5, 0],
        [1, 1, 0, 4, 0],
        [0, 3, 3, 0, 0],
        [1, 0, 0, 5, 0],
        [0, 2, 0, 3, 1],
        [0, 0, 5, 0, 1],
        [3, 0, 0, 1, 2],
        [5, 1, 0, 0, 0],
        [0, 2, 0, 4, 0],
        [1, 0, 2, 0, 3],
        [0, 0, 0, 0, 6],
        [0, 1, 0, 5, 0],
        [0, 2, 0, 1, 3],
        [2, 0, 0, 4, 0],
        [1, 0, 0, 4, 1],
        [0, 5, 0, 1, 0],
        [4, 0, 0, 0, 2],
        [0, 2, 0, 4, 0],
        [1, 0, 5, 0, 0],
        [0, 0, 0, 0, 6],
    ]
)

# Wikipedia, "Fleiss' kappa", worked example: 10 subjects, 14 raters, 5 categories; kappa 0.210.
WIKIPEDIA_FLEISS_COUNTS = np.array(
    [
        [0, 0, 0, 0, 14],
        [0, 2, 6, 4, 2],
        [0, 0, 3, 5, 6],
        [0, 3, 9, 2, 0],
        [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0],
        [3, 2, 6, 3, 0],
        [2, 5, 3, 2, 2],
        [6, 5, 2, 1, 0],
        [0, 2, 2, 3, 7],
    ]
)

# Gwet (2014), Handbook of Inter-Rater Reliability, 4th ed.: 5 observers x 15 units on a 0-3
# scale with missing ratings (every unit has two or more), and 4 raters x 15 units on a-c.
GWET_5_OBSERVERS = np.array(
    [
        [1, 1, 2, nan, 0, 0, 1, 1, 2, 2, nan, 0, 1, 3, 1],
        [1, 1, 3, 0, 0, 0, 0, nan, 2, 1, 1, 0, 2, 3, 1],
        [2, 0, 3, 0, 0, 0, 2, 2, 2, 1, 0, 0, 2, 2, 1],
        [nan, 1, 3, nan, nan, nan, nan, 0, nan, 1, 0, 0, 2, 2, nan],
        [2, nan, nan, 0, 0, 0, 1, nan, 2, nan, nan, nan, nan, 3, 1],
    ]
).T
GWET_GENDER = np.array(
    [
        "a a a a a b b b c a a a a a b".split(),
        "a a a a b a b c c a a a a b a".split(),
        "a b b c a a b b c a b b c a a".split(),
        "c c c c a a b b c c c c c a a".split(),
    ]
).T


def _from_counts(counts: np.ndarray) -> np.ndarray:
    """Return a units x raters matrix of category indices from a units x categories count table."""
    n_units, n_categories = counts.shape
    categories = np.tile(np.arange(n_categories), n_units)
    return np.repeat(categories, counts.ravel()).reshape(n_units, -1)


def _from_contingency(table: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Return two coders' value vectors from their k x k contingency table (rows: first coder)."""
    counts = np.asarray(table)
    return np.divmod(np.repeat(np.arange(counts.size), counts.ravel()), len(counts))


# --- Krippendorff's alpha: known answers -------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "expected"),
    [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)],
)
def test_alpha_krippendorff_2011(level: str, expected: float) -> None:
    alpha = krippendorff_alpha(KRIPPENDORFF_2011, level)
    assert round(alpha, 3) == expected
    package = krippendorff.alpha(reliability_data=KRIPPENDORFF_2011.T, level_of_measurement=level)
    assert alpha == pytest.approx(package, abs=1e-12)


def test_alpha_unused_values_in_domain_change_nothing() -> None:
    for level in LEVELS:
        with_domain = krippendorff_alpha(KRIPPENDORFF_2011, level, value_domain=[0, 1, 2, 3, 4, 5])
        assert with_domain == pytest.approx(krippendorff_alpha(KRIPPENDORFF_2011, level))


def test_alpha_ordinal_labels_follow_value_domain() -> None:
    order = ["very low", "low", "mid", "high", "very high"]
    labels = np.array([None, *order], dtype=object)
    codes = np.nan_to_num(KRIPPENDORFF_2011).astype(int)
    as_labels = labels[codes]  # 0 (missing) -> None
    assert round(krippendorff_alpha(as_labels, "ordinal", value_domain=order), 3) == 0.815
    assert round(krippendorff_alpha(as_labels), 3) == 0.743
    with pytest.raises(AgreementError, match="value_domain"):
        krippendorff_alpha(as_labels, "ordinal")
    with pytest.raises(AgreementError, match="numeric"):
        krippendorff_alpha(as_labels, "interval", value_domain=order)


# --- Krippendorff's alpha: properties ----------------------------------------------------------


@st.composite
def reliability_data(draw: st.DrawFn) -> np.ndarray:
    """Draw a units x coders matrix of small integer categories with NaN for missing."""
    shape = (draw(st.integers(2, 60)), draw(st.integers(2, 5)))
    cells = st.sampled_from([nan, 0.0, 1.0, 2.0, 3.0, 4.0])
    return draw(arrays(np.float64, shape, elements=cells))


def _package_alpha(data: np.ndarray, level: str) -> float:
    """Return krippendorff.alpha on our layout, NaN where the package raises or divides 0/0."""
    try:
        with np.errstate(divide="ignore", invalid="ignore"):
            return krippendorff.alpha(reliability_data=data.T, level_of_measurement=level)
    except ValueError:
        return nan


@settings(max_examples=300, deadline=None)
@given(data=reliability_data(), level=st.sampled_from(LEVELS))
def test_alpha_matches_krippendorff_package(data: np.ndarray, level: str) -> None:
    expected = _package_alpha(data, level)
    if np.isfinite(expected):
        assert krippendorff_alpha(data, level) == pytest.approx(expected, abs=1e-9)
    else:  # the package raises or gives NaN exactly where alpha is undefined
        with pytest.raises(AgreementError):
            krippendorff_alpha(data, level)


@settings(max_examples=150, deadline=None)
@given(data=reliability_data(), level=st.sampled_from(LEVELS), seed=st.integers(0, 2**32 - 1))
def test_alpha_invariant_under_permutation(data: np.ndarray, level: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    shuffled = data[rng.permutation(data.shape[0])][:, rng.permutation(data.shape[1])]
    try:
        alpha = krippendorff_alpha(data, level)
    except AgreementError:
        with pytest.raises(AgreementError):
            krippendorff_alpha(shuffled, level)
        return
    assert krippendorff_alpha(shuffled, level) == pytest.approx(alpha, abs=1e-12)


@settings(max_examples=150, deadline=None)
@given(
    values=arrays(np.float64, st.integers(2, 60), elements=st.sampled_from([0.0, 1.0, 2.0, 3.0])),
    n_coders=st.integers(2, 5),
    seed=st.integers(0, 2**32 - 1),
)
def test_perfect_agreement_gives_one(values: np.ndarray, n_coders: int, seed: int) -> None:
    matrix = np.repeat(values[:, None], n_coders, axis=1)
    matrix[np.random.default_rng(seed).random(matrix.shape) < 0.3] = nan
    pairable = np.count_nonzero(~np.isnan(matrix), axis=1) >= 2
    assume(len(np.unique(values[pairable])) >= 2)
    for level in LEVELS:
        assert krippendorff_alpha(matrix, level) == 1.0
    assert fleiss_kappa(matrix) == pytest.approx(1.0)
    assert gwet_ac1(matrix) == pytest.approx(1.0)
    assert percent_agreement(matrix) == 1.0


# --- Cohen's kappa -----------------------------------------------------------------------------


def test_cohen_kappa_wikipedia() -> None:
    # Wikipedia, "Cohen's kappa": 50 grant proposals, yes/yes 20, yes/no 5, no/yes 10, no/no 15.
    a, b = _from_contingency([[20, 5], [10, 15]])
    assert cohen_kappa(a, b) == pytest.approx(0.4)
    assert cohen_kappa(b, a) == pytest.approx(0.4)


def test_cohen_kappa_sas_example() -> None:
    # SAS PROC FREQ example as checked in statsmodels: simple kappa 0.4842, weighted 0.4701
    # (SAS's default Cicchetti-Allison weights are linear).
    a, b = _from_contingency([[0, 4, 1], [0, 8, 0], [0, 1, 5]])
    assert cohen_kappa(a, b) == pytest.approx(0.4842, abs=5e-5)
    assert cohen_kappa(a, b, "linear") == pytest.approx(0.4701, abs=5e-5)


def test_cohen_kappa_irr_anxiety() -> None:
    # R irr::kappa2(anxiety[, 2:3]) with weights "unweighted", "equal" and "squared"; irr
    # weighs category positions among the levels used (1, 2, 3, 4, 6), as this module does.
    rater2 = [3, 6, 4, 6, 2, 4, 2, 4, 3, 3, 2, 3, 3, 3, 2, 2, 1, 3, 3, 4]
    rater3 = [2, 1, 4, 4, 3, 2, 1, 6, 1, 1, 1, 2, 3, 3, 1, 1, 3, 3, 2, 2]
    assert cohen_kappa(rater2, rater3) == pytest.approx(-0.006289308, abs=1e-9)
    assert cohen_kappa(rater2, rater3, "linear") == pytest.approx(0.1459075, abs=1e-7)
    assert cohen_kappa(rater2, rater3, "quadratic") == pytest.approx(0.2520325, abs=1e-7)


def test_cohen_kappa_drops_missing_pairs() -> None:
    a, b = _from_contingency([[20, 5], [10, 15]])
    a = np.append(a.astype(float), [nan, 1, nan])
    b = np.append(b.astype(float), [0, nan, nan])
    assert cohen_kappa(a, b) == pytest.approx(0.4)
    labels = np.array(["no", "yes"], dtype=object)
    assert cohen_kappa(labels[[1, 0, 1]], ["yes", "no", None]) == 1.0


@settings(max_examples=100, deadline=None)
@given(pairs=st.lists(st.tuples(st.integers(0, 1), st.integers(0, 1)), min_size=2, max_size=50))
def test_weighted_kappa_with_two_categories_is_kappa(pairs: list[tuple[int, int]]) -> None:
    a, b = np.array(pairs).T
    try:
        kappa = cohen_kappa(a, b)
    except AgreementError:
        return
    assert cohen_kappa(a, b, "linear") == pytest.approx(kappa)
    assert cohen_kappa(a, b, "quadratic") == pytest.approx(kappa)


def test_pairwise_cohen_kappa_table_and_mean() -> None:
    table = pairwise_cohen_kappa(KRIPPENDORFF_2011)
    assert table.shape == (4, 4)
    np.testing.assert_array_equal(table, table.T)
    np.testing.assert_array_equal(np.diag(table), 1.0)
    a, b = KRIPPENDORFF_2011[:, 0], KRIPPENDORFF_2011[:, 1]
    assert table[0, 1] == pytest.approx(cohen_kappa(a, b))
    assert pairwise_cohen_kappa(KRIPPENDORFF_2011, average=True) == pytest.approx(
        table[np.triu_indices(4, k=1)].mean()
    )


def test_pairwise_cohen_kappa_marks_undefined_pairs_nan() -> None:
    # Coders 0 and 2 never code the same unit.
    matrix = np.array([[1, 1, nan], [2, 2, nan], [nan, 1, 1], [nan, 2, 2]])
    table = pairwise_cohen_kappa(matrix)
    assert np.isnan(table[0, 2]) and np.isnan(table[2, 0])
    assert table[0, 1] == table[1, 2] == 1.0
    assert pairwise_cohen_kappa(matrix, average=True) == 1.0
    with pytest.raises(AgreementError, match="no pair"):
        pairwise_cohen_kappa(np.array([[1, nan], [nan, 2]]), average=True)


# --- Fleiss' kappa, Gwet's AC1, percent agreement ----------------------------------------------


def test_fleiss_1971() -> None:
    kappa = fleiss_kappa(_from_counts(FLEISS_1971_COUNTS))
    assert round(kappa, 3) == 0.430
    assert kappa == pytest.approx(0.4302445, abs=1e-7)  # R irr::kappam.fleiss(diagnoses)


def test_fleiss_wikipedia() -> None:
    assert round(fleiss_kappa(_from_counts(WIKIPEDIA_FLEISS_COUNTS)), 3) == 0.210


def test_fleiss_and_ac1_gwet_2014() -> None:
    # Gwet's values (as reproduced by the irrCAC package), with unequal raters per unit.
    assert round(fleiss_kappa(GWET_5_OBSERVERS), 3) == 0.458
    assert round(gwet_ac1(GWET_5_OBSERVERS), 3) == 0.497
    assert round(fleiss_kappa(GWET_GENDER), 3) == 0.129
    assert round(gwet_ac1(GWET_GENDER), 3) == 0.208


def test_published_values_with_a_single_rated_unit() -> None:
    # irrCAC's cac.raw4raters (Gwet 2014): unit 12 has one rating. Published (irrCAC's
    # documentation, 5 decimals): Fleiss 0.76117, AC1 0.77544, pa 0.81818; Krippendorff's
    # alpha is the nominal 0.743 of Krippendorff (2011), whose data these are.
    assert fleiss_kappa(RAW_4RATERS) == pytest.approx(0.76117, abs=5e-6)
    assert gwet_ac1(RAW_4RATERS) == pytest.approx(0.77544, abs=5e-6)
    assert percent_agreement(RAW_4RATERS) == pytest.approx(0.81818, abs=5e-6)
    assert percent_agreement(RAW_4RATERS) == pytest.approx(9 / 11, abs=1e-15)
    assert round(krippendorff_alpha(RAW_4RATERS), 3) == 0.743


def test_single_rated_units_count_in_the_classification_probabilities() -> None:
    # Worked by hand: units [a, a], [a, b], [b, -]. p_a = (1 + 0) / 2 = 1/2;
    # pi_a = (1 + 1/2 + 0) / 3 = 1/2 = pi_b, so Fleiss' p_e = 1/2 and kappa = 0; AC1's
    # p_e = (1/4 + 1/4) / (2 - 1) = 1/2, AC1 = 0; with a third, unused category p_e = 1/4 and
    # AC1 = (1/2 - 1/4) / (3/4) = 1/3. Without the single-rated unit pi_a would be 3/4.
    matrix = np.array([["a", "a"], ["a", "b"], ["b", None]], dtype=object)
    assert fleiss_kappa(matrix) == pytest.approx(0.0, abs=1e-15)
    assert gwet_ac1(matrix) == pytest.approx(0.0, abs=1e-15)
    assert gwet_ac1(matrix, value_domain=["a", "b", "c"]) == pytest.approx(1 / 3, abs=1e-15)
    assert percent_agreement(matrix) == 0.5
    # Dropping the single-rated unit changes kappa: pi = (3/4, 1/4), p_e = 5/8, kappa = -1/3.
    assert fleiss_kappa(matrix[:2]) == pytest.approx(-1 / 3, abs=1e-15)


def test_gwet_ac1_counts_unused_categories_from_value_domain() -> None:
    matrix = np.array([[1, 1], [1, 2], [2, 2], [1, 1]])
    assert gwet_ac1(matrix) != gwet_ac1(matrix, value_domain=[1, 2, 3])


def test_percent_agreement_averages_units() -> None:
    matrix = np.array([[1, 1, 1], [1, 2, nan], [2, 2, 1], [nan, nan, 3]])
    # 3 of 3, 0 of 1 and 1 of 3 agreeing pairs; the last unit has one value and is dropped.
    assert percent_agreement(matrix) == pytest.approx((1 + 0 + 1 / 3) / 3, abs=1e-15)


# --- against the irrCAC package ----------------------------------------------------------------


def _irrcac(matrix: np.ndarray) -> dict[str, float]:
    """Return irrCAC's unrounded Fleiss' kappa, AC1 and percent agreement of a matrix.

    The categories are passed explicitly: under pandas 3, irrCAC's own list of categories
    counts NaN as one (``DataFrame.stack`` keeps missing cells), which changes AC1's ``Q``.
    """
    frame = pd.DataFrame(matrix)
    values = matrix[~pd.isna(matrix)]
    categories = sorted(set(values.tolist()))
    cac = CAC(frame, categories=categories, digits=30)
    fleiss = cac.fleiss()["est"]
    ac1 = cac.gwet()["est"]
    return {"fleiss": fleiss["coefficient_value"], "ac1": ac1["coefficient_value"], "pa": ac1["pa"]}


IRRCAC_RAW = {
    "raw_4raters": irrcac_data.raw_4raters,
    "raw_5observers": irrcac_data.raw_5observers,
    "raw_ben_gerry": irrcac_data.raw_ben_gerry,
    "raw_g1g2": irrcac_data.raw_g1g2,
    "raw_gender": irrcac_data.raw_gender,
}


@pytest.mark.parametrize("name", IRRCAC_RAW)
def test_irrcac_example_data(name: str) -> None:
    frame = IRRCAC_RAW[name]()
    matrix = frame.astype(object).where(frame.notna(), None).to_numpy()
    expected = _irrcac(matrix)
    assert fleiss_kappa(matrix) == pytest.approx(expected["fleiss"], abs=1e-9)
    assert gwet_ac1(matrix) == pytest.approx(expected["ac1"], abs=1e-9)
    assert percent_agreement(matrix) == pytest.approx(expected["pa"], abs=1e-9)


def test_irrcac_raw_4raters_is_our_copy() -> None:
    np.testing.assert_array_equal(irrcac_data.raw_4raters().to_numpy(), RAW_4RATERS)


@st.composite
def ratings_with_single_rated_units(draw: st.DrawFn) -> np.ndarray:
    """Draw a units x coders matrix with missing cells and units rated once; one rated twice."""
    shape = (draw(st.integers(1, 40)), draw(st.integers(2, 5)))
    cells = st.sampled_from([nan, nan, 0.0, 1.0, 2.0, 3.0, 4.0])
    matrix = draw(arrays(np.float64, shape, elements=cells))
    # at least one unit with two values, so that every coefficient has something to observe
    pair = draw(st.tuples(st.sampled_from([0.0, 1.0, 2.0]), st.sampled_from([0.0, 1.0, 2.0])))
    return np.vstack([matrix, np.array([[*pair] + [nan] * (shape[1] - 2)])])


@settings(max_examples=200, deadline=None)
@given(matrix=ratings_with_single_rated_units())
def test_matches_irrcac_on_random_matrices(matrix: np.ndarray) -> None:
    values = matrix[~np.isnan(matrix)]
    assume(len(np.unique(values)) >= 2)  # irrCAC divides by zero on a single category
    # and, computing a variance, on a single rated unit
    assume(np.count_nonzero((~np.isnan(matrix)).any(axis=1)) >= 2)
    expected = _irrcac(matrix)
    assert fleiss_kappa(matrix) == pytest.approx(expected["fleiss"], abs=1e-9)
    assert gwet_ac1(matrix) == pytest.approx(expected["ac1"], abs=1e-9)
    assert percent_agreement(matrix) == pytest.approx(expected["pa"], abs=1e-9)


# --- degenerate input --------------------------------------------------------------------------

STATISTICS = {
    "alpha": krippendorff_alpha,
    "alpha_interval": partial(krippendorff_alpha, level="interval"),
    "fleiss": fleiss_kappa,
    "ac1": gwet_ac1,
    "percent": percent_agreement,
    "pairwise_mean": partial(pairwise_cohen_kappa, average=True),
}


@pytest.mark.parametrize("statistic", STATISTICS.values(), ids=STATISTICS.keys())
@pytest.mark.parametrize(
    "matrix",
    [
        np.array([[1.0], [2.0], [3.0]]),  # one coder
        np.full((4, 3), nan),  # all missing
        np.array([[1, nan], [nan, 2], [3, nan]]),  # coders never overlap
        np.empty((0, 3)),  # no units
    ],
    ids=["one-coder", "all-missing", "no-overlap", "no-units"],
)
def test_no_pairable_units_raise(statistic, matrix: np.ndarray) -> None:
    with pytest.raises(AgreementError, match="two or more coders|no pair"):
        statistic(matrix)


def test_no_variation() -> None:
    one_category = np.array([[1, 1], [1, 1], [1, nan]])
    for statistic in (krippendorff_alpha, fleiss_kappa):
        with pytest.raises(AgreementError, match="undefined"):
            statistic(one_category)
    with pytest.raises(AgreementError, match="undefined"):
        cohen_kappa(one_category[:, 0], one_category[:, 1])
    with pytest.raises(AgreementError, match="two or more categories"):
        gwet_ac1(one_category)
    assert gwet_ac1(one_category, value_domain=[1, 2]) == 1.0
    assert percent_agreement(one_category) == 1.0
    # A second category only in a unit with one value: still no variation among pairable
    # values. The package returns NaN here (and raises for the first matrix).
    singleton_other = np.array([[1, 1], [1, 1], [2, nan]])
    assert np.isnan(_package_alpha(singleton_other, "nominal"))
    with pytest.raises(AgreementError, match="undefined"):
        krippendorff_alpha(singleton_other)
    assert gwet_ac1(singleton_other) == 1.0


def test_unusable_input_raises_agreement_error() -> None:
    cases = [
        lambda: krippendorff_alpha([1, 2, 3]),  # 1-D
        lambda: krippendorff_alpha(KRIPPENDORFF_2011, "cardinal"),  # type: ignore[arg-type]
        lambda: krippendorff_alpha([[1, -1], [2, 2]], "ratio"),
        lambda: krippendorff_alpha([[1, 2], [2, 2]], value_domain=[1]),
        lambda: krippendorff_alpha([[1, 2], [2, 2]], value_domain=[1, 2, 1]),
        lambda: krippendorff_alpha(np.array([[1, "a"], [2, "b"]], dtype=object)),
        lambda: krippendorff_alpha([[1, np.inf], [2, 2]]),
        lambda: krippendorff_alpha([[1, np.inf], [2, 2]], "interval"),
        lambda: cohen_kappa([1, 2], [1, 2, 3]),
        lambda: cohen_kappa([1, 2], [1, 2], "cubic"),  # type: ignore[arg-type]
    ]
    for case in cases:
        with pytest.raises(AgreementError) as caught:
            case()
        assert isinstance(caught.value, EventcoderError)
        assert isinstance(caught.value, ValueError)


# --- bootstrap ---------------------------------------------------------------------------------


def test_bootstrap_ci_is_seeded_and_brackets_estimate() -> None:
    statistic = partial(krippendorff_alpha, level="interval")
    result = bootstrap_ci(statistic, KRIPPENDORFF_2011, n_boot=300, seed=7)
    assert isinstance(result, BootstrapCI)
    assert result.estimate == krippendorff_alpha(KRIPPENDORFF_2011, "interval")
    assert result.low < result.estimate < result.high <= 1.0
    assert (result.ci, result.n_boot) == (0.95, 300)
    assert bootstrap_ci(statistic, KRIPPENDORFF_2011, n_boot=300, seed=7) == result
    assert bootstrap_ci(statistic, KRIPPENDORFF_2011, n_boot=300, seed=8) != result


def test_bootstrap_ci_counts_undefined_resamples() -> None:
    # Resamples without the last unit have no variation; the rest agree perfectly.
    matrix = np.array([[1, 1], [1, 1], [2, 2]])
    result = bootstrap_ci(krippendorff_alpha, matrix, n_boot=200)
    assert 0 < result.n_undefined < 200
    assert result.low == result.high == result.estimate == 1.0


def test_bootstrap_ci_raises_when_every_resample_is_undefined() -> None:
    calls = iter(range(10**6))

    def defined_only_once(matrix: np.ndarray) -> float:
        if next(calls) == 0:
            return 0.5
        raise AgreementError("undefined")

    with pytest.raises(AgreementError, match="every resample"):
        bootstrap_ci(defined_only_once, KRIPPENDORFF_2011, n_boot=20)


@pytest.mark.parametrize(
    ("matrix", "n_boot", "ci"),
    [(KRIPPENDORFF_2011, 0, 0.95), (KRIPPENDORFF_2011, 10, 1.0), ([1, 2, 3], 10, 0.95)],
)
def test_bootstrap_ci_rejects_bad_arguments(matrix, n_boot: int, ci: float) -> None:
    with pytest.raises(AgreementError):
        bootstrap_ci(krippendorff_alpha, matrix, n_boot=n_boot, ci=ci)


@pytest.mark.parametrize("level", LEVELS)
def test_alpha_leaves_its_input_alone(level: str) -> None:
    # K2011 is a transposed (Fortran-ordered) float array: a view a fast path could write into.
    data = np.asfortranarray(KRIPPENDORFF_2011.copy())
    before = data.copy()
    krippendorff_alpha(data, level)
    np.testing.assert_array_equal(data, before)


def test_pandas_frames_with_nullable_columns() -> None:
    # irrCAC's data as pandas gives them, and as nullable columns (pd.NA for missing).
    frame = irrcac_data.raw_g1g2()
    expected = (fleiss_kappa(frame), gwet_ac1(frame), percent_agreement(frame))
    for nullable in (frame.astype("string"), frame.astype(object).where(frame.notna(), pd.NA)):
        got = (fleiss_kappa(nullable), gwet_ac1(nullable), percent_agreement(nullable))
        assert got == pytest.approx(expected, abs=1e-15)
    numbers = irrcac_data.raw_4raters().astype("Int64")
    assert fleiss_kappa(numbers) == pytest.approx(fleiss_kappa(RAW_4RATERS), abs=1e-15)
    assert krippendorff_alpha(numbers, "interval") == pytest.approx(
        krippendorff_alpha(RAW_4RATERS, "interval"), abs=1e-15
    )
    mixed = np.array([["a", None], [pd.NA, "a"], ["a", "b"], [np.nan, "nan"]], dtype=object)
    assert percent_agreement(mixed) == 0.0  # one unit has two values, and they differ
