"""eventcoder: turn news reports into ACLED-style conflict event data with Label Studio.

The library is the public API; the ``eventcoder`` command is a thin layer over it. The pipeline's
stages are subpackages: :mod:`eventcoder.schema` (the codebook and what is rendered from it),
:mod:`eventcoder.annotate` (Label Studio: config, projects, exports to tables) and
:mod:`eventcoder.datasets` (alignment, agreement, adjudication, releases).
"""

import typing as _typing
from importlib import metadata as _metadata

from eventcoder.errors import (
    CodebookError,
    EventcoderError,
    ExportFormatError,
    InputError,
    ReleaseError,
    ReleaseExistsError,
    ServerError,
)
from eventcoder.lazy import lazy_names as _lazy_names
from eventcoder.schema import Codebook, load_codebook

if _typing.TYPE_CHECKING:
    from eventcoder.schema.validation import validate

try:
    __version__ = _metadata.version("eventcoder")
except _metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"


# validate needs pandera, which ``--help`` and a command's start should not wait for
__getattr__, __dir__ = _lazy_names(__name__, {"validate": "schema.validation"}, globals())


__all__ = [
    "Codebook",
    "CodebookError",
    "EventcoderError",
    "ExportFormatError",
    "InputError",
    "ReleaseError",
    "ReleaseExistsError",
    "ServerError",
    "__version__",
    "load_codebook",
    "validate",
]
