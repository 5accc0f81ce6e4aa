"""The demo's bundled material: sample articles and a Label Studio export of them by three coders.

``articles.jsonl`` holds eight short reports in the style of the news coders work from
(north-west Syria, June 2020: air strikes, shelling, clashes, protests, a new military post, a
car bomb, an article with no codable event). The reports are written for eventcoder; the places
and actors are those of the bundled gazetteer and actor list.

``export.json`` is a snapshot export (full user objects, skipped annotations included) recorded
from a real Label Studio 1.23.2 server by ``tests/annotate/record_demo.py``: a project created
from the default codebook, the articles imported, and three coders who each posted their own
annotations with their own token. It holds real disagreements (a location, a sub-event type, a
fatality count), an event only one coder found, a skipped task and three invalid annotations (a
missing required field, a sub-event type under the wrong event type, a missing date). It holds no
token or password.

:func:`eventcoder.pipeline.run_demo` runs the whole pipeline on them.
"""

from __future__ import annotations

from importlib.resources import files
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # importlib.abc.Traversable moved to importlib.resources.abc in 3.11
    from importlib.abc import Traversable

__all__ = ["ARTICLES", "DATASET", "EXPORT", "VERSION", "material"]

ARTICLES = "articles.jsonl"
EXPORT = "export.json"
DATASET = "idlib-demo"  # the name the demo publishes under
VERSION = "1.0.0"


def material(name: str) -> Traversable:
    """Return the bundled file ``name`` (``ARTICLES`` or ``EXPORT``) as a package resource."""
    if name not in (ARTICLES, EXPORT):
        raise ValueError(f"no demo file {name!r}; use {ARTICLES!r} or {EXPORT!r}")
    return files(__name__) / name
