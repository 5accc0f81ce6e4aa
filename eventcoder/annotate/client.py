"""The one place that talks to Label Studio.

Everything else in eventcoder gets its SDK client from :func:`connect` (or :func:`connection`)
and makes each request through :func:`call`, which retries what is worth retrying and turns the
SDK's ``ApiError`` and httpx's errors into a one-line :class:`~eventcoder.errors.ServerError`.
The API key is held as a :class:`~eventcoder.settings.Secret` and revealed only to the SDK and
to the request headers built here; no message ever contains it, even when the server repeats it
back: what a server says is redacted (:func:`eventcoder.redaction.redact`) before it is cut to
length, so not even a prefix of the key survives.
"""

from __future__ import annotations

import html
import json
import re
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urljoin, urlsplit

import httpx
from label_studio_sdk import LabelStudio
from label_studio_sdk.core.api_error import ApiError

from eventcoder.errors import ServerError
from eventcoder.redaction import redact
from eventcoder.settings import API_KEY_ENV, API_KEY_FLAG, Secret, ServerSettings

T = TypeVar("T")

TIMEOUT = 60.0
RETRIES = 3
FIRST_DELAY = 0.25  # seconds; doubles each retry, so 3 retries wait 1.75 s in all
MAX_DELAY = 4.0


@dataclass(frozen=True)
class Coder:
    """A coder's Label Studio account: who it is and the credentials to act as it."""

    email: str
    user_id: int
    password: Secret
    token: Secret
    login_url: str


def connect(
    settings: ServerSettings, *, timeout: float = TIMEOUT, http: httpx.Client | None = None
) -> LabelStudio:
    """Return an SDK client for the server in ``settings``.

    A legacy token is sent as ``Authorization: Token ...``; a personal access token (a JWT
    refresh token) is recognised by the SDK, which exchanges it for short-lived access tokens
    on the first request. The SDK's own retries are off: :func:`call` does the retrying. Pass
    ``http`` to control the connection pool's lifetime (see :func:`connection`).
    """
    try:
        return LabelStudio(  # type: ignore[no-untyped-call]  # the SDK's __init__ is unannotated
            base_url=settings.url,
            api_key=settings.api_key.reveal(),
            timeout=timeout,
            max_retries=0,
            httpx_client=http,
        )
    except ApiError as err:  # the SDK rejects an expired or exp-less JWT before any request
        raise _api_error(settings.url, "reading the API key", err) from err


@contextmanager
def connection(settings: ServerSettings, *, timeout: float = TIMEOUT) -> Iterator[LabelStudio]:
    """Yield an SDK client whose connections are closed when the block ends."""
    with httpx.Client(timeout=timeout, follow_redirects=True) as http:
        yield connect(settings, timeout=timeout, http=http)


def call(
    fn: Callable[..., T],
    /,
    *args: Any,
    retries: int = RETRIES,
    what: str | None = None,
    **kwargs: Any,
) -> T:
    """Return ``fn(*args, **kwargs)``, retrying refused connections, timeouts and 5xx answers.

    Waits 0.25 s, 0.5 s, 1 s, ... (at most 4 s) between attempts, then raises ``ServerError``
    with the server's host, ``what`` failed (by default the SDK method's name) and the status.
    Other errors from the server (4xx) raise ``ServerError`` at once.

    Only the work done inside ``fn`` is covered: the SDK's pagers and downloads fetch lazily,
    so wrap their consumption, ``call(lambda: list(ls.tasks.list(project=1)), what="list")``.
    A retried POST that timed out may have reached the server: pass ``retries=0`` where
    repeating a request would do harm, or make the caller safe to re-run.
    """
    what = what or _name_of(fn)
    for attempt in range(retries + 1):
        try:
            return fn(*args, **kwargs)
        except ApiError as err:
            if not _retryable_status(err.status_code) or attempt == retries:
                raise _api_error(_base_url_of(fn), what, err, attempts=attempt + 1) from err
        except httpx.HTTPStatusError as err:
            if not _retryable_status(err.response.status_code) or attempt == retries:
                raise _status_error(err.response, what, attempts=attempt + 1) from err
        except httpx.RequestError as err:  # no answer, or none worth having (a redirect loop)
            if not _retryable_transport(err) or attempt == retries:
                raise _transport_error(err, _base_url_of(fn), what, attempts=attempt + 1) from err
        except (TypeError, AttributeError, KeyError, ValueError) as err:
            # The SDK reading an answer of the wrong shape (a list for a project, null for a
            # page): the server is not Label Studio, or not one this SDK knows.
            if not _raised_in_sdk(err):
                raise
            raise _shape_error(_base_url_of(fn), what, err) from err
        time.sleep(min(FIRST_DELAY * 2**attempt, MAX_DELAY))
    raise AssertionError("unreachable")  # pragma: no cover


