"""Label Studio projects from the codebook: the labeling config, and exports turned into tables."""

from eventcoder.annotate.config import (
    check_config,
    coder_layout_markdown,
    labeling_config,
    parse_controls,
)
from eventcoder.annotate.convert import (
    Conversion,
    export_to_annotations,
    read_export,
    write_conversion,
)

__all__ = [
    "Conversion",
    "check_config",
    "coder_layout_markdown",
    "export_to_annotations",
    "labeling_config",
    "parse_controls",
    "read_export",
    "write_conversion",
]
