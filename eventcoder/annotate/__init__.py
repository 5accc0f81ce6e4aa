"""Label Studio projects from the codebook: the labeling config, and exports turned into tables."""

from eventcoder.annotate.config import (
    check_config,
    coder_layout_markdown,
    labeling_config,
    parse_controls,
)

__all__ = [
    "check_config",
    "coder_layout_markdown",
    "labeling_config",
    "parse_controls",
]
