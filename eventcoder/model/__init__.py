"""A text model of event categories, trained on a team's own tables (imports ``schema`` only).

``train`` learns event type and sub-event type from notes or evidence spans within the
codebook's hierarchy; ``evaluate`` scores it; ``save_model``/``load_model`` keep it in a file
that holds numbers and names only (see :mod:`eventcoder.model.store`).
"""

from eventcoder.model.store import load_model, model_version, read_header, save_model
from eventcoder.model.textmodel import Hierarchy, TextModel
from eventcoder.model.training import (
    Evaluation,
    FieldScore,
    evaluate,
    examples,
    read_examples,
    train,
)

__all__ = [
    "Evaluation",
    "FieldScore",
    "Hierarchy",
    "TextModel",
    "evaluate",
    "examples",
    "load_model",
    "model_version",
    "read_examples",
    "read_header",
    "save_model",
    "train",
]
