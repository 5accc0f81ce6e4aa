"""A small text model: event category from a report's text, within the codebook's hierarchy.

Features are hashed word 1-2-grams and character 2-5-grams (within word boundaries), weighted
by tf-idf: hashing needs no vocabulary, so the model file holds numbers only. The classifier is
a linear SVM (one against the rest, fitted by stochastic gradient descent) over the *leaf*
categories (sub-event types); its margins become probabilities by a softmax whose temperature
is fitted on held-out rows (calibration).
An event type's probability is the sum of its sub-event types', and the sub-event type is chosen
among the chosen event type's own: the model can never pair a sub-event type with another event
type's.

Whether a sentence reports an event at all is one more class, ``(no event)``, learnt from
sentences that report none (a small bundled set written for eventcoder, and any a team adds):
a text is taken to report an event when that class's probability is under one half. The event
categories' probabilities are then read given that the text reports an event.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl
import scipy.sparse as sp
from scipy.optimize import minimize_scalar
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.linear_model import SGDClassifier

from eventcoder.errors import ModelError
from eventcoder.schema.codebook import Codebook

WORD_FEATURES = 2**17
CHAR_FEATURES = 2**18
FEATURES = WORD_FEATURES + CHAR_FEATURES
# Fewer held-out rows than this fit a temperature to noise (all right: near zero, overconfident).
MIN_CALIBRATION_ROWS = 200
UNCALIBRATED_TEMPERATURE = 0.1
NO_EVENT = "(no event)"
Array = npt.NDArray[Any]


@dataclass(frozen=True)
class Hierarchy:
    """The fields a model predicts: an event type and, when the codebook has one, its sub-type."""

    event_field: str
    sub_field: str | None
    parent: dict[str, str]  # sub-event type -> its event type (empty without sub_field)
    event_types: tuple[str, ...]

    @classmethod
    def of(cls, cb: Codebook) -> Hierarchy:
        """The hierarchy the codebook declares: its ``lookup`` rule from sub-type to type."""
        event_field = cb.role("event_type")
        if event_field is None:
            raise ValueError("the codebook has no event_type role")
        vocab = cb.vocabulary_of(event_field)
        event_types = tuple(str(v) for v in vocab.values) if vocab else ()
        for rule in cb.rules:
            if rule.kind == "lookup" and rule.params.get("field") == event_field:
                sub_vocab = cb.vocabularies[rule.params["vocabulary"]]
                parent = {
                    str(k): str(v) for k, v in sub_vocab.attribute(rule.params["attribute"]).items()
                }
                return cls(event_field, str(rule.params["key"]), parent, event_types)
        return cls(event_field, None, {}, event_types)

    @property
    def fields(self) -> tuple[str, ...]:
        return (self.event_field,) + ((self.sub_field,) if self.sub_field else ())


def normalise_text(texts: pl.Series) -> pl.Series:
    """Texts as the model reads them: lower case, every digit a 0, blanks as empty strings."""
    out: pl.Series = (
        texts.cast(pl.String).fill_null("").str.to_lowercase().str.replace_all(r"\d", "0")
    )
    return out


def _vectorizers() -> tuple[HashingVectorizer, HashingVectorizer]:
    # Raw counts (no sign flips, no norm, no lowercasing): normalise_text lowercases, _tfidf
    # weighs and normalises.
    common: dict[str, Any] = dict(
        alternate_sign=False, norm=None, lowercase=False, dtype=np.float32
    )
    words = HashingVectorizer(
        analyzer="word", ngram_range=(1, 2), n_features=WORD_FEATURES, **common
    )
    chars = HashingVectorizer(
        analyzer="char_wb", ngram_range=(2, 5), n_features=CHAR_FEATURES, **common
    )
    return words, chars


def counts(texts: Sequence[str]) -> sp.csr_matrix:
    """Hashed term counts of normalised texts: word columns, then character columns."""
    words, chars = _vectorizers()
    return sp.hstack(
        [words.transform(texts), chars.transform(texts)], format="csr", dtype=np.float32
    )


def _tfidf(x: sp.csr_matrix, idf: Array) -> sp.csr_matrix:
    x = x.copy()
    x.data = np.log1p(x.data)  # sublinear tf: a word said five times is not five times the cue
    x = x.multiply(idf.reshape(1, -1)).tocsr()
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.diags(1.0 / norms).dot(x).tocsr().astype(np.float32)


@dataclass
class TextModel:
    """A trained model: feature weights, classes, calibration, and what it was trained on."""

    hierarchy: Hierarchy
    classes: tuple[str, ...]  # leaf categories, in column order of ``coef``
    columns: Array  # feature columns seen in training (int64)
    idf: Array  # idf of those columns (float32)
    coef: Array  # classes x columns (float32)
    intercept: Array  # classes (float32)
    temperature: float
    codebook: dict[str, str]  # name, version
    summary: dict[str, Any] = field(default_factory=dict)

    # -- scoring ------------------------------------------------------------------------------
    def margins(self, texts: Sequence[str] | pl.Series) -> Array:
        """The classifiers' margins, one row per text, one column per class."""
        series = normalise_text(pl.Series(list(texts), dtype=pl.String))
        x = counts(series.to_list())[:, self.columns]
        scores: Array = np.asarray(_tfidf(x, self.idf) @ self.coef.T) + self.intercept
        return scores

    def leaf_probabilities(self, margins: Array) -> Array:
        """Calibrated probabilities of the leaf classes (softmax of margins / temperature)."""
        z = margins.astype(np.float64) / self.temperature
        z = z - z.max(axis=1, keepdims=True)
        p: Array = np.exp(z)
        out: Array = p / p.sum(axis=1, keepdims=True)
        return out

    def predict(self, texts: Sequence[str] | pl.Series) -> pl.DataFrame:
        """One row per text: event type, sub-event type, their probabilities, and detection.

        Columns: ``<event field>``, ``<event field>_score``, ``<sub field>``,
        ``<sub field>_score`` (probability of the sub-type given the event type), ``score`` (of
        the pair), ``event_probability`` (that the text reports an event at all) and
        ``reports_event`` (that probability at least one half). Category scores are
        probabilities given that the text reports an event.
        """
        texts = list(texts)
        if not texts:
            return _empty_prediction(self.hierarchy)
        p = self.leaf_probabilities(self.margins(texts))
        classes = list(self.classes)
        event_probability: Array = np.ones(len(texts))
        if NO_EVENT in classes:
            i = classes.index(NO_EVENT)
            event_probability = 1.0 - p[:, i]
            p = np.delete(p, i, axis=1)
            classes.pop(i)
            p = p / np.maximum(p.sum(axis=1, keepdims=True), 1e-300)
        h = self.hierarchy
        if h.sub_field is None:
            best = p.argmax(axis=1)
            labels = np.array(classes, dtype=object)[best]
            scores = p[np.arange(len(texts)), best]
            out = {h.event_field: labels, f"{h.event_field}_score": scores, "score": scores}
        else:
            parents = sorted({h.parent[c] for c in classes})
            member = np.array(
                [[h.parent[c] == e for c in classes] for e in parents], dtype=np.float64
            )  # event types x leaves
            event_p = p @ member.T
            best_event = event_p.argmax(axis=1)
            within = p * member[best_event]  # leaves of other event types get 0
            best_leaf = within.argmax(axis=1)
            rows = np.arange(len(texts))
            ev_score = event_p[rows, best_event]
            leaf_score = p[rows, best_leaf]
            out = {
                h.event_field: np.array(parents, dtype=object)[best_event],
                f"{h.event_field}_score": ev_score,
                h.sub_field: np.array(classes, dtype=object)[best_leaf],
                f"{h.sub_field}_score": leaf_score / ev_score,
                "score": leaf_score,
            }
        frame = pl.DataFrame(out)
        return frame.with_columns(
            pl.Series("event_probability", event_probability, dtype=pl.Float64),
            pl.Series("reports_event", event_probability >= 0.5),
        )

    def check_codebook(self, cb: Codebook) -> None:
        """Raise :class:`ModelError` unless the model was trained for this codebook version."""
        if (cb.name, cb.version) != (self.codebook.get("name"), self.codebook.get("version")):
            raise ModelError(
                f"the model was trained for codebook {self.codebook.get('name')} "
                f"{self.codebook.get('version')}, not {cb.label}: train one for this codebook"
            )
        missing = [c for c in self.classes if c != NO_EVENT and c not in self._leaf_values(cb)]
        if missing:
            raise ModelError(
                f"the model predicts {missing[0]!r}, which codebook {cb.label} does not have: "
                "train one for this codebook"
            )

    def _leaf_values(self, cb: Codebook) -> set[str]:
        leaf = self.hierarchy.sub_field or self.hierarchy.event_field
        vocab = cb.vocabulary_of(leaf)
        return {str(v) for v in vocab.values} if vocab else set(self.classes)