def invite_link(settings: ServerSettings) -> str:
    """Return the organisation's sign-up link (absolute URL) from ``GET /api/invite``.

    Whoever opens it gets an account in the same organisation; with
    ``DISABLE_SIGNUP_WITHOUT_LINK=true`` on the server it is the only way to sign up.
    """
    with connection(settings) as ls:
        invite = call(ls.organizations.invites.get_invite_link, what="reading the invite link")
    return urljoin(settings.url + "/", str(invite.invite_url or "").lstrip("/"))


def create_coder(settings: ServerSettings, email: str, password: str | None = None) -> Coder:
    """Return a new coder account, signed up through the server's invite link.

    Label Studio Community ignores the password given to ``POST /api/users/``, so the account
    is made through the sign-up form instead: GET the form for its CSRF cookie, POST email and
    password (302 on success), then read the coder's own legacy token with that session. With
    no ``password``, a one-time password is generated (``secrets.token_urlsafe``); it is returned
    so it can be handed to the coder. Raises ``ServerError`` with the form's message when the
    server refuses (the email is taken or invalid, the password too short).
    """
    password = password or secrets.token_urlsafe(18)
    signup = invite_link(settings)
    with httpx.Client(base_url=settings.url, timeout=TIMEOUT) as http:
        form = _send(http, "GET", signup, what="opening the sign-up form")
        csrf = http.cookies.get("csrftoken")
        if form.status_code != 200 or not csrf:
            raise _status_error(form, "opening the sign-up form")
        answer = _send(
            http,
            "POST",
            signup,
            what=f"signing up {email}",
            retries=0,  # a repeated sign-up would fail as "email taken"
            data={"csrfmiddlewaretoken": csrf, "email": email, "password": password},
            headers={"Referer": signup},
        )
        if answer.status_code != 302:
            host = host_of(settings.url)
            raise ServerError(
                _refusal(host, email, _form_errors(answer.text), answer.status_code),
                status=answer.status_code,
                host=host,
            )
        token = _send(http, "GET", "/api/current-user/token", what=f"reading {email}'s token")
        if token.status_code != 200:
            raise _status_error(token, f"reading {email}'s token")
        coder_token = str(_answer(token, "reading the coder's token", "token")["token"])
    me = _whoami(settings.url, coder_token)
    return Coder(
        email=me["email"],
        user_id=me["id"],
        password=Secret(password),
        token=Secret(coder_token),
        login_url=f"{settings.url}/user/login/",
    )


def create_coders(settings: ServerSettings, emails: list[str]) -> list[Coder | ServerError]:
    """Return, for each email in order, the new coder or the server's refusal of that email.

    A refusal of one email (taken, invalid) does not stop the others; a server that cannot be
    reached at all (``ServerError.status`` is None) raises at once, since every email would fail
    the same way.
    """
    made: list[Coder | ServerError] = []
    for email in emails:
        try:
            made.append(create_coder(settings, email))
        except ServerError as err:
            if err.status is None:
                raise
            made.append(err)
    return made


def _whoami(url: str, token: str) -> dict[str, Any]:
    """Return ``/api/current-user/whoami`` for the holder of a legacy token."""
    headers = {"Authorization": f"Token {token}"}
    with httpx.Client(base_url=url, timeout=TIMEOUT, headers=headers) as http:
        answer = _send(http, "GET", "/api/current-user/whoami", what="reading the new coder")
        if answer.status_code != 200:
            raise _status_error(answer, "reading the new coder")
        return _answer(answer, "reading the new coder", "email", "id")


