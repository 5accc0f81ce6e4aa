"""Inter-coder reliability statistics over a units x coders matrix.

Every statistic here takes the same input: a 2-D array-like whose rows are *units* (the things
coded, e.g. one event field of one article) and whose columns are *coders*. A cell holds the value
that coder gave that unit, or is missing: ``NaN``, ``None``, or the string ``"nan"`` (what numpy
makes of a ``NaN`` among strings). Values may be numbers or labels.
Note that the PyPI ``krippendorff`` package takes the transpose (coders x units).

Agreement is observed on *pairable* values only: a unit enters it only if at least two coders
gave it a value, because a value nobody else coded cannot agree or disagree with anything.
Krippendorff's alpha and Cohen's kappa use nothing else. Fleiss' kappa and Gwet's AC1 follow
Gwet (2014) and the irrCAC package: their chance agreement comes from how coders classify
*every* rated unit, a unit with a single value included.

A result that is undefined for the data raises :class:`AgreementError` (an ``EventcoderError``
and a ``ValueError``) rather than returning ``NaN``; only ``pairwise_cohen_kappa``'s table marks
an undefined pair with ``NaN``, as documented there. The undefined cases are:

- no unit with two or more values (one coder, all missing, coders who never overlap);
- no variation: every value is the same category (every pairable value, for Krippendorff's
  alpha and Cohen's kappa; every value, for Fleiss' kappa), so the expected disagreement by
  chance is zero and agreement cannot be told from chance. Gwet's AC1 stays defined (it is
  1.0) as long as the scale has two or more categories; percent agreement is 1.0.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any, Literal, get_args, overload

import numpy as np
import numpy.typing as npt
from numpy.typing import ArrayLike

from eventcoder.errors import AgreementError

__all__ = [
    "AgreementError",
    "BootstrapCI",
    "bootstrap_ci",
    "cohen_kappa",
    "fleiss_kappa",
    "gwet_ac1",
    "krippendorff_alpha",
    "pairwise_cohen_kappa",
    "percent_agreement",
]

Level = Literal["nominal", "ordinal", "interval", "ratio"]
_LEVELS: tuple[str, ...] = get_args(Level)
# The ordinal and ratio distances need a categories x categories matrix.
_MAX_CATEGORIES = 20_000
Weights = Literal["linear", "quadratic"]


# --- encoding values as dense category codes -------------------------------------------------


def _categories(values: npt.NDArray[Any]) -> tuple[npt.NDArray[Any], npt.NDArray[Any]]:
    """Return ``(categories, codes)`` of a 1-D array, like ``np.unique(return_inverse=True)``."""
    if values.dtype.kind in "iuf" and values.size:
        lo, hi = values.min(), values.max()
        if not (np.isfinite(lo) and np.isfinite(hi)):
            raise AgreementError("values must be finite; mark a missing value with NaN")
        # Small integer codes (the usual case) are ranked by counting, in O(n) instead of a sort.
        span = float(hi) - float(lo)
        if span <= max(values.size, 1 << 16):
            offset = (values - lo).astype(np.intp)
            if values.dtype.kind != "f" or np.array_equal(offset, values - lo):
                seen = np.bincount(offset) > 0
                rank = np.cumsum(seen, dtype=np.intp) - 1
                return lo + np.flatnonzero(seen).astype(values.dtype), rank[offset]
    try:
        return np.unique(values, return_inverse=True)
    except TypeError as err:
        raise AgreementError(
            "values mix types that cannot be ordered (e.g. numbers and labels); "
            "use one type per matrix"
        ) from err


def _is_missing_value(value: object) -> bool:
    """Return whether one cell is missing: None, NaN, "nan" or a missing marker such as pd.NA."""
    if value is None:
        return True
    if isinstance(value, str):
        return value == "nan"
    try:
        return bool(value != value)
    except TypeError:
        return True  # pd.NA: every comparison is NA


def _missing(arr: npt.NDArray[Any]) -> npt.NDArray[np.bool_]:
    """Return the boolean mask of missing cells: NaN, None or the string "nan"."""
    kind = arr.dtype.kind
    if kind == "f":
        return np.asarray(np.isnan(arr), dtype=bool)
    if kind in "biu":
        return np.zeros(arr.shape, dtype=bool)
    if kind in "US":
        return np.asarray(arr == arr.dtype.type("nan"), dtype=bool)
    if kind == "O":
        try:
            # NaN is the one value unequal to itself.
            none = np.array(None, dtype=object)
            return np.asarray(
                np.equal(arr, none) | np.not_equal(arr, arr) | np.equal(arr, "nan"), dtype=bool
            )
        except TypeError:
            # pandas' NA (nullable columns) compares to NA, whose truth is ambiguous.
            return np.asarray(np.frompyfunc(_is_missing_value, 1, 1)(arr), dtype=bool)
    raise AgreementError(f"cannot compute agreement on values of dtype {arr.dtype}")


def _encode(
    data: ArrayLike, value_domain: Sequence[object] | None = None
) -> tuple[npt.NDArray[Any], npt.NDArray[Any]]:
    """Return ``(codes, categories)`` for a units x coders matrix; a missing cell has code -1.

    ``codes`` is coders x units (the transpose, so that each coder's codes are contiguous for
    the per-coder-pair passes below). Codes index ``categories``: the ``value_domain`` in its
    given order, or else the sorted distinct values of the data.
    """
    arr = np.asarray(data)
    if arr.ndim != 2:
        raise AgreementError(
            f"expected a units x coders matrix (2-D), got {arr.ndim}-D input; "
            "put one unit per row and one coder per column"
        )
    arr = np.ascontiguousarray(arr.T)
    missing = _missing(arr)
    categories, inverse = _categories(arr[~missing])
    codes = np.full(arr.shape, -1, dtype=np.intp)
    codes[~missing] = inverse
    if value_domain is None:
        return codes, categories
    domain = np.asarray(value_domain)
    position = {value: i for i, value in enumerate(domain.tolist())}
    if domain.ndim != 1 or len(position) != len(domain):
        raise AgreementError("value_domain must be a flat list of distinct values")
    where = np.array([position.get(value, -1) for value in categories.tolist()], dtype=np.intp)
    if (where < 0).any():
        unknown = categories[where < 0].tolist()[:5]
        raise AgreementError(f"values not in value_domain: {unknown}; add them to value_domain")
    # Index -1 (missing) picks the appended -1, keeping missing cells missing.
    return np.append(where, -1)[codes], domain


def _as_numbers(categories: npt.NDArray[Any], level: str) -> npt.NDArray[Any]:
    """Return the categories as float64, or raise if they are labels rather than numbers."""
    kind = categories.dtype.kind
    if kind in "biuf" or (
        kind == "O" and all(isinstance(v, numbers.Real) for v in categories.tolist())
    ):
        return categories.astype(np.float64)
    raise AgreementError(
        f"the {level} level needs numeric values; "
        + (
            "give the category order with value_domain"
            if level == "ordinal"
            else "code the values as numbers or use level='nominal'"
        ),
        statistic="krippendorff_alpha",
    )


# --- pair counting -------------------------------------------------------------------------------


def _values_per_unit(codes: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """Return how many coders gave each unit a value (``codes`` is coders x units)."""
    return np.asarray(np.count_nonzero(codes >= 0, axis=0))


def _agreeing_pairs(codes: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """Return, per unit, the number of unordered coder pairs who gave it the same value."""
    agree = np.zeros(codes.shape[1], dtype=np.intp)
    # A loop over coder pairs (a handful), each pass vectorised over all units.
    for i, j in combinations(range(len(codes)), 2):
        agree += (codes[i] == codes[j]) & (codes[i] >= 0)
    return agree


def _coincidences(codes: npt.NDArray[Any], k: int) -> npt.NDArray[Any]:
    """Return Krippendorff's k x k coincidence matrix of the pairable values.

    Each ordered pair of values from two coders of one unit adds ``1 / (m_u - 1)``, where ``m_u``
    is the number of values that unit got, so that every pairable value counts once in total.
    """
    weight = 1.0 / np.maximum(_values_per_unit(codes) - 1, 1)
    # Shifting codes by one puts missing (-1) at 0, so a pair with a missing value lands in row
    # or column 0 of a (k + 1) x (k + 1) table, cut off below; no masking per coder pair.
    size = (k + 1) * (k + 1)
    pairs = np.zeros(size)
    for i, j in combinations(range(len(codes)), 2):
        pairs += np.bincount(
            codes[i] * (k + 1) + codes[j] + (k + 2), weights=weight, minlength=size
        )
    half = pairs.reshape(k + 1, k + 1)[1:, 1:]
    return half + half.T


def _no_pairable(statistic: str) -> AgreementError:
    """Return the error for data where no unit has values from two coders."""
    return AgreementError(
        f"{statistic}: no unit has values from two or more coders (one coder, all values "
        "missing, or coders who never coded the same unit); have units coded twice",
        statistic=statistic,
    )


def _require_pairable(codes: npt.NDArray[Any], statistic: str) -> npt.NDArray[Any]:
    """Return the mask of units with two or more values, or raise if there are none."""
    pairable = _values_per_unit(codes) >= 2
    if not pairable.any():
        raise _no_pairable(statistic)
    return pairable


def _check_level(level: str, statistic: str) -> None:
    """Raise ``AgreementError`` unless ``level`` is one of :data:`Level`'s."""
    if level not in _LEVELS:
        raise AgreementError(
            f"unknown level {level!r}; use 'nominal', 'ordinal', 'interval' or 'ratio'",
            statistic=statistic,
        )


