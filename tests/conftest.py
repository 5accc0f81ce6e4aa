"""Fixtures shared by the whole test suite."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from eventcoder.schema.codebook import Codebook
from tests.lsserver import BINARY_ENV, LabelStudioServer, find_label_studio, running_server

# ---- Label Studio server and a clean environment (annotate/client) ---------------------------


@pytest.fixture(autouse=True)
def _no_label_studio_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """Remove every LABEL_STUDIO_* variable, so no test reaches someone's own server."""
    for name in list(os.environ):
        if name.startswith("LABEL_STUDIO_"):
            monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def ls_server() -> Iterator[LabelStudioServer]:
    """Yield one real Label Studio server for the session (``.url``, ``.token``, ``.data_dir``).

    ``ls_server.stop()`` kills it, ``ls_server.start()`` / ``restart()`` bring it back on the
    same data and port. Without a ``label-studio`` executable the test fails under CI and is
    skipped elsewhere.
    """
    binary = find_label_studio()
    if binary is None:
        message = (
            f"no label-studio executable: set {BINARY_ENV} to one, "
            "install label-studio into <repo>/.ls-venv, or put it on PATH"
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    if not os.access(binary, os.X_OK):
        pytest.fail(f"{BINARY_ENV}={binary} is not an executable file")
    with running_server(binary) as server:
        yield server


# ---- end of Label Studio server block --------------------------------------------------------


# ---- the bundled codebook ---------------------------------------------------------------------


@pytest.fixture(scope="session")
def cb() -> Codebook:
    """The bundled ACLED-style codebook (a frozen object: one load serves the session)."""
    return Codebook.default()