def _answer(response: httpx.Response, what: str, *keys: str) -> dict[str, Any]:
    """Return a JSON object answer holding ``keys``; ServerError for anything else."""
    try:
        found = response.json()
    except ValueError:
        found = None
    if not isinstance(found, dict) or any(k not in found for k in keys):
        raise ServerError(
            f"{_at(str(response.request.url))}: {what} failed: the answer is not what Label "
            "Studio sends. Check that the URL is your Label Studio server.",
            host=host_of(str(response.request.url)),
        )
    return found


def _send(
    http: httpx.Client, method: str, url: str, *, what: str, retries: int = RETRIES, **kwargs: Any
) -> httpx.Response:
    """Return the response to one request; 5xx answers are retried, then raised."""

    def once() -> httpx.Response:
        response = http.request(method, url, **kwargs)
        if response.status_code >= 500:
            response.raise_for_status()
        return response

    return call(once, retries=retries, what=what)


def _retryable_status(status: int | None) -> bool:
    return status is not None and status >= 500


def _raised_in_sdk(err: BaseException) -> bool:
    """True when ``err`` was raised inside the Label Studio SDK or the pydantic it parses with."""
    tb = err.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    where = tb.tb_frame.f_code.co_filename if tb is not None else ""
    return any(
        f"{sep}{pkg}{sep}" in where for pkg in ("label_studio_sdk", "pydantic") for sep in "/\\"
    )


def _shape_error(base_url: str | None, what: str, err: BaseException) -> ServerError:
    """Return the one-line ServerError for an answer the SDK could not read."""
    cause = redact(str(err).splitlines()[0]) if str(err) else ""
    return ServerError(
        f"{_at(base_url)}: {what} failed: the answer is not what Label Studio sends "
        f"({type(err).__name__}{': ' + cause[:150] if cause else ''}). Check that the URL is "
        "your Label Studio server.",
        host=host_of(base_url) if base_url else None,
    )


def _retryable_transport(err: httpx.RequestError) -> bool:
    return isinstance(err, (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError))


def _scrubbed(value: Any) -> Any:
    """Return ``value`` (an error body or headers) with every string redacted."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {_scrubbed(k): _scrubbed(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_scrubbed(v) for v in value]
    return value


def _api_error(base_url: str | None, what: str, err: ApiError, *, attempts: int = 1) -> ServerError:
    """Return the one-line ServerError for an SDK ``ApiError``.

    The ``ApiError`` stays chained (``--debug`` shows it), with what the server said redacted in
    it too: its text is the body and headers, which a hostile server fills with the key.
    """
    err.body = _scrubbed(err.body)
    err.headers = _scrubbed(dict(err.headers or {}))
    status = err.status_code
    code = f"HTTP {status}" if status else "error"
    if status is not None and status < 400:  # a success the SDK could not read as JSON
        code += ", an answer that is not what Label Studio sends"
    message = f"{_at(base_url)}: {what} failed: {code}{_detail(err.body)}"
    if status == 401:
        message += f". Check {API_KEY_FLAG} or {API_KEY_ENV}."
    elif status is not None and status >= 500:
        message += f" after {attempts} attempt(s). See the server's log."
    else:
        message += "."
    return ServerError(message, status=status, host=host_of(base_url) if base_url else None)


def _status_error(response: httpx.Response, what: str, *, attempts: int = 1) -> ServerError:
    """Return the one-line ServerError for an unexpected httpx response."""
    body: Any = response.text
    if response.headers.get("content-type", "").startswith("application/json"):
        body = response.json()
    tries = f" after {attempts} attempt(s)" if attempts > 1 else ""
    return ServerError(
        f"{_at(str(response.request.url))}: {what} failed: HTTP {response.status_code}"
        f"{_detail(body)}{tries}.",
        status=response.status_code,
        host=host_of(str(response.request.url)),
    )


def _transport_error(
    err: httpx.RequestError, base_url: str | None, what: str, *, attempts: int
) -> ServerError:
    """Return the one-line ServerError for a request that got no answer."""
    try:
        base_url = str(err.request.url)
    except RuntimeError:  # raised before a request was built
        pass
    reasons: dict[type[httpx.RequestError], str] = {
        httpx.ConnectError: "could not connect",
        httpx.ConnectTimeout: "timed out connecting",
        httpx.ReadTimeout: "timed out waiting for the answer",
    }
    reason = reasons.get(type(err), type(err).__name__)
    cause = redact(str(err).splitlines()[0]) if str(err) else ""
    return ServerError(
        f"{_at(base_url)}: {what} failed: {reason}"
        + (f" ({cause})" if cause else "")
        + f" after {attempts} attempt(s). Is the server running? Check the URL and the network.",
        host=host_of(base_url) if base_url else None,
    )


def _detail(body: Any) -> str:
    """Return `` (message)`` from an error body, secrets masked, kept short and on one line."""
    if isinstance(body, dict):
        detail, problems = body.get("detail"), body.get("validation_errors")
        if isinstance(detail, str) and problems:
            # Label Studio's detail is then only "Validation error"; the problems say which.
            text = f"{detail}: {_problems(problems)}"
        else:
            said = detail or problems or body
            text = said if isinstance(said, str) else json.dumps(said, ensure_ascii=False)
    elif isinstance(body, str) and body.lstrip().startswith("<"):
        return ""  # an HTML error page says nothing useful on one line
    else:
        text = str(body or "")
    # Redact before cutting: a key cut in half would no longer match, and its half would show.
    text = redact(" ".join(text.split()))
    if not text:
        return ""
    return f" ({text[:197]}...)" if len(text) > 200 else f" ({text})"


def _problems(problems: Any) -> str:
    """Return Label Studio's ``validation_errors`` as ``field: message; ...``."""
    if not isinstance(problems, dict):
        return json.dumps(problems, ensure_ascii=False)
    parts = []
    for name, said in problems.items():
        said = said if isinstance(said, list) else [said]
        parts.append(f"{name}: " + " ".join(map(str, said)))
    return "; ".join(parts)