def _no_variation(statistic: str) -> AgreementError:
    """Return the error for data where every pairable value is the same category."""
    return AgreementError(
        f"{statistic} is undefined: every pairable value is the same category, so agreement "
        "cannot be told from chance; report percent_agreement or code more varied units",
        statistic=statistic,
    )


# --- Krippendorff's alpha ------------------------------------------------------------------------


def _distances(level: str, categories: npt.NDArray[Any], n_c: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """Return the k x k matrix of squared distances between categories at ``level``."""
    if level == "nominal":
        return 1.0 - np.eye(len(categories))
    if level == "ordinal":
        # Krippendorff's ordinal distance, (sum_{g=c..k} n_g - (n_c + n_k) / 2)^2, is the
        # interval distance between the categories' mid-ranks cumsum(n) - n / 2.
        v = np.cumsum(n_c) - n_c / 2
        return (v[:, None] - v[None, :]) ** 2
    v = _as_numbers(categories, level)
    diff = v[:, None] - v[None, :]
    if level == "interval":
        return diff**2
    if (v < 0).any():
        raise AgreementError(
            "the ratio level needs values >= 0 (a ratio scale has an absolute zero); "
            "use level='interval'",
            statistic="krippendorff_alpha",
        )
    total = v[:, None] + v[None, :]
    # Both values 0 is the only zero sum; their distance is 0.
    return np.divide(diff, total, out=np.zeros_like(total), where=total > 0) ** 2


def krippendorff_alpha(
    data: ArrayLike,
    level: Level = "nominal",
    *,
    value_domain: Sequence[object] | None = None,
) -> float:
    """Return Krippendorff's alpha for a units x coders matrix (rows units, NaN/None missing).

    ``alpha = 1 - D_o / D_e`` from the coincidence matrix of pairable values (Krippendorff 2011,
    "Computing Krippendorff's Alpha-Reliability"); units with fewer than two values are ignored.
    ``level`` picks the distance: ``nominal`` (0 or 1), ``ordinal`` (from the marginal
    frequencies of the categories in between), ``interval`` ``(c - k)^2``, ``ratio``
    ``((c - k) / (c + k))^2`` (values must be >= 0).

    ``value_domain`` lists the possible values, in order for ``ordinal``; it is required for
    ordinal labels (strings), and every value in the data must be in it. Unused values change
    nothing. Without it, the order is the sorted distinct values.

    Raises ``AgreementError`` when no unit has two values, or when every pairable value is the
    same category (``D_e = 0``). The ``krippendorff`` package raises or returns NaN for these.
    """
    _check_level(level, "krippendorff_alpha")
    if level == "interval" and value_domain is None:
        numbers = np.asarray(data)
        if numbers.ndim == 2 and numbers.dtype.kind in "fiu":
            # Numbers need no category codes at the interval level: straight to the sums.
            return _interval_alpha_numbers(numbers)
    codes, categories = _encode(data, value_domain)
    if level == "ordinal" and value_domain is None:
        _as_numbers(categories, level)  # labels have no order of their own
    if level == "interval":
        return _interval_alpha(codes, _as_numbers(categories, level))
    if len(categories) > _MAX_CATEGORIES:
        raise AgreementError(
            f"krippendorff_alpha at the {level} level compares every pair of the "
            f"{len(categories):,} distinct values; bin the values (at most "
            f"{_MAX_CATEGORIES:,} distinct) or use the interval level",
            statistic="krippendorff_alpha",
        )
    o = _coincidences(codes, len(categories))
    n_c = o.sum(axis=0)
    n = n_c.sum()
    if n == 0:
        raise _no_pairable("krippendorff_alpha")
    d = _distances(level, categories, n_c)
    expected = n_c @ d @ n_c
    if expected == 0:
        raise _no_variation("krippendorff_alpha")
    return float(1.0 - (n - 1) * np.sum(o * d) / expected)


def _interval_alpha(codes: npt.NDArray[Any], values: npt.NDArray[Any]) -> float:
    """Return interval alpha in closed form, in memory linear in the cells.

    With ``m_u`` pairable values in unit ``u``, ``SS_u`` their sum of squared deviations from the
    unit mean, ``n`` all pairable values and ``SS`` their sum of squares about the grand mean,
    ``alpha = 1 - (n - 1) / n * sum_u(m_u SS_u / (m_u - 1)) / SS``: the coincidence definition
    rearranged (the ordered pairs' ``(c - k)^2`` sum to ``2 m SS``), so continuous values (days,
    coordinates) with hundreds of thousands of distinct values need no values x values matrix.
    """
    present = codes >= 0  # coders x units
    m = present.sum(axis=0)
    keep = m >= 2
    if not keep.any():
        raise _no_pairable("krippendorff_alpha")
    present, m = present[:, keep], m[keep]
    x = np.where(present, values[np.where(codes[:, keep] >= 0, codes[:, keep], 0)], 0.0)
    n = m.sum()
    # Centre on the grand mean first: squares of large values (days) would lose digits.
    x = np.where(present, x - x.sum() / n, 0.0)
    deviations = np.where(present, x - x.sum(axis=0) / m, 0.0)
    ss_u = (deviations**2).sum(axis=0)
    ss = (x**2).sum()
    if ss <= 0:
        raise _no_variation("krippendorff_alpha")
    return float(1.0 - (n - 1) / n * np.sum(m * ss_u / (m - 1)) / ss)


def _interval_alpha_numbers(matrix: npt.NDArray[Any]) -> float:
    """Return interval alpha of a numeric units x coders matrix (NaN missing), as above.

    The matrix is copied once into coders x units, so that every step below is a pass over
    contiguous rows: each unit's count and sum, then the squared deviations from the unit's
    mean, of values centred on the mean of the pairable values (squares of days or
    coordinates keep their digits). Units with one value are weighted out (their deviations
    are zero), never copied out.
    """
    # A copy always (the caller's array is never written), C-ordered coders x units.
    x = np.array(matrix.T, dtype=np.float64, order="C", copy=True)
    present = ~np.isnan(x)
    m = present.sum(axis=0, dtype=np.intp)
    keep = m >= 2
    n = int(np.dot(m, keep))
    if n == 0:
        raise _no_pairable("krippendorff_alpha")
    np.copyto(x, 0.0, where=~present)
    sums = x.sum(axis=0)
    if not np.isfinite(sums).all():
        raise AgreementError("values must be finite; mark a missing value with NaN")
    x -= np.where(keep, sums, 0.0).sum() / n
    x *= present
    sums = x.sum(axis=0)
    deviations = x - sums / np.maximum(m, 1)
    deviations *= present
    ss_u = np.einsum("cu,cu->u", deviations, deviations)
    # Centred on the pairable values' mean, their sum of squares is SS about that mean.
    ss = np.where(keep, np.einsum("cu,cu->u", x, x), 0.0).sum()
    if ss <= 0:
        raise _no_variation("krippendorff_alpha")
    # ss_u is 0 for a unit with one value, so every unit can enter the sum.
    return float(1.0 - (n - 1) / n * np.sum(m * ss_u / np.maximum(m - 1, 1)) / ss)


# --- Cohen's kappa -------------------------------------------------------------------------------


def _kappa_weights(weights: Weights | None, k: int) -> npt.NDArray[Any]:
    """Return the k x k disagreement weights on category positions for Cohen's kappa."""
    positions = np.arange(k)
    gap = np.abs(positions[:, None] - positions[None, :]).astype(np.float64)
    if weights is None:
        return (gap > 0).astype(np.float64)
    if weights == "linear":
        return gap
    if weights == "quadratic":
        return gap**2
    raise AgreementError(
        f"unknown weights {weights!r}; use None, 'linear' or 'quadratic'",
        statistic="cohen_kappa",
    )


def _kappa(x: npt.NDArray[Any], y: npt.NDArray[Any], w: npt.NDArray[Any]) -> float:
    """Return Cohen's kappa of two code vectors under disagreement weights ``w`` (k x k)."""
    both = (x >= 0) & (y >= 0)
    n = np.count_nonzero(both)
    if n == 0:
        raise AgreementError(
            "cohen_kappa: the two coders never coded the same unit; have units coded by both",
            statistic="cohen_kappa",
        )
    k = len(w)
    observed = np.bincount(x[both] * k + y[both], minlength=k * k).reshape(k, k) / n
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0))
    chance = np.sum(w * expected)
    if chance == 0:
        raise _no_variation("cohen_kappa")
    return float(1.0 - np.sum(w * observed) / chance)


