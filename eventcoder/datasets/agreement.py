"""Agreement between coders over aligned events: event detection, then every coded field.

:func:`agreement` aligns the coders' events (:mod:`eventcoder.datasets.align`) and measures:

- **Event detection**, per pair of coders over the articles both coded (an article counts as
  coded by a coder when the coder has an event in it; an annotation with no events leaves no row
  in the annotations table, so it cannot count): each coder's events, the events matched to the
  other coder (in one aligned event), precision ``matched / events_b`` and recall
  ``matched / events_a`` taking ``a`` as the reference, and ``F1 = 2 matched / (events_a +
  events_b)``, which is symmetric. The ``overall`` row sums the counts over all pairs (micro).
- **Field agreement**, on aligned events only, for every codebook field that coders fill (origin
  coded or assisted) and that declares a ``level``: Krippendorff's alpha at that level, percent
  agreement (Gwet's: the mean over units of the share of agreeing coder pairs), and for nominal
  fields Fleiss' kappa and the mean pairwise Cohen's kappa (Light's kappa). A unit is an aligned
  event with values from two or more coders; Fleiss' kappa, as Gwet (2014) defines it, also
  takes the events one coder alone gave a value into its classification probabilities. Values
  are prepared as:

  - dates: days since 1970-01-01 (interval);
  - text without a vocabulary (actors, locations, admin units, sources): stripped, case-folded
    and with whitespace collapsed; a field that holds several values ("; "-separated) is
    compared as the sorted set of its normalised parts;
  - numbers with ``decimals`` in the codebook: rounded to them;
  - a blank *optional* nominal field (actor2 left empty, no civilian targeting) is the category
    ``(blank)``: leaving it empty is a coding decision another coder can disagree with. A blank
    required or numeric field is missing.

- **Bootstrap intervals and q** for alpha (:mod:`eventcoder.datasets.bootstrap`): a resample
  draws the aligned events that two or more coders found, with replacement, as many as there
  are; each field is measured on the drawn events that carry two or more of its values. Each
  field's resampled counts come from ``numpy.random.default_rng((seed, crc32(field name)))``, so
  a seed gives the same intervals on every run. The interval is the percentile one (``ci``,
  95 %); ``q_pass`` and ``q_tentative`` are the shares of resamples in which alpha falls below
  the codebook's thresholds.
- **Labels**: text compared case-folded is shown in the reference lists' spelling, else in the
  spelling coders used most often.
- **Confusion** for nominal fields: for every pair of coders who coded one aligned event, the
  pair of values they gave. Counts are symmetric (row ``(x, y)`` equals row ``(y, x)``); the
  diagonal ``(x, x)`` counts agreeing pairs.
- **Per coder**, for every field: how often the coder agrees with each other coder on shared
  units (pooled), and alpha without that coder; ``alpha_without - alpha`` above zero means the
  field is more reliable without that coder, so a lead sees who drifts.

A field's status comes from ``cb.settings["agreement"]``: ``pass`` when alpha is at least
``pass`` (0.8), ``tentative`` at least ``tentative`` (0.667), ``fail`` below, and ``undefined``
when alpha cannot be computed (too few units, no variation); ``note`` says why. The status adds
``, uncertain`` when the interval leaves the verdict's band (:func:`status_of`;
:func:`verdict_rule` says it in words, and the reports print it).

Interval-level alpha is computed here in closed form (sums of squares per unit, equal to the
coincidence-matrix definition), because interval values such as coordinates and days have so many
distinct values that a values x values coincidence matrix does not fit in memory.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from functools import partial
from itertools import combinations
from pathlib import Path
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import orjson
import polars as pl

from eventcoder.datasets.align import Alignment, align_events, normalise_text
from eventcoder.datasets.bootstrap import bootstrap_alpha
from eventcoder.datasets.detection import event_detection
from eventcoder.datasets.reliability import (
    AgreementError,
    Level,
    fleiss_kappa,
    krippendorff_alpha,
    pairwise_cohen_kappa,
    percent_agreement,
)
from eventcoder.errors import InputError
from eventcoder.files import atomic_write_text
from eventcoder.schema.codebook import Codebook, Field

__all__ = [
    "BLANK",
    "AgreementResult",
    "agreement",
    "coded_fields",
    "status_of",
    "to_dict",
    "to_json",
    "write_json",
]

BLANK = "(blank)"
N_BOOT = 1000
CI = 0.95
# Categories kept per field in the confusion table of a report; the frame holds them all.
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class AgreementResult:
    """Everything :func:`agreement` measured, as polars frames plus a summary dict.

    - ``aligned``: the input annotations plus ``aligned_event``;
    - ``detection``: per coder pair (and ``overall``): events_a, events_b, matched, precision,
      recall, f1, articles;
    - ``coders``: per coder: articles, events, matched share, mean F1 against the others;
    - ``fields``: per field: level, units, values, alpha with CI, percent agreement, kappas,
      status, note;
    - ``confusion``: field, value_a, value_b, pairs (nominal fields);
    - ``per_coder``: field, coder, values, agreement with the others, alpha without the coder,
      and the change;
    - ``summary``: counts, thresholds and settings of the run.
    """

    aligned: pl.DataFrame
    detection: pl.DataFrame
    coders: pl.DataFrame
    fields: pl.DataFrame
    confusion: pl.DataFrame
    per_coder: pl.DataFrame
    summary: Mapping[str, Any] = field(default_factory=dict)


def coded_fields(cb: Codebook) -> tuple[Field, ...]:
    """Return the fields agreement is measured on: filled by coders, with a level."""
    return tuple(f for f in cb.fields if f.filled_by_coders and f.level)


def thresholds(cb: Codebook) -> tuple[float, float]:
    """Return ``(pass, tentative)`` from ``cb.settings["agreement"]`` (default 0.8, 0.667)."""
    cfg = cb.settings.get("agreement") or {}
    return float(cfg.get("pass", 0.8)), float(cfg.get("tentative", 0.667))


def status_of(
    alpha: float | None,
    cb: Codebook,
    low: float | None = None,
    high: float | None = None,
) -> str:
    """Return a field's status: its verdict, with ``, uncertain`` when the interval disagrees.

    The verdict is ``pass`` (alpha >= the codebook's ``pass``), ``tentative`` (>= ``tentative``),
    ``fail`` or ``undefined``. Given the interval ``low``-``high``, the status adds
    ``, uncertain`` when the interval leaves the verdict's band: below ``pass`` for a pass,
    below ``tentative`` or up to ``pass`` for a tentative, up to ``tentative`` for a fail. So a
    field whose interval reaches below the tentative threshold is never a plain pass.
    """
    ok, tentative = thresholds(cb)
    if alpha is None or not np.isfinite(alpha):
        return "undefined"
    verdict = "pass" if alpha >= ok else "tentative" if alpha >= tentative else "fail"
    if low is None or high is None:
        return verdict
    band_low, band_high = {"pass": (ok, np.inf), "tentative": (tentative, ok)}.get(
        verdict, (-np.inf, tentative)
    )
    inside = low >= band_low and high < band_high
    return verdict if inside else f"{verdict}, uncertain"


def verdict_rule(cb: Codebook, ci: float = CI) -> str:
    """Return the rule :func:`status_of` applies, in words, for a report."""
    ok, tentative = thresholds(cb)
    pct = f"{ci * 100:g} %"
    tail = f"{(1 - ci) / 2 * 100:g} %"
    return (
        f"A field passes when Krippendorff's alpha is at least {ok:g}, is tentative at "
        f"{tentative:g} or more and fails below. q({ok:g}) and q({tentative:g}) are the shares of "
        f"bootstrap resamples in which alpha falls below each threshold (Krippendorff's "
        f"probability of failing to reach it). A status is marked uncertain when the {pct} "
        f"interval leaves its band: a pass whose interval reaches below {ok:g} (q({ok:g}) of "
        f"{tail} or more), a tentative one whose interval reaches below {tentative:g} or up to "
        f"{ok:g}, a fail whose interval reaches {tentative:g}. A field whose interval reaches "
        f"below {tentative:g} is never a plain pass."
    )


# --- interval alpha in closed form -------------------------------------------------------------


# --- preparing values --------------------------------------------------------------------------


def _prepared(f: Field) -> pl.Expr:
    """Return the expression giving field ``f``'s comparable value (see module docstring)."""
    col = pl.col(f.name)
    if f.type == "date":
        return col.cast(pl.Date).cast(pl.Int64).cast(pl.Float64)
    if f.type in ("integer", "number", "boolean"):
        out = col.cast(pl.Float64)
        return out.round(f.decimals) if f.decimals is not None else out
    text = col.cast(pl.String)
    if f.vocabulary is None:
        if f.multiple:
            text = (
                text.str.split(";")
                .list.eval(normalise_text(pl.element()))
                .list.filter(pl.element() != "")
                .list.unique()
                .list.sort()
                .list.join("; ")
            )
        else:
            text = normalise_text(text)
        text = pl.when(text == "").then(None).otherwise(text)
    if f.level == "nominal" and not f.required:
        text = text.fill_null(BLANK)
    return text


def _unit_matrix(
    codes: npt.NDArray[Any],
    unit: npt.NDArray[Any],
    coder: npt.NDArray[Any],
    n_units: int,
    n_coders: int,
) -> npt.NDArray[Any]:
    """Return the units x coders float matrix of ``codes`` (NaN where no value)."""
    out = np.full((n_units, n_coders), np.nan)
    out[unit, coder] = codes
    return out


def _encode_values(values: pl.Series, f: Field, cb: Codebook) -> tuple[npt.NDArray[Any], list[Any]]:
    """Return float codes for a field's values (NaN missing) and the labels of nominal codes.

    Numbers stay numbers; ordinal text takes its vocabulary position; nominal text gets a dense
    code per distinct value (labels in sorted order).
    """
    if values.dtype != pl.String:
        return values.cast(pl.Float64).fill_null(np.nan).to_numpy(), []
    if f.level == "ordinal":
        vocab = cb.vocabulary_of(f.name)
        order = [str(v) for v in vocab.values] if vocab else sorted(values.drop_nulls().unique())
        pos = values.replace_strict(
            order, list(range(len(order))), default=None, return_dtype=pl.Float64
        )
        return pos.fill_null(np.nan).to_numpy(), order
    labels = values.drop_nulls().unique().sort().to_list()
    codes = values.replace_strict(
        labels, list(range(len(labels))), default=None, return_dtype=pl.Float64
    )
    return codes.fill_null(np.nan).to_numpy(), labels


def _spellings(cb: Codebook) -> dict[str, str]:
    """Return the reference lists' spelling of every name they hold, by its normalised form."""
    out: dict[str, str] = {}
    for frame in (cb.references.actors, cb.references.gazetteer):
        if frame is None:
            continue
        for name, dtype in frame.schema.items():
            if dtype != pl.String or name == "alternate_names":
                continue
            values = frame[name].drop_nulls().unique()
            normal = values.to_frame().select(normalise_text(pl.col(name))).to_series()
            out.update(zip(normal.to_list(), values.to_list(), strict=True))
    return out


def _prepared_values(frame: pl.DataFrame, f: Field) -> tuple[pl.Series, dict[str, str]]:
    """Return field ``f``'s comparable values, and each text label's commonest spelling.

    Text is prepared once per distinct value and mapped back (an events table repeats a few
    hundred actor and place names; normalising 800,000 strings one by one took seconds). The
    spellings map a prepared label to the spelling coders used most often (whitespace
    collapsed; ties: the first in sort order); it is empty for dates and numbers.
    """
    if f.type in ("date", "integer", "number", "boolean") or frame[f.name].dtype != pl.String:
        return frame.select(_prepared(f).alias(f.name)).to_series(), {}
    distinct = frame.group_by(f.name).len("_n").with_columns(_prepared(f).alias("_label"))
    prepared = (
        frame.select(f.name)
        .join(
            distinct.select(f.name, "_label"),
            on=f.name,
            how="left",
            nulls_equal=True,
            maintain_order="left",
        )["_label"]
        .alias(f.name)
    )
    spelt = (
        distinct.drop_nulls([f.name, "_label"])
        .with_columns(pl.col(f.name).str.strip_chars().str.replace_all(r"\s+", " "))
        .group_by("_label", f.name)
        .agg(pl.sum("_n"))
        .sort(["_n", f.name], descending=[True, False])
        .group_by("_label", maintain_order=True)
        .first()
    )
    return prepared, dict(zip(spelt["_label"].to_list(), spelt[f.name].to_list(), strict=True))


# --- fields ------------------------------------------------------------------------------------


def _alpha_function(level: Level) -> Callable[[npt.NDArray[Any]], float]:
    """Return the alpha statistic for ``level`` as a function of a units x coders matrix."""
    return partial(krippendorff_alpha, level=level)


def _try(fn: Callable[[], float]) -> tuple[float | None, str]:
    """Return ``(fn(), "")``, or ``(None, message)`` when the statistic is undefined."""
    try:
        value = fn()
    except AgreementError as err:
        return None, str(err)
    return (None, "undefined") if not np.isfinite(value) else (float(value), "")


def _why_undefined(matrix: npt.NDArray[Any], labels: list[Any]) -> str:
    """Return a short reason, for a report, why alpha is undefined on ``matrix``."""
    if matrix.shape[0] == 0:
        return "no aligned event has values from two coders"
    distinct = np.unique(matrix[~np.isnan(matrix)])
    if len(distinct) == 1:
        only = labels[int(distinct[0])] if labels else f"{distinct[0]:g}"
        return f"no variation: every value is {only}"
    return "undefined on these values"


def _confusion(name: str, matrix: npt.NDArray[Any], labels: list[Any]) -> pl.DataFrame:
    """Return the symmetric value-pair counts of a nominal units x coders code matrix."""
    n_labels = len(labels)
    counts = np.zeros(n_labels * n_labels, dtype=np.int64)
    for i, j in combinations(range(matrix.shape[1]), 2):
        both = ~np.isnan(matrix[:, i]) & ~np.isnan(matrix[:, j])
        a, b = matrix[both, i].astype(np.int64), matrix[both, j].astype(np.int64)
        counts += np.bincount(a * n_labels + b, minlength=n_labels * n_labels)
    square = counts.reshape(n_labels, n_labels)
    sym = square + square.T - np.diag(np.diag(square))
    a_idx, b_idx = np.nonzero(sym)
    lab = np.asarray(labels, dtype=object)
    return pl.DataFrame(
        {
            "field": [name] * len(a_idx),
            "value_a": [str(v) for v in lab[a_idx]],
            "value_b": [str(v) for v in lab[b_idx]],
            "pairs": sym[a_idx, b_idx].astype(np.int64),
        },
        schema={"field": pl.String, "value_a": pl.String, "value_b": pl.String, "pairs": pl.Int64},
    )


def _per_coder(
    name: str,
    matrix: npt.NDArray[Any],
    coders: list[str],
    alpha: float | None,
    stat: Callable[[npt.NDArray[Any]], float],
) -> list[dict[str, Any]]:
    """Return one row per coder: values, pooled agreement with the others, alpha without them."""
    rows = []
    present = ~np.isnan(matrix)
    for c, coder in enumerate(coders):
        agree = total = 0
        for o in range(len(coders)):
            if o == c:
                continue
            both = present[:, c] & present[:, o]
            total += int(both.sum())
            agree += int((matrix[both, c] == matrix[both, o]).sum())
        rest = np.delete(matrix, c, axis=1)
        without, _ = _try(partial(stat, rest)) if rest.shape[1] >= 2 else (None, "")
        rows.append(
            {
                "field": name,
                "coder": coder,
                "values": int(present[:, c].sum()),
                "pairs": total,
                "agreement": agree / total if total else None,
                "alpha_without": without,
                "alpha_change": (without - alpha)
                if without is not None and alpha is not None
                else None,
            }
        )
    return rows


def agreement(
    annotations: pl.DataFrame,
    cb: Codebook,
    *,
    n_boot: int = N_BOOT,
    seed: int = 0,
    ci: float = CI,
    threshold: float | None = None,
    coded: pl.DataFrame | None = None,
    uncoded: Mapping[str, Collection[str]] | None = None,
    on_progress: Progress | None = None,
) -> AgreementResult:
    """Return the agreement of the coders in an annotations table (accepted rows only).

    ``coded`` (the converter's table of accepted annotations: article_id, coder) lets event
    detection count a coder who coded an article and found no event in it. ``uncoded`` names,
    per coder, fields that coder does not code at all (a model that fills some fields only):
    its cells there are missing, no vote, rather than the category ``(blank)``.

    Aligns the events (unless ``annotations`` has an ``aligned_event`` column already), then
    measures event detection and every coded field as the module docstring describes.
    ``n_boot`` bootstrap resamples from ``seed`` give each alpha its ``ci`` interval (0 skips
    the bootstrap). ``on_progress(stage, done, total)`` reports each step.
    """
    report = on_progress or (lambda stage, done, total: None)
    if annotations.height == 0:
        raise InputError("the annotations table has no rows; export some annotations first")
    if n_boot < 0 or seed < 0:
        raise AgreementError(
            f"n_boot and seed must be 0 or more, got n_boot={n_boot}, seed={seed}",
            statistic="bootstrap_alpha",
        )
    if "aligned_event" in annotations.columns:
        aligned = annotations
    else:
        aligned = align_events(annotations, cb, threshold, on_progress=on_progress)
    detection, coder_frame = event_detection(aligned, coded)
    report("detection", 1, 1)

    units = _units(aligned)
    fields = [f for f in coded_fields(cb) if f.name in aligned.columns]
    known = _spellings(cb)
    rows: list[dict[str, Any]] = []
    confusions: list[pl.DataFrame] = []
    per_coder: list[dict[str, Any]] = []
    for k, f in enumerate(fields):
        skipped = [c for c, fields in (uncoded or {}).items() if f.name in fields]
        row, confusion, by_coder = _measure_field(
            f, aligned, units, cb, known, n_boot=n_boot, seed=seed, ci=ci, skipped=skipped
        )
        rows.append(row)
        if confusion is not None:
            confusions.append(confusion)
        per_coder.extend(by_coder)
        report("fields", k + 1, len(fields))

    field_frame = pl.DataFrame(rows, schema=_FIELD_SCHEMA)
    confusion = pl.concat(confusions) if confusions else pl.DataFrame(schema=_CONFUSION_SCHEMA)
    per_coder_frame = pl.DataFrame(per_coder, schema=_PER_CODER_SCHEMA)
    summary = _summary(
        aligned, rows, detection, units, cb, n_boot=n_boot, seed=seed, ci=ci, threshold=threshold
    )
    return AgreementResult(
        aligned, detection, coder_frame, field_frame, confusion, per_coder_frame, summary
    )


@dataclass(frozen=True)
class _Units:
    """The aligned events as the units of a units x coders matrix, the same for every field."""

    unit: npt.NDArray[np.intp]  # each row's unit
    coder: npt.NDArray[np.int64]  # each row's coder
    coders: list[str]
    n: int
    # The bootstrap's population: the aligned events two or more coders found, the same for
    # every field (a field's missing values leave an event in it, adding nothing).
    multi: npt.NDArray[np.bool_]


def _units(aligned: pl.DataFrame) -> _Units:
    coders = sorted(aligned["coder"].unique().to_list())
    unit_ids = aligned["aligned_event"].cast(pl.Categorical).to_physical().to_numpy()
    unit_codes, unit = np.unique(unit_ids, return_inverse=True)
    coder_idx = aligned["coder"].replace_strict(coders, list(range(len(coders)))).to_numpy()
    coded_by = np.zeros((len(unit_codes), len(coders)), dtype=bool)
    coded_by[unit, coder_idx] = True
    return _Units(unit, coder_idx, coders, len(unit_codes), coded_by.sum(axis=1) >= 2)


def _measure_field(
    f: Field,
    aligned: pl.DataFrame,
    units: _Units,
    cb: Codebook,
    known: Mapping[str, str],
    *,
    n_boot: int,
    seed: int,
    ci: float,
    skipped: list[str],
) -> tuple[dict[str, Any], pl.DataFrame | None, list[dict[str, Any]]]:
    """Return a field's row of the fields table, its confusion table (nominal), per-coder rows.

    The values of the ``skipped`` coders (who do not code this field) are missing.
    """
    values, spellings = _prepared_values(aligned, f)
    codes, labels = _encode_values(values, f, cb)
    if skipped:
        codes = np.where(aligned["coder"].is_in(skipped).to_numpy(), np.nan, codes)
    if f.level == "nominal" and values.dtype == pl.String:
        # Shown as the reference lists spell them, else as coders spelt them most often.
        labels = [known.get(label, spellings.get(label, label)) for label in labels]
    full = _unit_matrix(codes, units.unit, units.coder, units.n, len(units.coders))
    n_values = (~np.isnan(full)).sum(axis=1)
    matrix = full[n_values >= 2]
    level = cast(Level, f.level or "nominal")  # levels are checked at load
    stat = _alpha_function(level)
    alpha, note = _try(partial(stat, matrix))
    if alpha is None:
        note = _why_undefined(matrix, labels)
    ok, tentative = thresholds(cb)
    low = high = q_pass = q_tentative = None
    if alpha is not None and n_boot > 0:
        # One stream per field, named by the field: a field's interval does not depend on
        # which other fields the codebook has.
        field_seed = (seed, zlib.crc32(f.name.encode()))
        try:
            boot = bootstrap_alpha(full[units.multi], level, n_boot=n_boot, seed=field_seed)
        except AgreementError:
            note = "alpha is undefined on every bootstrap resample"
        else:
            low, high = boot.interval(ci)
            q_pass, q_tentative = boot.prob_below(ok), boot.prob_below(tentative)
    pct, _ = _try(partial(percent_agreement, matrix))
    fleiss = cohen = None
    confusion = None
    if f.level == "nominal":
        # Gwet's classification probabilities count events only one coder found, too.
        fleiss, _ = _try(partial(fleiss_kappa, full[n_values >= 1]))
        cohen, _ = _try(lambda: pairwise_cohen_kappa(matrix, average=True))
        confusion = _confusion(f.name, matrix, labels)
    row = {
        "field": f.name,
        "level": f.level,
        "origin": f.origin,
        "units": int(matrix.shape[0]),
        "values": int((~np.isnan(matrix)).sum()),
        "alpha": alpha,
        "alpha_low": low,
        "alpha_high": high,
        "q_pass": q_pass,
        "q_tentative": q_tentative,
        "percent_agreement": pct,
        "fleiss_kappa": fleiss,
        "cohen_kappa": cohen,
        "status": status_of(alpha, cb, low, high),
        "note": note,
    }
    return row, confusion, _per_coder(f.name, matrix, units.coders, alpha, stat)


def _summary(
    aligned: pl.DataFrame,
    rows: list[dict[str, Any]],
    detection: pl.DataFrame,
    units: _Units,
    cb: Codebook,
    *,
    n_boot: int,
    seed: int,
    ci: float,
    threshold: float | None,
) -> dict[str, Any]:
    """Return the headline figures and the settings the figures were made with."""
    ok, tentative = thresholds(cb)
    verdicts = [r["status"].split(",")[0] for r in rows]
    params = Alignment.resolve(cb, threshold=threshold)
    overall = detection.filter(pl.col("coder_a") == "overall").row(0, named=True)
    return {
        "codebook": cb.label,
        "rows": aligned.height,
        "articles": aligned["article_id"].n_unique(),
        "coders": len(units.coders),
        "aligned_events": units.n,
        "aligned_events_multi": int(
            aligned.group_by("aligned_event").len().filter(pl.col("len") > 1).height
        ),
        "detection_f1": overall["f1"],
        "fields": len(rows),
        "fields_pass": verdicts.count("pass"),
        "fields_tentative": verdicts.count("tentative"),
        "fields_fail": verdicts.count("fail"),
        "fields_undefined": verdicts.count("undefined"),
        "fields_uncertain": sum(r["status"].endswith("uncertain") for r in rows),
        "thresholds": {"pass": ok, "tentative": tentative},
        "verdict_rule": verdict_rule(cb, ci),
        "bootstrap": {
            "n_boot": n_boot,
            "seed": seed,
            "ci": ci,
            "method": "percentile (order statistics) over resampled aligned events coded by "
            "two or more coders",
            "units": int(units.multi.sum()),
        },
        "alignment": {
            "weights": dict(params.weights),
            "threshold": params.threshold,
            "date_scale_days": params.date_scale_days,
        },
    }


_FIELD_SCHEMA = {
    "field": pl.String,
    "level": pl.String,
    "origin": pl.String,
    "units": pl.Int64,
    "values": pl.Int64,
    "alpha": pl.Float64,
    "alpha_low": pl.Float64,
    "alpha_high": pl.Float64,
    "q_pass": pl.Float64,
    "q_tentative": pl.Float64,
    "percent_agreement": pl.Float64,
    "fleiss_kappa": pl.Float64,
    "cohen_kappa": pl.Float64,
    "status": pl.String,
    "note": pl.String,
}
_CONFUSION_SCHEMA = {
    "field": pl.String,
    "value_a": pl.String,
    "value_b": pl.String,
    "pairs": pl.Int64,
}
_PER_CODER_SCHEMA = {
    "field": pl.String,
    "coder": pl.String,
    "values": pl.Int64,
    "pairs": pl.Int64,
    "agreement": pl.Float64,
    "alpha_without": pl.Float64,
    "alpha_change": pl.Float64,
}

# --- reading -----------------------------------------------------------------------------------


# --- serialising -------------------------------------------------------------------------------

TABLES = ("detection", "coders", "fields", "confusion", "per_coder")


def to_dict(result: AgreementResult) -> dict[str, Any]:
    """Return the result as plain data: the summary and each table as a list of rows.

    The aligned annotations are left out (write them as Parquet); NaN becomes None.
    """
    out: dict[str, Any] = {"summary": dict(result.summary)}
    for name in TABLES:
        frame: pl.DataFrame = getattr(result, name)
        out[name] = frame.fill_nan(None).to_dicts()
    return out


def to_json(result: AgreementResult) -> str:
    """Return the result as indented JSON text (see :func:`to_dict`)."""
    return orjson.dumps(to_dict(result), option=orjson.OPT_INDENT_2).decode()


def write_json(result: AgreementResult, path: str | Path) -> Path:
    """Write :func:`to_json` to ``path`` atomically; return the path."""
    return atomic_write_text(to_json(result) + "\n", path)