def _form_errors(page: str) -> str:
    """Return the field errors shown on a Label Studio HTML form, joined by '; '."""
    items = re.findall(r'<ul class="field_errors">(.*?)</ul>', page, flags=re.S)
    found = [html.unescape(li.strip()) for ul in items for li in re.findall(r"<li>(.*?)</li>", ul)]
    return redact("; ".join(found))


def _refusal(host: str, email: str, problems: str, status: int) -> str:
    """Return, for a person, why the sign-up form refused ``email`` and what to do about it."""
    if "valid email" in problems.lower():
        return (
            f"{email!r} is not an email address: give each coder's full address (name@example.org)."
        )
    if "already exists" in problems.lower():
        return (
            f"{email} has an account on {host} already: that coder logs in as before, or give "
            "another address."
        )
    said = problems.rstrip(". ") if problems else f"HTTP {status}"
    return (
        f"Label Studio at {host} refused to sign up {email} ({said}): check the address "
        "and try again."
    )


def _at(url: str | None) -> str:
    return f"Label Studio at {host_of(url)}" if url else "Label Studio"


def host_of(url: str) -> str:
    """Return host[:port] of a URL, never its user name or password."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:  # a malformed URL (``http://[::1``): name no host rather than fail here
        return "(malformed URL)"
    if not host:
        return "(no host)"
    return f"{host}:{port}" if port else host


def _name_of(fn: Callable[..., Any]) -> str:
    """Return a name for an SDK method such as ``projects.create``."""
    name = getattr(fn, "__name__", "request")
    owner = type(getattr(fn, "__self__", None)).__name__
    group = re.sub(r"(Raw)?Client(Ext)?$", "", owner).lower()
    if name == "<lambda>":
        name = "request"
    return f"{group}.{name}" if group and group != "nonetype" else name


def _base_url_of(fn: Callable[..., Any]) -> str | None:
    """Return the base URL a bound SDK method (or a lambda over a client) talks to, if known."""
    owners = [getattr(fn, "__self__", None)]
    # call(lambda: list(ls.projects.list()), ...): the client is in the lambda's closure.
    for cell in getattr(fn, "__closure__", None) or ():
        with suppress(ValueError):  # a cell not yet bound
            owners.append(cell.cell_contents)
    for owner in owners:
        wrapper = getattr(owner, "_client_wrapper", None)
        if wrapper is not None:
            return str(wrapper.get_base_url())
    return None