def cohen_kappa(
    a: ArrayLike,
    b: ArrayLike,
    weights: Weights | None = None,
    *,
    value_domain: Sequence[object] | None = None,
) -> float:
    """Return Cohen's kappa between two coders' values for the same units (1-D, equal length).

    Units where either value is missing (NaN/None) are dropped. ``weights`` ``"linear"`` or
    ``"quadratic"`` give weighted kappa for ordered categories, with disagreement weights
    ``|i - j|`` or ``(i - j)^2`` on category *positions*: their order in ``value_domain``, else
    the sorted distinct values of both coders (as scikit-learn does).

    Raises ``AgreementError`` if no unit has both values, or if both coders used one and the
    same category only (chance agreement is 1, kappa is 0/0).
    """
    x, y = np.asarray(a), np.asarray(b)
    if x.ndim != 1 or x.shape != y.shape:
        raise AgreementError(
            f"cohen_kappa needs two 1-D arrays of equal length, got shapes {x.shape} and "
            f"{y.shape}; pass one value per unit for each coder",
            statistic="cohen_kappa",
        )
    codes, categories = _encode(np.stack([x, y], axis=1), value_domain)
    return _kappa(codes[0], codes[1], _kappa_weights(weights, len(categories)))


@overload
def pairwise_cohen_kappa(
    matrix: ArrayLike,
    weights: Weights | None = ...,
    *,
    value_domain: Sequence[object] | None = ...,
    average: Literal[False] = ...,
) -> npt.NDArray[Any]: ...


