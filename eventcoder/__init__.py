"""eventcoder: turn news reports into ACLED-style conflict event data with Label Studio.

The library is the public API; the ``eventcoder`` command is a thin layer over it. The pipeline's
stages are subpackages: :mod:`eventcoder.schema` (the codebook and what is rendered from it),
:mod:`eventcoder.annotate` (Label Studio: config, projects, exports to tables) and
:mod:`eventcoder.datasets` (alignment, agreement, adjudication, releases).
"""

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
from eventcoder.schema import Codebook, load_codebook, validate

try:
    __version__ = _metadata.version("eventcoder")
except _metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

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
