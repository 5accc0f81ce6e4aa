"""The coding scheme: the codebook as data, the rules it names, and what is rendered from it."""

from eventcoder.schema.codebook import Codebook, Field, Rule, Term, Vocabulary, load_codebook
from eventcoder.schema.dates import DateFormatError
from eventcoder.schema.docs import codebook_markdown
from eventcoder.schema.reading import TableFile, open_table
from eventcoder.schema.tables import (
    annotations_schema,
    arrow_schema,
    events_schema,
    table_columns,
)
from eventcoder.schema.validate import ValidationResult, read_table, validate, validate_file

# isort: split
# After tables: pandera is first imported there, where pyspark's import warning is silenced.
from eventcoder.schema.references import (
    ReferenceLists,
    build_references,
    build_references_from_files,
)

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