@overload
def pairwise_cohen_kappa(
    matrix: ArrayLike,
    weights: Weights | None = ...,
    *,
    value_domain: Sequence[object] | None = ...,
    average: Literal[True],
) -> float: ...


def pairwise_cohen_kappa(
    matrix: ArrayLike,
    weights: Weights | None = None,
    *,
    value_domain: Sequence[object] | None = None,
    average: bool = False,
) -> npt.NDArray[Any] | float:
    """Return the coders x coders table of Cohen's kappa, or its mean with ``average=True``.

    ``matrix`` is units x coders with NaN/None missing; each pair of coders uses the units both
    coded. Categories (and so weight positions) are common to all pairs. In the table the
    diagonal is 1.0 and a pair whose kappa is undefined (no shared unit, or no variation) is
    NaN. ``average=True`` gives the mean over the defined pairs (Light's kappa when unweighted),
    and raises ``AgreementError`` when no pair is defined.
    """
    codes, categories = _encode(matrix, value_domain)
    w = _kappa_weights(weights, len(categories))
    n_coders = len(codes)
    table = np.eye(n_coders)
    for i, j in combinations(range(n_coders), 2):
        try:
            table[i, j] = table[j, i] = _kappa(codes[i], codes[j], w)
        except AgreementError:
            table[i, j] = table[j, i] = np.nan
    if not average:
        return table
    pairs = table[np.triu_indices(n_coders, k=1)]
    defined = pairs[~np.isnan(pairs)]
    if defined.size == 0:
        raise AgreementError(
            "pairwise_cohen_kappa: no pair of coders has a defined kappa (they share no unit or "
            "show no variation); have units coded by two or more coders",
            statistic="pairwise_cohen_kappa",
        )
    return float(defined.mean())


