"""The coding scheme: the codebook as data, the rules it names, and what is rendered from it.

The names that need pandera (validation, the pandera schemas, the reference lists, which are
validated) are loaded on first use (PEP 562): importing pandera takes a third of a second, and
``eventcoder --help`` or ``eventcoder convert`` (which imports it beside its reading, see
:func:`eventcoder.annotate.convert.read_export`) should not wait for it.
"""

import typing as _typing

from eventcoder.lazy import lazy_names as _lazy_names
from eventcoder.schema.codebook import Codebook, Field, Rule, Term, Vocabulary, load_codebook
from eventcoder.schema.dates import DateFormatError
from eventcoder.schema.docs import codebook_markdown
from eventcoder.schema.reading import TableFile, open_table
from eventcoder.schema.tables import arrow_schema, table_columns

if _typing.TYPE_CHECKING:
    from eventcoder.schema.pandera_schemas import annotations_schema, events_schema
    from eventcoder.schema.references import (
        ReferenceLists,
        build_references,
        build_references_from_files,
    )
    from eventcoder.schema.validation import ValidationResult, read_table, validate, validate_file

# name -> the module that defines it, imported by __getattr__ when the name is first asked for
_LAZY = {
    "annotations_schema": "pandera_schemas",
    "events_schema": "pandera_schemas",
    "ReferenceLists": "references",
    "build_references": "references",
    "build_references_from_files": "references",
    "ValidationResult": "validation",
    "read_table": "validation",
    "validate": "validation",
    "validate_file": "validation",
}


__getattr__, __dir__ = _lazy_names(__name__, _LAZY, globals())

__all__ = [
    "Codebook",
    "DateFormatError",
    "Field",
    "ReferenceLists",
    "Rule",
    "TableFile",
    "Term",
    "ValidationResult",
    "Vocabulary",
    "annotations_schema",
    "arrow_schema",
    "build_references",
    "build_references_from_files",
    "codebook_markdown",
    "events_schema",
    "load_codebook",
    "open_table",
    "read_table",
    "table_columns",
    "validate",
    "validate_file",
]
