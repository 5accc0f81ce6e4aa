"""Training and evaluating the text model on validated ACLED-style tables.

Each table is validated against the codebook (without its reference lists, as for building
them): only accepted rows teach or test the model, and rejected rows are counted per table.

The text of a row is its evidence span when the table has one: the ``evidence`` column of
``eventcoder convert``'s annotations table, or, for gold events (``article_id``, ``span_start``,
``span_end``), the span cut from the articles given. Otherwise it is the row's notes (the
codebook's ``evidence_field``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from eventcoder.errors import InputError, ModelError
from eventcoder.model.textmodel import Hierarchy, TextModel, fit
from eventcoder.schema.codebook import Codebook
from eventcoder.schema.references import TableUse, without_references
from eventcoder.schema.validation import validate_file

TEXT = "text"
COUNTRY = "country"  # kept beside the examples, to score a model per country
EVIDENCE = "evidence"


def text_field(cb: Codebook) -> str:
    """The field whose text describes an event: ``settings.evidence_field``, else ``notes``."""
    return str(cb.settings.get("evidence_field") or "notes")


def examples(
    frame: pl.DataFrame, cb: Codebook, articles: Mapping[str, str] | None = None
) -> pl.DataFrame:
    """``text`` and the hierarchy's fields of each row with a text and an event type.

    ``articles`` (article id -> text) give gold events their evidence span's text.
    """
    h = Hierarchy.of(cb)
    notes = text_field(cb)
    spans = {"article_id", "span_start", "span_end"}
    if articles and spans <= set(frame.columns) and EVIDENCE not in frame.columns:
        texts = pl.DataFrame(
            {"article_id": list(articles), "_article": list(articles.values())},
            schema={"article_id": pl.String, "_article": pl.String},
        )
        start, end = pl.col("span_start").cast(pl.Int64), pl.col("span_end").cast(pl.Int64)
        frame = (
            frame.with_columns(pl.col("article_id").cast(pl.String))
            .join(texts, on="article_id", how="left", maintain_order="left")
            .with_columns(pl.col("_article").str.slice(start, end - start).alias(EVIDENCE))
            .drop("_article")
        )
    sources = [pl.col(c).cast(pl.String) for c in (EVIDENCE, notes) if c in frame.columns]
    if not sources:
        raise InputError(f"the table has neither {EVIDENCE!r} nor {notes!r}: no text to learn from")
    text = pl.coalesce([pl.when(s.str.strip_chars() != "").then(s) for s in sources])
    country = cb.role("country")
    out = frame.select(
        text.alias(TEXT),
        *(pl.col(f).cast(pl.String) for f in h.fields if f in frame.columns),
        *([pl.col(country).cast(pl.String).alias(COUNTRY)] if country in frame.columns else []),
    )
    for f in h.fields:
        if f not in out.columns:
            raise InputError(f"the table has no {f!r} column: nothing to learn")
    return out.drop_nulls([TEXT, *h.fields])


def read_examples(
    paths: Sequence[str | Path],
    cb: Codebook,
    on_progress: Callable[[str], None] | None = None,
    articles: Mapping[str, str] | None = None,
) -> tuple[pl.DataFrame, list[TableUse]]:
    """Validated examples of every table, and how many rows of each were used.

    ``articles`` (id -> text) give gold events' evidence spans (see :func:`examples`).
    """
    if not paths:
        raise InputError("no tables given: name one or more ACLED-style tables")
    say = on_progress or (lambda _msg: None)
    plain = without_references(cb)
    parts, uses = [], []
    for path in paths:
        say(f"validating {path}")
        result = validate_file(path, plain)
        ex = examples(result.accepted, cb, articles)
        parts.append(ex)
        uses.append(TableUse(str(path), result.total, ex.height, result.rejected.height))
    return pl.concat(parts), uses


def background_sentences(path: str | Path | None = None) -> list[str]:
    """Sentences that report no event: the bundled set, and those in ``path`` (one a line)."""
    bundled = resources.files("eventcoder.model").joinpath("background.txt").read_text("utf-8")
    texts = [bundled]
    if path is not None:
        try:
            texts.append(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as err:
            raise InputError(f"{path}: cannot read background sentences ({err})") from None
    lines = (line.strip() for text in texts for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def train(
    frame: pl.DataFrame,
    cb: Codebook,
    *,
    seed: int = 0,
    uses: Sequence[TableUse] = (),
    background: Sequence[str] | None = None,
) -> TextModel:
    """A model trained on examples (:func:`examples`) for codebook ``cb``.

    ``background`` are sentences that report no event (default: :func:`background_sentences`).
    """
    h = Hierarchy.of(cb)
    leaf = h.sub_field or h.event_field
    if frame.height == 0:
        raise ModelError("no training rows: every row was rejected or had no text")
    background = background_sentences() if background is None else background
    model = fit(
        frame[TEXT],
        frame[leaf],
        h,
        {"name": cb.name, "version": cb.version},
        background=background,
        seed=seed,
    )
    model.summary.update(
        tables=[u.__dict__ for u in uses],
        per_class=dict(frame[leaf].value_counts(sort=True).iter_rows()),
    )
    return model


@dataclass(frozen=True)
class FieldScore:
    """Accuracy, macro-F1 and the confusion table of one predicted field."""

    accuracy: float
    macro_f1: float
    confusion: pl.DataFrame  # truth, predicted, count


@dataclass(frozen=True)
class Evaluation:
    """A model's scores on labelled rows, per field, with its calibration and detection."""

    rows: int
    fields: dict[str, FieldScore]
    calibration_error: float  # expected calibration error of the pair's score, 10 bins
    detected: float  # share of rows the model takes to report an event
    # Accuracy per field in each country, where the examples carry one (cross-country checks).
    countries: dict[str, dict[str, float]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """``{"<field>": {"accuracy", "macro_f1"}, ..., "rows", "calibration_error", ...}``."""
        out: dict[str, Any] = {
            name: {"accuracy": s.accuracy, "macro_f1": s.macro_f1}
            for name, s in self.fields.items()
        }
        out.update(rows=self.rows, calibration_error=self.calibration_error, detected=self.detected)
        if self.countries:
            out["countries"] = self.countries
        return out


def evaluate(model: TextModel, frame: pl.DataFrame) -> Evaluation:
    """Score ``model`` on examples (:func:`examples`): accuracy and macro-F1 per field."""
    from sklearn.metrics import f1_score

    pred = model.predict(frame[TEXT])
    scores: dict[str, FieldScore] = {}
    for f in model.hierarchy.fields:
        truth = frame[f].to_numpy()
        guess = pred[f].to_numpy()
        labels = sorted(set(truth.tolist()) | set(guess.tolist()))
        confusion = (
            pl.DataFrame(
                {"truth": truth, "predicted": guess},
                schema=[("truth", pl.String), ("predicted", pl.String)],
            )
            .group_by("truth", "predicted")
            .len("count")
            .sort("truth", "predicted")
        )
        scores[f] = FieldScore(
            accuracy=float((truth == guess).mean()) if len(truth) else 0.0,
            macro_f1=float(f1_score(truth, guess, labels=labels, average="macro", zero_division=0))
            if len(truth)
            else 0.0,
            confusion=confusion,
        )
    leaf = model.hierarchy.sub_field or model.hierarchy.event_field
    correct = (pred[leaf].to_numpy() == frame[leaf].to_numpy()).astype(float)
    countries: dict[str, dict[str, float]] = {}
    if COUNTRY in frame.columns:
        right = pl.DataFrame(
            {
                COUNTRY: frame[COUNTRY],
                **{f: (pred[f] == frame[f]).cast(pl.Float64) for f in model.hierarchy.fields},
            }
        )
        by_country = right.group_by(COUNTRY).agg(
            pl.len().alias("rows"), *(pl.col(f).mean() for f in model.hierarchy.fields)
        )
        for row in by_country.sort(COUNTRY, nulls_last=True).iter_rows(named=True):
            name = str(row.pop(COUNTRY))
            countries[name] = {k: float(v) for k, v in row.items()}
    return Evaluation(
        rows=frame.height,
        fields=scores,
        calibration_error=_ece(pred["score"].to_numpy(), correct),
        detected=int(pred["reports_event"].sum()) / frame.height if frame.height else 0.0,
        countries=countries,
    )


def _ece(score: npt.NDArray[Any], correct: npt.NDArray[Any], bins: int = 10) -> float:
    """Expected calibration error: the mean gap between score and accuracy, over score bins."""
    if score.size == 0:
        return 0.0
    which = np.minimum((score * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        inside = which == b
        if inside.any():
            total += inside.sum() * abs(score[inside].mean() - correct[inside].mean())
    return float(total / score.size)
