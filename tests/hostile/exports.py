"""What the hostile-export tests share: the recorded export, writing a changed copy, the refusal
every faulty export must meet, and a named pipe that never hangs a test."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from eventcoder.annotate.convert import read_export
from eventcoder.cli import app
from eventcoder.errors import ExportFormatError
from eventcoder.schema.codebook import Codebook

DATA = Path(__file__).resolve().parent.parent / "data"
SNAPSHOT = DATA / "ls_export_snapshot.json"


def snapshot_tasks() -> list[dict[str, Any]]:
    """The recorded Label Studio 1.23.2 snapshot export, as plain data to change."""
    return orjson.loads(SNAPSHOT.read_bytes())


def write(tmp_path: Path, data: Any, name: str = "export.json") -> Path:
    path = tmp_path / name
    path.write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2))
    return path


def refused(path: Path, cb: Codebook) -> str:
    """The one-line message convert refuses ``path`` with: exit 2 through the CLI too, no
    traceback, and no table written."""
    with pytest.raises(ExportFormatError) as err:
        read_export(path, cb)
    message = str(err.value)
    assert "\n" not in message and message.startswith(f"{path}: ")
    out = path.parent / "out"
    result = CliRunner().invoke(app, ["convert", str(path), "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert not (out / "annotations.parquet").exists()
    return message


@contextmanager
def named_pipe(path: Path, fill: bytes) -> Iterator[Path]:
    """A named pipe at ``path``. Opening it waits for a writer: should the code under test
    open it, a writer comes after 10 s with ``fill``, so the test fails instead of hanging."""
    os.mkfifo(path)
    done = threading.Event()

    def unblock() -> None:
        if not done.wait(10):
            with open(path, "wb") as fh:
                fh.write(fill)

    threading.Thread(target=unblock, daemon=True).start()
    try:
        yield path
    finally:
        done.set()