def _empty_prediction(h: Hierarchy) -> pl.DataFrame:
    schema: dict[str, Any] = {h.event_field: pl.String, f"{h.event_field}_score": pl.Float64}
    if h.sub_field:
        schema.update({h.sub_field: pl.String, f"{h.sub_field}_score": pl.Float64})
    schema.update(
        {"score": pl.Float64, "event_probability": pl.Float64, "reports_event": pl.Boolean}
    )
    return pl.DataFrame(schema=schema)


def fit(
    texts: pl.Series,
    leaves: pl.Series,
    hierarchy: Hierarchy,
    codebook: dict[str, str],
    *,
    background: Sequence[str] = (),
    seed: int = 0,
    calibration_share: float = 0.1,
    alpha: float = 2e-5,
) -> TextModel:
    """A :class:`TextModel` fitted on ``texts`` labelled with leaf categories ``leaves``.

    ``background`` texts report no event and teach the ``(no event)`` class. A share of the rows
    (``calibration_share``; not of classes seen once) is held out to fit the temperature; the
    classifier is fitted on the rest.
    """
    if background:
        texts = pl.concat([texts.cast(pl.String), pl.Series(list(background), dtype=pl.String)])
        leaves = pl.concat(
            [leaves.cast(pl.String), pl.Series([NO_EVENT] * len(background), dtype=pl.String)]
        )
    n = texts.len()
    rng = np.random.default_rng(seed)
    order = rng.permutation(n)
    held = np.zeros(n, dtype=bool)
    held[order[: int(round(n * calibration_share))]] = True
    labels = leaves.to_numpy()
    # A class seen once is kept for fitting: it cannot be learnt from nothing.
    singles = pl.Series(labels).is_in(
        pl.Series(labels).value_counts().filter(pl.col("count") == 1).to_series()
    )
    held &= ~singles.to_numpy()
    x = counts(normalise_text(texts).to_list())
    df = np.asarray((x[~held] > 0).sum(axis=0)).ravel()
    columns = np.flatnonzero(df).astype(np.int64)
    train_n = int((~held).sum())
    idf = (np.log((1 + train_n) / (1 + df[columns])) + 1).astype(np.float32)
    xt = _tfidf(x[:, columns], idf)
    classes = tuple(sorted(set(labels[~held].tolist())))
    if len(classes) < 2:
        raise ModelError(
            f"the training rows hold only {len(classes)} category: a model needs two or more"
        )
    # A linear SVM fitted by stochastic gradient descent: liblinear's exact solver takes minutes
    # on notes whose labels overlap (close sub-event types), for the same held-out accuracy.
    # Small tables get more passes over their rows, large ones at least five.
    epochs = int(min(50, max(5, 200_000 // max(train_n, 1))))
    # Classes weigh alike whatever their size: the background sentences outnumber a small
    # table's rows of any one category, and a rare sub-event type is still a category.
    svm = SGDClassifier(
        loss="hinge",
        alpha=alpha,
        max_iter=epochs,
        tol=None,
        random_state=seed,
        class_weight="balanced",
    )
    svm.fit(xt[~held], labels[~held])
    coef = svm.coef_.astype(np.float32)
    intercept = svm.intercept_.astype(np.float32)
    if len(classes) == 2:  # sklearn keeps one row for two classes; the model wants one per class
        coef = np.vstack([-coef[0], coef[0]])
        intercept = np.array([-intercept[0], intercept[0]], dtype=np.float32)
    model = TextModel(
        hierarchy=hierarchy,
        classes=tuple(str(k) for k in svm.classes_),
        columns=columns,
        idf=idf,
        coef=coef,
        intercept=intercept,
        temperature=1.0,
        codebook=codebook,
    )
    if held.sum() >= MIN_CALIBRATION_ROWS:
        margins = np.asarray(xt[held] @ coef.T) + intercept
        truth = np.searchsorted(np.array(model.classes), labels[held])
        known = np.isin(labels[held], model.classes)
        model.temperature = _fit_temperature(margins[known], truth[known])
    else:
        # A fixed temperature as sharp as fitted ones usually are: at 1 the softmax of margins
        # (mostly within -1..1) is so flat that summing leaves favours types with many leaves.
        model.temperature = UNCALIBRATED_TEMPERATURE
        model.summary["notes"] = [
            f"uncalibrated: {int(held.sum())} held-out rows, fewer than {MIN_CALIBRATION_ROWS}; "
            f"scores are a softmax of the margins at temperature {UNCALIBRATED_TEMPERATURE}"
        ]
    model.summary.update(
        rows=int(n - len(background)),
        background=len(background),
        fitted_on=train_n,
        calibrated_on=int(held.sum()),
        classes=len(model.classes),
    )
    return model


def _fit_temperature(margins: Array, truth: Array) -> float:
    """The softmax temperature minimising the negative log-likelihood of the held-out labels."""

    def nll(log_t: float) -> float:
        z = margins / np.exp(log_t)
        z = z - z.max(axis=1, keepdims=True)
        log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        return float(-log_p[np.arange(len(truth)), truth].mean())

    result = minimize_scalar(nll, bounds=(-5.0, 3.0), method="bounded")
    return float(np.exp(result.x))
