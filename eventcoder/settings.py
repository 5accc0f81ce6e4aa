"""Where eventcoder finds its Label Studio server: read at call time, in this one place.

Precedence is flags > environment (``LABEL_STUDIO_URL``, ``LABEL_STUDIO_API_KEY``, the names the
SDK uses) > nothing. Nothing is read at import time or in a default argument, so a test or a
notebook that changes the environment is seen by the next call.
"""

from __future__ import annotations

import hmac
import os
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from eventcoder.errors import ServerError
from eventcoder.redaction import remember

URL_ENV = "LABEL_STUDIO_URL"
API_KEY_ENV = "LABEL_STUDIO_API_KEY"
URL_FLAG = "--url"
# Legacy tokens are hex, personal access tokens JWTs: printable ASCII without spaces, always.
_KEY = re.compile(r"[\x21-\x7e]+")
API_KEY_FLAG = "--api-key"


class Secret:
    """A string that never prints: ``repr``, ``str`` and f-strings show ``***``.

    Call ``reveal()`` at the one place the value must be sent. Every value is remembered by
    :mod:`eventcoder.redaction`, so no error message can show it, whoever wrote the message.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value
        remember(value)

    def reveal(self) -> str:
        """Return the secret value itself."""
        return self._value

    def __repr__(self) -> str:
        return "***"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return "***"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)


@dataclass(frozen=True)
class ServerSettings:
    """A Label Studio server: its base URL (no trailing slash) and an API key.

    The key is a legacy token (40 hex characters) or a personal access token (a JWT refresh
    token); the SDK tells them apart.
    """

    url: str
    api_key: Secret


def server_settings(url: str | None = None, api_key: str | None = None) -> ServerSettings:
    """Return the server settings from the flags given, else from the environment.

    An empty flag counts as not given. Raises ``ServerError`` naming the flag and the variable
    to set when either value is missing, or when the URL is not an http(s) URL.
    """
    url = (url or os.environ.get(URL_ENV) or "").strip()
    key = (api_key or os.environ.get(API_KEY_ENV) or "").strip()
    if not url:
        raise ServerError(f"No Label Studio URL: pass {URL_FLAG} or set {URL_ENV}.")
    if not key:
        raise ServerError(
            f"No Label Studio API key: pass {API_KEY_FLAG} or set {API_KEY_ENV} "
            "(Label Studio: Account & Settings > Access Token)."
        )
    if not _KEY.fullmatch(key):
        # Sent as a header, such a key fails deep in httpx (non-ASCII) or splits the header.
        raise ServerError(
            f"The Label Studio API key ({API_KEY_FLAG} or {API_KEY_ENV}) holds spaces, line "
            "breaks or characters outside ASCII, which no key has: copy it again "
            "(Account & Settings > Access Token)."
        )
    return ServerSettings(url=_checked_url(url), api_key=Secret(key))


def _checked_url(url: str) -> str:
    """Return ``url`` without a trailing slash; ``ServerError`` unless it is a usable http(s) URL.

    ``http://[::1`` or ``http://host:99999`` would otherwise fail deep inside httpx.
    """
    import httpx  # here: a command that never talks to a server need not import it

    fix = f"fix {URL_FLAG} or {URL_ENV}"
    if not url.lower().startswith(("http://", "https://")):
        raise ServerError(
            f"Label Studio URL {url!r} does not start with http:// or https://: {fix}."
        )
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port out of range or not a number
        httpx.URL(url)
    except (ValueError, httpx.InvalidURL) as err:
        reason = str(err).splitlines()[0] if str(err) else "malformed"
        raise ServerError(
            f"Label Studio URL {url!r} is not a valid URL ({reason}): {fix}."
        ) from None
    if not parts.hostname:
        raise ServerError(f"Label Studio URL {url!r} names no host: {fix}.")
    if parts.username or parts.password:
        raise ServerError(
            f"Label Studio URL {url[: url.find('//') + 2]}...@{parts.hostname} holds a user name "
            f"or password: leave them out and pass the key with {API_KEY_FLAG} or {API_KEY_ENV}."
        )
    return url.rstrip("/")