# --- multi-coder kappa-like coefficients ---------------------------------------------------------


def _agreement_and_shares(
    codes: npt.NDArray[Any], k: int, statistic: str
) -> tuple[float, npt.NDArray[Any]]:
    """Return Gwet's ``(p_a, pi)``: agreement over units with 2+ values, shares over all rated.

    With ``r_i`` the values unit ``i`` got and ``r_ik`` those in category ``k`` (Gwet 2014,
    chapter 2; the irrCAC package's ``CAC.fleiss`` and ``CAC.gwet``):

    - ``p_a = 1/n2 * sum_{i: r_i >= 2} sum_k r_ik (r_ik - 1) / (r_i (r_i - 1))``, the mean over
      the ``n2`` units with two or more values of the share of agreeing coder pairs;
    - ``pi_k = 1/n * sum_i r_ik / r_i`` over all ``n`` units with at least one value: a unit
      only one coder rated still says how coders classify.
    """
    m_u = _values_per_unit(codes)
    pairable = m_u >= 2
    if not pairable.any():
        raise _no_pairable(statistic)
    rated = m_u >= 1
    p_a = np.mean(_agreeing_pairs(codes[:, pairable]) / (m_u[pairable] * (m_u[pairable] - 1) / 2))
    present = codes >= 0
    share = np.broadcast_to(1.0 / np.maximum(m_u, 1), codes.shape)
    pi = np.bincount(codes[present], weights=share[present], minlength=k) / np.count_nonzero(rated)
    return float(p_a), pi


