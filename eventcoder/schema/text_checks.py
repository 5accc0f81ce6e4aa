"""Text a codebook may not hold, and how its terms are compared and shown.

A codebook's names and terms become column values, control names and printed lines: control
characters act rather than show, invisible characters make a term that looks like another, and
two spellings of one word (case, composed or not) would be two terms for the same thing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from typing import Any

# Characters no codebook text needs, that act rather than show wherever the text is printed:
# C0 and C1 controls but tab and line feed (ESC starts a terminal's escape sequences), and the
# bidirectional overrides and isolates that reorder the text around them on screen; and lone
# surrogates ("\ud800" in YAML), which are no text at all and cannot be written as UTF-8.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def control_characters(raw: Any, entry: str = "") -> Iterator[tuple[str, str]]:
    """Yield ``(entry, character)`` for every key or text in ``raw`` holding a control character."""
    if isinstance(raw, str):
        found = _CONTROL.search(raw)
        if found:
            yield entry or "file", found[0]
    elif isinstance(raw, dict):
        for key, value in raw.items():
            shown = repr(key) if isinstance(key, str) and _CONTROL.search(key) else str(key)
            where = f"{entry}.{shown}" if entry else shown
            yield from control_characters(key, where)
            yield from control_characters(value, where)
    elif isinstance(raw, list):
        for i, value in enumerate(raw):
            yield from control_characters(value, f"{entry}[{i}]")


def hidden_characters(text: str) -> str:
    """Why ``text`` cannot be a term as it looks (empty when it can).

    Values are trimmed when tables are read, so a term with a space around it matches nothing;
    a zero-width space, a no-break space or a control character makes a term that looks like
    another and never matches what a coder types.
    """
    if text != text.strip():
        return "has spaces around it (values are trimmed when read, so it would match nothing)"
    for char in text:
        category = unicodedata.category(char)
        if category in ("Cc", "Cf", "Zl", "Zp") or (category == "Zs" and char != " "):
            name = unicodedata.name(char, "a control character")
            return f"holds an invisible or unusual character U+{ord(char):04X} ({name})"
    return ""


def folded(text: str) -> str:
    """``text`` as people see it: Unicode compatibility form (é composed or not), any case."""
    return unicodedata.normalize("NFKC", text).casefold()


def shown(text: str) -> str:
    """``text`` quoted; with escapes when it is not in composed form (``'Cafe\\u0301'``)."""
    return repr(text) if unicodedata.is_normalized("NFC", text) else ascii(text)
