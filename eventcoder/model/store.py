"""Model files: a zip of one JSON header and plain numeric arrays. Loading runs no code.

Why not pickle (or joblib, which is pickle): loading a pickle runs whatever code the file names,
so a model file passed around a team would be a program. A checksum beside it only proves the
file is the one someone wrote, not that it is harmless. skops restricts what a pickle may build,
but adds a dependency to hold what is here only numbers and names. This format holds:

- ``model.json``: format name and version, the codebook's name and version, the hierarchy, the
  classes, the temperature, the training summary and the SHA-256 of each
  array file;
- ``columns.npy``, ``idf.npy``, ``coef.npy``, ``intercept.npy``: read with
  ``numpy.load(allow_pickle=False)``, which refuses object arrays.

A file whose arrays do not match their checksums, whose format is unknown or whose codebook is
another is refused with :class:`~eventcoder.errors.ModelError`.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from eventcoder.errors import ModelError
from eventcoder.files import atomic_path, sha256
from eventcoder.model.textmodel import FEATURES, Hierarchy, TextModel
from eventcoder.schema.codebook import Codebook

FORMAT = "eventcoder-text-model"
FORMAT_VERSION = 1
# Far above what a model holds (its coefficients: categories x features seen, float32).
MAX_ARRAY_BYTES = 1 << 30
MAX_HEADER_BYTES = 16 << 20
_ARRAYS = {"columns": np.int64, "idf": np.float32, "coef": np.float32, "intercept": np.float32}


def save_model(model: TextModel, path: str | Path) -> Path:
    """Write ``model`` to ``path`` (written beside it, then renamed); return the path."""
    path = Path(path)
    blobs: dict[str, bytes] = {}
    for name, dtype in _ARRAYS.items():
        buf = io.BytesIO()
        np.save(buf, np.ascontiguousarray(getattr(model, name), dtype=dtype), allow_pickle=False)
        blobs[f"{name}.npy"] = buf.getvalue()
    h = model.hierarchy
    header = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "codebook": dict(model.codebook),
        "hierarchy": {
            "event_field": h.event_field,
            "sub_field": h.sub_field,
            "parent": h.parent,
            "event_types": list(h.event_types),
        },
        "classes": list(model.classes),
        "temperature": model.temperature,
        "summary": model.summary,
        "sha256": {name: hashlib.sha256(blob).hexdigest() for name, blob in blobs.items()},
    }
    with atomic_path(path) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("model.json", json.dumps(header, indent=1, default=_plain))
        for name, blob in blobs.items():
            zf.writestr(name, blob)
    return path


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(type(value).__name__)


def read_header(path: str | Path) -> dict[str, Any]:
    """The JSON header of a model file (codebook, classes, training summary)."""
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as zf:
            if zf.getinfo("model.json").file_size > MAX_HEADER_BYTES:
                raise ModelError(f"{path}: model.json is too large for a model header")
            header = json.loads(zf.read("model.json"))
    except FileNotFoundError:
        raise ModelError(f"{path}: no such model file", path=str(path)) from None
    except (zipfile.BadZipFile, KeyError, json.JSONDecodeError, OSError) as err:
        raise ModelError(
            f"{path}: not an eventcoder model file ({err}); train one with eventcoder model train",
            path=str(path),
        ) from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ModelError(f"{path}: not an eventcoder model file", path=str(path))
    if header.get("format_version") != FORMAT_VERSION:
        raise ModelError(
            f"{path}: model format version {header.get('format_version')} is not "
            f"{FORMAT_VERSION}: train the model again with this eventcoder",
            path=str(path),
        )
    return header


def load_model(path: str | Path, cb: Codebook | None = None) -> TextModel:
    """The model in ``path``; with ``cb``, refused unless trained for that codebook version."""
    path = Path(path)
    header = read_header(path)
    arrays: dict[str, npt.NDArray[Any]] = {}
    try:
        with zipfile.ZipFile(path) as zf:
            for name, dtype in _ARRAYS.items():
                # A small file must not unpack into gigabytes (a zip bomb): sizes are checked
                # before anything is read.
                if zf.getinfo(f"{name}.npy").file_size > MAX_ARRAY_BYTES:
                    raise ModelError(
                        f"{path}: {name}.npy unpacks to more than {MAX_ARRAY_BYTES >> 20} MB: "
                        "not a model eventcoder wrote",
                        path=str(path),
                    )
                blob = zf.read(f"{name}.npy")
                if hashlib.sha256(blob).hexdigest() != header["sha256"].get(f"{name}.npy"):
                    raise ModelError(
                        f"{path}: {name}.npy does not match its checksum: the file is damaged",
                        path=str(path),
                    )
                array = np.load(io.BytesIO(blob), allow_pickle=False)
                if array.dtype != dtype:
                    raise ModelError(f"{path}: {name}.npy is {array.dtype}, not {np.dtype(dtype)}")
                arrays[name] = array
        h = header["hierarchy"]
        model = TextModel(
            hierarchy=Hierarchy(
                event_field=str(h["event_field"]),
                sub_field=h["sub_field"],
                parent={str(k): str(v) for k, v in h["parent"].items()},
                event_types=tuple(h["event_types"]),
            ),
            classes=tuple(str(c) for c in header["classes"]),
            temperature=float(header["temperature"]),
            codebook={str(k): str(v) for k, v in header["codebook"].items()},
            summary=dict(header.get("summary") or {}),
            **arrays,
        )
    except ModelError:
        raise
    # A header of the right format whose entries have the wrong JSON shapes (a list where
    # a mapping belongs) is damaged too, not a crash.
    except (AttributeError, KeyError, TypeError, ValueError, zipfile.BadZipFile, OSError) as err:
        raise ModelError(f"{path}: damaged model file ({err})", path=str(path)) from None
    n = len(model.classes)
    width = model.columns.size
    if (
        model.coef.shape != (n, width)
        or model.intercept.shape != (n,)
        or model.idf.shape != (width,)
        or (width and not 0 <= model.columns.min() <= model.columns.max() < FEATURES)
    ):
        raise ModelError(f"{path}: the arrays do not fit the classes: the file is damaged")
    if cb is not None:
        model.check_codebook(cb)
    return model


def model_version(path: str | Path) -> str:
    """The label a model's predictions carry in Label Studio: file stem and content hash.

    A model trained again into the same file gets a new label, so its predictions never pass
    for the earlier model's.
    """
    path = Path(path)
    try:
        digest = sha256(path)
    except OSError as err:
        raise ModelError(f"{path}: cannot read it ({err.strerror})", path=str(path)) from None
    return f"{path.stem}-{digest[:12]}"