def fleiss_kappa(matrix: ArrayLike, *, value_domain: Sequence[object] | None = None) -> float:
    """Return Fleiss' kappa for a units x coders matrix (NaN/None missing).

    Gwet's (2014) form for any number of values per unit, as the irrCAC package computes it::

        kappa = (p_a - p_e) / (1 - p_e),    p_e = sum_k pi_k^2

    where ``p_a`` is the mean over units with two or more values of the share of agreeing coder
    pairs, and ``pi_k`` the mean over *every rated unit* (one value is enough) of the share of
    the unit's values in category ``k``. With the same number of values for every unit it is
    Fleiss (1971) exactly.

    Worked example (units x coders ``[[a, a], [a, b], [b, -]]``): ``p_a = (1 + 0) / 2 = 0.5``;
    ``pi_a = (1 + 1/2 + 0) / 3 = 1/2``, ``pi_b = 1/2``; ``p_e = 1/2``; kappa ``= 0``.

    Raises ``AgreementError`` when no unit has two values or every value is the same category.
    """
    codes, categories = _encode(matrix, value_domain)
    p_a, pi = _agreement_and_shares(codes, len(categories), "fleiss_kappa")
    # Test the categories rather than p_e == 1, which rounding can miss.
    if np.count_nonzero(pi) < 2:
        raise _no_variation("fleiss_kappa")
    p_e = float(np.sum(pi**2))
    return (p_a - p_e) / (1.0 - p_e)


def gwet_ac1(matrix: ArrayLike, *, value_domain: Sequence[object] | None = None) -> float:
    """Return Gwet's AC1 for a units x coders matrix (NaN/None missing).

    Gwet (2014), as the irrCAC package computes it::

        AC1 = (p_a - p_e) / (1 - p_e),    p_e = sum_k pi_k (1 - pi_k) / (Q - 1)

    with ``p_a`` and ``pi_k`` as in :func:`fleiss_kappa` (``pi_k`` over every rated unit) and
    ``Q`` the number of categories: ``len(value_domain)``, else the distinct values in the
    matrix. Pass ``value_domain`` when some categories of the scale went unused, since ``Q``
    changes AC1.

    Worked example (``[[a, a], [a, b], [b, -]]``): ``p_a = 1/2``, ``pi_a = pi_b = 1/2``,
    ``p_e = (1/4 + 1/4) / 1 = 1/2``; AC1 ``= 0``. With ``value_domain=[a, b, c]``:
    ``p_e = 1/4``, AC1 ``= (1/2 - 1/4) / (3/4) = 1/3``.

    Unlike kappa, AC1 is defined when every value is the same category (it is 1.0). Raises
    ``AgreementError`` when no unit has two values or there is only one category.
    """
    codes, categories = _encode(matrix, value_domain)
    q = len(categories)
    p_a, pi = _agreement_and_shares(codes, q, "gwet_ac1")
    if q < 2:
        raise AgreementError(
            "gwet_ac1 needs two or more categories; pass the scale's categories as value_domain",
            statistic="gwet_ac1",
        )
    p_e = float(np.sum(pi * (1.0 - pi)) / (q - 1))
    return (p_a - p_e) / (1.0 - p_e)


