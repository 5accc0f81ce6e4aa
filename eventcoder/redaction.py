"""Keeping secrets out of every message eventcoder shows, whatever a server sends back.

A server may repeat what it was sent (a proxy's error page quoting the request, a debugging
server echoing ``Authorization: Token ...``). Rather than trust each place that builds a message
to leave the key out, every :class:`~eventcoder.settings.Secret` made in this process is
remembered here, and :func:`redact` replaces it, in the spellings a server might echo it in
(as sent, percent-encoded, JSON- or HTML-escaped, in any letter case), with ``***``. Credentials
that eventcoder never held (the short-lived access token the SDK gets for a personal access
token) are caught by their shape: the word after ``Token`` or ``Bearer``, and anything shaped
like a JWT. ``EventcoderError`` passes its message through :func:`redact`, so no error can carry
a key to the screen.
"""

from __future__ import annotations

import html
import json
import re
import threading
from urllib.parse import quote

__all__ = ["MASK", "redact", "remember"]

MASK = "***"
# Shorter values are not credentials (Label Studio keys are 40 characters or a long JWT); masking
# every "ab" in a message would make it unreadable without protecting anything.
MIN_LENGTH = 4

_lock = threading.Lock()
_secrets: set[str] = set()
_pattern: re.Pattern[str] | None = None

# The value after an HTTP auth scheme, in a header as a server might quote it back.
# A value needs a digit, so that prose ("Basic authentication failed") is left alone.
_VALUE = r"(?=[A-Za-z0-9._~+/=-]*[0-9])[A-Za-z0-9._~+/=-]{12,}"
_SCHEME = re.compile(rf"(?i)\b(token|bearer|basic)(\s+|%20|\+){_VALUE}")
_HEADER = re.compile(
    r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?)(?!(?:token|bearer|basic)\b)([^\s\"',;}<>]+)"
)
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")


def remember(value: str) -> None:
    """Remember ``value`` as a secret: from now on :func:`redact` hides it."""
    global _pattern
    if len(value) < MIN_LENGTH:
        return
    with _lock:
        if value not in _secrets:
            _secrets.add(value)
            _pattern = None


def redact(text: str) -> str:
    """Return ``text`` with every remembered secret and every credential-shaped token as ``***``."""
    pattern = _compiled()
    if pattern is not None:
        text = pattern.sub(MASK, text)
    text = _SCHEME.sub(lambda m: f"{m[1]}{m[2]}{MASK}", text)
    text = _HEADER.sub(lambda m: f"{m[1]}{MASK}", text)
    return _JWT.sub(MASK, text)


def _compiled() -> re.Pattern[str] | None:
    global _pattern
    with _lock:
        if _pattern is None and _secrets:
            spellings = {s for value in _secrets for s in _spellings(value)}
            # Longest first, so a secret that contains another is masked whole.
            alternatives = sorted(spellings, key=len, reverse=True)
            _pattern = re.compile("|".join(map(re.escape, alternatives)), re.IGNORECASE)
        return _pattern


def _spellings(value: str) -> set[str]:
    """The forms ``value`` may come back in: as sent, percent-encoded, JSON and HTML escaped."""
    return {
        value,
        quote(value, safe=""),
        json.dumps(value, ensure_ascii=True)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
        html.escape(value),
    }
