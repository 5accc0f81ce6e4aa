"""Errors raised by eventcoder.

Every error a user can cause derives from one root, so the CLI catches exactly one type::

    EventcoderError
     ├── CodebookError        a codebook file or its reference lists are unusable
     ├── InputError           a table, article or export file cannot be read or has the wrong shape
     │    └── ExportFormatError   a Label Studio export that does not fit the codebook's config
     ├── ServerError          Label Studio could not be reached or refused a request
     ├── ResourceError        the machine ran out of memory or disk space; the input is not at fault
     ├── ModelError           a model file is unreadable, damaged or made for another codebook
     ├── OutputError          an output cannot be written (read-only folder, a file where a
     │                        folder should be, a full disk); nothing of the set is left
     ├── AgreementError       a reliability statistic is undefined for the data given
     │                        (raised by eventcoder.datasets.reliability; also a ValueError)
     └── ReleaseError         a dataset release cannot be written or verified
          └── ReleaseExistsError  that version exists already (releases are immutable)

Validation *failures* (a row breaking a rule) are never exceptions: they are data in the
validation result. Exceptions are for input that cannot be used at all.

Each error carries what it is about as attributes (``path``, ``problems`` as (entry, message),
``task``, ``resource``, ``host``, ``status``, ``statistic``, ``version``: see each class), for
code that handles it; its message, for a person, is one line that ends with what to do, and
never holds a secret: ``str(err)`` passes through :func:`eventcoder.redaction.redact`, whatever
a server or a file put into it.
"""

from __future__ import annotations

from pathlib import Path

from eventcoder.redaction import redact


class EventcoderError(Exception):
    """Root of every error eventcoder raises on purpose; ``str(err)`` is one line for a person."""

    exit_code = 2

    def __str__(self) -> str:
        # One line, secrets masked: a message may quote what a server or a file said.
        return " ".join(redact(super().__str__()).splitlines())


class CodebookError(EventcoderError):
    """A codebook (or an actor list / gazetteer beside it) is broken.

    ``problems`` lists every problem found, each as ``(entry, message)``, so that a user fixes the
    whole file in one go rather than one error per run.
    """

    def __init__(self, path: str, problems: list[tuple[str, str]]):
        self.path = str(path)
        self.problems = list(problems)
        first_entry, first_msg = self.problems[0]
        more = f" (and {len(self.problems) - 1} more problem(s))" if len(self.problems) > 1 else ""
        super().__init__(f"{self.path}: {first_entry}: {first_msg}{more}")

    def details(self) -> str:
        """All problems, one per line."""
        return "\n".join(f"{self.path}: {entry}: {msg}" for entry, msg in self.problems)


class InputError(EventcoderError):
    """An input file (table, articles, export) is unreadable or lacks what is needed."""

    def __init__(self, message: str, *, path: str | None = None, task: object | None = None):
        self.path = None if path is None else str(path)
        self.task = task
        super().__init__(message)


class ExportFormatError(InputError):
    """A Label Studio export that is not JSON, is truncated, or was made with another config."""


class ResourceError(EventcoderError):
    """The machine ran out of memory or disk space while working; the input is not at fault.

    ``resource`` is ``"memory"`` or ``"disk"``; ``path`` the input being worked on.
    """

    def __init__(self, message: str, *, resource: str, path: str | Path | None = None):
        self.resource = resource
        self.path = None if path is None else str(path)
        super().__init__(message)


class ServerError(EventcoderError):
    """Label Studio could not be reached, timed out, or answered with an error.

    ``host`` is the server's host[:port] (never its key or user name), ``status`` the HTTP
    status when there was an answer.
    """

    def __init__(self, message: str, *, status: int | None = None, host: str | None = None):
        self.status = status
        self.host = host
        super().__init__(message)


class OutputError(EventcoderError):
    """An output could not be written; ``path`` names the file or folder it was about.

    A command's outputs are written as one set: when this is raised, the folder holds what it
    held before the command ran.
    """

    def __init__(self, message: str, *, path: str | None = None):
        self.path = None if path is None else str(path)
        super().__init__(message)


class ModelError(EventcoderError):
    """A model file that cannot be used: unreadable, damaged, or trained for another codebook."""

    def __init__(self, message: str, *, path: str | None = None):
        self.path = None if path is None else str(path)
        super().__init__(message)


class AgreementError(EventcoderError, ValueError):
    """Reliability data that cannot give the requested statistic; ``statistic`` names it."""

    def __init__(self, message: str, *, statistic: str | None = None):
        self.statistic = statistic
        super().__init__(message)


class ReleaseError(EventcoderError):
    """A release could not be written, or a written release does not verify.

    ``path`` is the release folder (or the file) the error is about, ``version`` the release's
    version when one is known.
    """

    def __init__(self, message: str, *, path: str | Path | None = None, version: str | None = None):
        self.path = None if path is None else str(path)
        self.version = version
        super().__init__(message)


class ReleaseExistsError(ReleaseError):
    """The release version exists already; published releases are never overwritten."""