def percent_agreement(matrix: ArrayLike) -> float:
    """Return the mean over units with two or more values of the share of agreeing coder pairs.

    ``p_a = 1/n2 * sum_{i: r_i >= 2} sum_k r_ik (r_ik - 1) / (r_i (r_i - 1))`` (Gwet 2014; the
    ``pa`` of irrCAC and the observed agreement of :func:`fleiss_kappa` and :func:`gwet_ac1`).
    Every unit with two or more values weighs the same, whatever its number of coders; with two
    coders it is the share of jointly coded units on which they agree.

    Worked example (``[[1, 1, 1], [1, 2, -], [2, 2, 1], [-, -, 3]]``): the units with two or
    more values agree on 3 of 3, 0 of 1 and 1 of 3 pairs; ``p_a = (1 + 0 + 1/3) / 3 = 4/9``.

    Raises ``AgreementError`` when no unit has two values.
    """
    codes, _ = _encode(matrix)
    codes = codes[:, _require_pairable(codes, "percent_agreement")]
    m_u = _values_per_unit(codes)
    return float(np.mean(_agreeing_pairs(codes) / (m_u * (m_u - 1) / 2)))


# --- bootstrap -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BootstrapCI:
    """A statistic with its percentile bootstrap confidence interval."""

    estimate: float  # the statistic on the full matrix
    low: float
    high: float
    ci: float  # confidence level, e.g. 0.95
    n_boot: int  # resamples drawn
    n_undefined: int  # resamples left out: the statistic raised AgreementError or gave NaN


def bootstrap_ci(
    statistic: Callable[[npt.NDArray[Any]], float],
    matrix: ArrayLike,
    n_boot: int = 1000,
    seed: int = 0,
    ci: float = 0.95,
) -> BootstrapCI:
    """Return ``statistic(matrix)`` with a percentile bootstrap interval from resampled units.

    Each of ``n_boot`` resamples draws ``n_units`` rows of the units x coders ``matrix`` with
    replacement, from ``np.random.default_rng(seed)``, so a seed gives the same interval every
    time. ``statistic`` is any function of such a matrix, e.g.
    ``functools.partial(krippendorff_alpha, level="ordinal")``. A resample on which it raises
    ``AgreementError`` (say, one with no variation) or returns NaN is left out and counted in
    ``n_undefined``;
    if every resample is undefined, ``AgreementError`` is raised. An error on the full matrix
    propagates.
    """
    arr = np.asarray(matrix)
    if arr.ndim != 2 or len(arr) == 0:
        raise AgreementError(
            "bootstrap_ci needs a units x coders matrix with at least one unit",
            statistic="bootstrap_ci",
        )
    if n_boot < 1 or not 0.0 < ci < 1.0:
        raise AgreementError(
            f"bootstrap_ci needs n_boot >= 1 and 0 < ci < 1, got n_boot={n_boot}, ci={ci}",
            statistic="bootstrap_ci",
        )
    estimate = float(statistic(arr))
    rng = np.random.default_rng(seed)
    values = np.full(n_boot, np.nan)
    # One statistic call per resample, each vectorised over the units; drawing the rows per
    # resample keeps memory at one matrix however large n_boot is.
    for b in range(n_boot):
        try:
            values[b] = statistic(arr[rng.integers(0, len(arr), size=len(arr))])
        except AgreementError:
            pass
    defined = values[~np.isnan(values)]
    if defined.size == 0:
        raise AgreementError(
            "bootstrap_ci: the statistic is undefined on every resample; use more units",
            statistic="bootstrap_ci",
        )
    low, high = np.quantile(defined, [(1.0 - ci) / 2, (1.0 + ci) / 2])
    return BootstrapCI(estimate, float(low), float(high), ci, n_boot, n_boot - defined.size)
