"""Hostile and faulty Label Studio JSON exports, at the level of the file and its JSON: what the
file is, how it is encoded, and values whose JSON type or spelling no server writes. Each is
refused in one line (exit 2) or converted with nothing lost and nothing changed unseen.

Exports are the recorded real one (``tests/data/ls_export_snapshot.json``, Label Studio 1.23.2)
with the smallest change that shows the class.
"""

from __future__ import annotations

import gzip
import os
import threading
from pathlib import Path
from typing import Any

import orjson
import polars as pl
import pytest
from typer.testing import CliRunner

from eventcoder.annotate.convert import read_export
from eventcoder.cli import app
from eventcoder.errors import ExportFormatError
from eventcoder.schema.codebook import Codebook

SNAPSHOT = Path(__file__).resolve().parent.parent / "data" / "ls_export_snapshot.json"


def _tasks() -> list[dict[str, Any]]:
    return orjson.loads(SNAPSHOT.read_bytes())


def _write(tmp_path: Path, tasks: Any, name: str = "export.json") -> Path:
    path = tmp_path / name
    path.write_bytes(orjson.dumps(tasks, option=orjson.OPT_INDENT_2))
    return path


def _refused(path: Path, cb: Codebook) -> str:
    """The one-line message convert refuses ``path`` with (exit 2 through the CLI too)."""
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


# ---- what the file is ------------------------------------------------------------------------


def test_a_folder_named_as_an_export_is_refused(cb: Codebook, tmp_path: Path) -> None:
    folder = tmp_path / "export.json"
    folder.mkdir()
    assert "not a regular file" in _refused(folder, cb)


def test_a_named_pipe_is_refused_without_waiting_for_a_writer(cb: Codebook, tmp_path: Path) -> None:
    fifo = tmp_path / "export.json"
    os.mkfifo(fifo)
    done = threading.Event()

    def unblock() -> None:  # without the check, opening the pipe waits for a writer for ever
        if not done.wait(10):
            with open(fifo, "wb") as fh:
                fh.write(b"[]")

    threading.Thread(target=unblock, daemon=True).start()
    try:
        with pytest.raises(ExportFormatError, match="not a regular file"):
            read_export(fifo, cb)
    finally:
        done.set()


@pytest.mark.parametrize(
    ("encode", "said"),
    [
        (lambda raw: b"\xef\xbb\xbf" + raw, "starts with a byte-order mark"),
        (lambda raw: raw.decode().encode("utf-16"), "is UTF-16 text"),
        (gzip.compress, "is gzip-compressed"),
    ],
    ids=["bom", "utf-16", "gzip"],
)
def test_an_export_saved_in_another_encoding_is_refused_naming_it(
    cb: Codebook, tmp_path: Path, encode: Any, said: str
) -> None:
    path = tmp_path / "export.json"
    path.write_bytes(encode(SNAPSHOT.read_bytes()))
    assert said in _refused(path, cb)


# ---- nothing changed unseen --------------------------------------------------------------------


def test_a_place_the_gazetteer_renames_is_recorded_as_a_change(
    cb: Codebook, tmp_path: Path
) -> None:
    tasks = _tasks()
    location = next(r for r in tasks[0]["annotations"][0]["result"] if r["from_name"] == "location")
    location["value"]["text"] = ["Ihsim"]  # an alternate name of Ehsem in the gazetteer
    conv = read_export(_write(tmp_path, tasks), cb)
    event = conv.annotations.filter(pl.col("event_key") == location["id"])
    assert event["location"].to_list() == ["Ehsem"]
    change = conv.changes.filter(pl.col("field") == "location").row(0, named=True)
    assert (change["annotation_id"], change["event_key"]) == (1, location["id"])
    assert (change["before"], change["after"], change["reason"]) == (
        "Ihsim",
        "Ehsem",
        "gazetteer-name",
    )
    # and every change names an accepted event: a rejected one is kept as written
    keys = set(conv.annotations.select("annotation_id", "event_key").iter_rows())
    assert set(conv.changes.select("annotation_id", "event_key").iter_rows()) <= keys
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["convert", str(tmp_path / "export.json"), "-o", str(out)])
    assert "gazetteer-name): changes.parquet" in result.output
    assert pl.read_parquet(out / "changes.parquet").equals(conv.changes)
