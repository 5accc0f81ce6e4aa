"""Hostile and faulty Label Studio JSON exports, at the level of the file and its JSON: what the
file is, how it is encoded, and values whose JSON type or spelling no server writes. Each is
refused in one line (exit 2) or converted with nothing lost and nothing changed unseen.

Exports are the recorded real one (``tests/data/ls_export_snapshot.json``, Label Studio 1.23.2)
with the smallest change that shows the class.
"""

from __future__ import annotations

import gzip
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
from tests.hostile.exports import SNAPSHOT, named_pipe, refused, snapshot_tasks, write

# ---- what the file is ------------------------------------------------------------------------


def test_a_folder_named_as_an_export_is_refused(cb: Codebook, tmp_path: Path) -> None:
    folder = tmp_path / "export.json"
    folder.mkdir()
    assert "not a regular file" in refused(folder, cb)


def test_a_named_pipe_is_refused_without_waiting_for_a_writer(cb: Codebook, tmp_path: Path) -> None:
    with named_pipe(tmp_path / "export.json", b"[]") as fifo:
        with pytest.raises(ExportFormatError, match="not a regular file"):
            read_export(fifo, cb)


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
    assert said in refused(path, cb)


# ---- nothing changed unseen --------------------------------------------------------------------


def test_a_place_the_gazetteer_renames_is_recorded_as_a_change(
    cb: Codebook, tmp_path: Path
) -> None:
    tasks = snapshot_tasks()
    location = next(r for r in tasks[0]["annotations"][0]["result"] if r["from_name"] == "location")
    location["value"]["text"] = ["Ihsim"]  # an alternate name of Ehsem in the gazetteer
    conv = read_export(write(tmp_path, tasks), cb)
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


# ---- ids and offsets: whole numbers, never rounded -------------------------------------------


def _first_region(tasks: list[dict[str, Any]]) -> dict[str, Any]:
    return tasks[0]["annotations"][0]["result"][0]  # annotation 1's first Event region


@pytest.mark.parametrize("end", [128.5, True, "abc"], ids=repr)
def test_an_offset_that_is_no_whole_number_is_refused_not_rounded(
    cb: Codebook, tmp_path: Path, end: object
) -> None:
    tasks = snapshot_tasks()
    region = _first_region(tasks)
    assert region["value"]["end"] == 128
    region["value"]["end"] = end  # read as BIGINT, 128.5 became 128 and true 1, unseen
    message = refused(write(tmp_path, tasks), cb)
    assert f"task 1, annotation 1, region {region['id']}: end " in message
    assert "does not fit a Label Studio export" in message


@pytest.mark.parametrize(
    ("where", "said"),
    [
        ("task", "task id 1.5 does not fit"),
        ("annotation", "task 1: annotation id 1.5 does not fit"),
    ],
)
def test_an_id_that_is_no_whole_number_is_refused_not_rounded(
    cb: Codebook, tmp_path: Path, where: str, said: str
) -> None:
    tasks = snapshot_tasks()
    (tasks[0] if where == "task" else tasks[0]["annotations"][0])["id"] = 1.5  # was 2, unseen
    assert said in refused(write(tmp_path, tasks), cb)


def test_a_whole_number_written_as_a_float_is_the_same_offset(cb: Codebook, tmp_path: Path) -> None:
    tasks = snapshot_tasks()
    _first_region(tasks)["value"]["end"] = 128.0  # what Python's json writes for a float
    conv = read_export(write(tmp_path, tasks), cb)
    assert conv.annotations.equals(read_export(SNAPSHOT, cb).annotations)


def test_a_missing_offset_is_named_in_its_reject(cb: Codebook, tmp_path: Path) -> None:
    tasks = snapshot_tasks()
    region = _first_region(tasks)
    del region["value"]["end"]
    conv = read_export(write(tmp_path, tasks), cb)
    row = conv.rejects.filter(pl.col("event_key") == region["id"], pl.col("annotation_id") == 1)
    assert row["rule"].to_list() == ["span-mismatch"]
    assert row["message"].to_list() == ["offsets 0-? do not cut this text out of the article"]


# ---- a key given twice in one object ---------------------------------------------------------


def test_an_article_text_given_twice_is_refused(cb: Codebook, tmp_path: Path) -> None:
    path = write(tmp_path, snapshot_tasks())
    raw = path.read_bytes()
    # DuckDB reads the first copy, Label Studio's editor the last: coders saw the other text
    path.write_bytes(raw.replace(b'"data": {', b'"data": {"text": "Another article.",', 1))
    message = refused(path, cb)
    assert "task 1: its data gives the key 'text' twice" in message


def test_a_coder_email_given_twice_is_refused(cb: Codebook, tmp_path: Path) -> None:
    path = write(tmp_path, snapshot_tasks())
    raw = path.read_bytes()
    email = b'"email": "coder1@example.org"'
    path.write_bytes(raw.replace(email, email + b', "email": "coder9@example.org"', 1))
    message = refused(path, cb)
    assert "task 1, annotation 1: completed_by gives a key twice" in message


# ---- Label Studio shapes ---------------------------------------------------------------------


def test_one_region_id_drawn_over_two_spans_rejects_its_annotation(
    cb: Codebook, tmp_path: Path
) -> None:
    tasks = snapshot_tasks()
    annotation = tasks[0]["annotations"][0]  # annotation 1: two events, both accepted
    text = tasks[0]["data"]["text"]
    again = orjson.loads(orjson.dumps(_first_region(tasks)))
    again["value"].update(start=129, end=242, text=text[129:242])  # a second span, same id
    annotation["result"].append(again)
    conv = read_export(write(tmp_path, tasks), cb)
    # read as one region, the second span vanished and annotation 1 stayed accepted
    assert 1 not in conv.annotations["annotation_id"].to_list()
    row = conv.rejects.filter(pl.col("rule") == "repeated-region").row(0, named=True)
    assert (row["annotation_id"], row["event_key"], row["value"]) == (
        1,
        again["id"],
        "0-128 | 129-242",
    )


def test_a_json_min_export_is_refused_naming_its_kind(cb: Codebook, tmp_path: Path) -> None:
    text = "Shelling hit Kafr Nabl."
    json_min = [
        {
            "id": 1,
            "text": text,
            "annotator": "coder1@example.org",
            "annotation_id": 3,
            "label": [{"start": 0, "end": 8, "text": "Shelling", "labels": ["Event"]}],
        }
    ]
    message = refused(write(tmp_path, json_min), cb)
    assert "task 1 has no data object" in message and "JSON-MIN" in message


def test_agreement_refuses_a_named_pipe_without_waiting_for_a_writer(
    cb: Codebook, tmp_path: Path
) -> None:
    from eventcoder.annotate.convert import read_annotations
    from eventcoder.errors import InputError

    fifo = tmp_path / "annotations"  # no .json: read as a Parquet table
    with named_pipe(fifo, b"PAR1"):
        with pytest.raises(InputError, match="not a regular file"):
            read_annotations(fifo, cb)
        result = CliRunner().invoke(app, ["agreement", str(fifo), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2 and "not a regular file" in result.output


@pytest.mark.parametrize("flag", [0.5, 2, "t", "no"], ids=repr)
def test_was_cancelled_other_than_true_or_false_is_refused(
    cb: Codebook, tmp_path: Path, flag: object
) -> None:
    tasks = snapshot_tasks()
    tasks[0]["annotations"][0]["was_cancelled"] = flag  # read as BOOLEAN: 0.5 skipped it unseen
    message = refused(write(tmp_path, tasks), cb)
    assert f"task 1, annotation 1: was_cancelled '{flag}' is neither true nor false" in message


@pytest.mark.parametrize("flag", ["false", None], ids=repr)
def test_was_cancelled_as_the_string_false_or_null_is_not_cancelled(
    cb: Codebook, tmp_path: Path, flag: object
) -> None:
    tasks = snapshot_tasks()
    tasks[0]["annotations"][0]["was_cancelled"] = flag
    conv = read_export(write(tmp_path, tasks), cb)
    assert conv.reconciliation() == read_export(SNAPSHOT, cb).reconciliation()


# ---- file names --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "beside"), [("export[1].json", "export1.json"), ("export*.json", "export-old.json")]
)
def test_a_file_name_that_reads_as_a_pattern_is_read_as_a_name(
    cb: Codebook, tmp_path: Path, name: str, beside: str
) -> None:
    tasks = snapshot_tasks()
    path = write(tmp_path, tasks, name)
    write(tmp_path, tasks[:1], beside)  # another export the pattern matches
    conv = read_export(path, cb)
    # DuckDB took the name as a glob: it read export1.json instead, or both files as one
    assert conv.reconciliation() == read_export(SNAPSHOT, cb).reconciliation()
    assert conv.notes == read_export(SNAPSHOT, cb).notes


def test_a_date_in_another_form_than_the_editor_writes_rejects_its_annotation(
    cb: Codebook, tmp_path: Path
) -> None:
    tasks = snapshot_tasks()
    date = next(r for r in tasks[0]["annotations"][0]["result"] if r["from_name"] == "event_date")
    date["value"]["datetime"] = "04/03/2024"  # the DateTime control writes 2024-03-04
    conv = read_export(write(tmp_path, tasks), cb)  # was: the whole export refused as ambiguous
    row = conv.rejects.filter(pl.col("field") == "event_date").row(0, named=True)
    assert (row["annotation_id"], row["rule"], row["value"]) == (1, "field-type", "04/03/2024")
    usual = read_export(SNAPSHOT, cb)
    assert (conv.accepted, conv.rejected) == (usual.accepted - 1, usual.rejected + 1)


# ---- predictions -------------------------------------------------------------------------------


def _set_prediction(tasks: list[dict[str, Any]], key: str, value: object) -> None:
    prediction = tasks[0]["predictions"][0]
    if key.startswith("value."):
        prediction["result"][0]["value"][key[len("value.") :]] = value
    else:
        prediction[key] = value


@pytest.mark.parametrize(
    ("key", "value", "said"),
    [
        ("score", "high", "prediction 1: score as text"),  # was a null score
        ("result", "oops", "prediction 1: result as text"),  # the prediction vanished
        ("value.start", "zero", "prediction 1: a result with value.start as text"),
        ("value.labels", "Event", "prediction 1: a result with value.labels as text"),
    ],
)
def test_a_prediction_holding_a_value_of_another_type_is_refused(
    cb: Codebook, tmp_path: Path, key: str, value: object, said: str
) -> None:
    tasks = snapshot_tasks()
    _set_prediction(tasks, key, value)
    assert f"task 1, {said}" in refused(write(tmp_path, tasks), cb)


def test_predictions_after_a_bare_id_are_read(cb: Codebook, tmp_path: Path) -> None:
    tasks = snapshot_tasks()
    tasks[0]["predictions"].insert(0, 99)  # a quick export's id, then full objects
    conv = read_export(write(tmp_path, tasks), cb)
    assert conv.predictions.equals(read_export(SNAPSHOT, cb).predictions)  # were all dropped


# ---- agreement and adjudication given an export ----------------------------------------------


def test_a_coder_with_two_annotations_of_one_article_is_refused_by_agreement(
    tmp_path: Path,
) -> None:
    demo = Path(__file__).resolve().parents[2] / "eventcoder" / "demo" / "export.json"
    tasks = orjson.loads(demo.read_bytes())
    first, second = tasks[0]["annotations"][:2]  # two coders' submitted annotations
    second["completed_by"] = first["completed_by"]  # a coder who added a second annotation
    path = write(tmp_path, tasks)
    for command in ("agreement", "adjudicate"):
        result = CliRunner().invoke(app, [command, str(path), "-o", str(tmp_path / command)])
        # was exit 0: one version's events counted as events the coder's other version missed
        assert result.exit_code == 2, result.output
        assert f"has 2 annotations ({first['id']}, {second['id']})" in result.output


# ---- annotation times ----------------------------------------------------------------------------


def test_a_time_written_without_its_offset_is_read_not_blanked(
    cb: Codebook, tmp_path: Path
) -> None:
    tasks = snapshot_tasks()
    tasks[1]["annotations"][0]["created_at"] = "2026-11-25 13:02:11"  # beside ...120937Z ones
    conv = read_export(write(tmp_path, tasks), cb)
    annotation = tasks[1]["annotations"][0]["id"]
    times = conv.annotations.filter(pl.col("annotation_id") == annotation)["created_at"]
    assert times.len() and times.dt.strftime("%Y-%m-%d %H:%M:%S").to_list()[0] == (
        "2026-11-25 13:02:11"
    )  # polars read the column in its first value's form and blanked this one, unseen


@pytest.mark.parametrize("when", ["yesterday", "2024-13-45T00:00:00Z", 1732540000], ids=repr)
def test_a_time_that_is_no_timestamp_is_refused(cb: Codebook, tmp_path: Path, when: object) -> None:
    tasks = snapshot_tasks()
    tasks[0]["annotations"][0]["created_at"] = when  # was a blank created_at, unseen
    message = refused(write(tmp_path, tasks), cb)
    assert f"task 1, annotation 1: created_at '{when}' is not a timestamp" in message


@pytest.mark.parametrize(
    ("bad", "said"),
    [
        (b"Kafr Nabl\xe9", "bytes that are not UTF-8"),  # an editor's Latin-1
        (b"Kafr \\ud800Nabl", "a lone surrogate escape"),
    ],
    ids=["latin-1", "lone-surrogate"],
)
def test_text_that_is_no_utf8_is_refused_saying_what_not_to_export_again(
    cb: Codebook, tmp_path: Path, bad: bytes, said: str
) -> None:
    path = tmp_path / "export.json"
    path.write_bytes(SNAPSHOT.read_bytes().replace(b"Kafr Nabl", bad, 1))
    message = refused(path, cb)
    assert said in message and "export it again" not in message


@pytest.mark.parametrize(
    ("completed_by", "coder"),
    [({"id": 2}, "2"), (2, "2"), ({"id": 2, "email": None}, "2"), ({}, None)],
    ids=repr,
)
def test_a_coder_without_an_email_is_named_by_their_id_as_a_quick_export_does(
    cb: Codebook, tmp_path: Path, completed_by: object, coder: str | None
) -> None:
    tasks = snapshot_tasks()
    tasks[0]["annotations"][0]["completed_by"] = completed_by  # was coder '{"id":2}' or '{}'
    conv = read_export(write(tmp_path, tasks), cb)
    if coder is None:  # nobody: the annotation is rejected for its missing coder
        assert conv.rejects.filter(pl.col("annotation_id") == 1, pl.col("field") == "coder").height
    else:
        assert set(conv.annotations.filter(pl.col("annotation_id") == 1)["coder"]) == {coder}


def test_drafts_are_counted_in_a_note_not_dropped_unsaid(cb: Codebook, tmp_path: Path) -> None:
    tasks = snapshot_tasks()
    draft = {"id": 50, "user": "coder4@example.org", "result": [], "lead_time": 3.0}
    tasks[0]["drafts"] = [draft, {**draft, "id": 51}]  # saved in the editor, never submitted
    conv = read_export(write(tmp_path, tasks), cb)
    assert conv.reconciliation() == read_export(SNAPSHOT, cb).reconciliation()
    assert any(
        n.startswith("2 draft(s) in 1 task(s), saved but never submitted") for n in conv.notes
    )


@pytest.mark.parametrize(
    ("shape", "said"),
    [
        (lambda tasks: [tasks], "its elements are lists, not tasks"),  # was 'bytes follow'
        (lambda tasks: {"tasks": tasks}, "the file is one JSON object, not a list of tasks"),
    ],
    ids=["list-of-lists", "object"],
)
def test_an_export_of_another_shape_is_refused_naming_it(
    cb: Codebook, tmp_path: Path, shape: Any, said: str
) -> None:
    assert said in refused(write(tmp_path, shape(snapshot_tasks())), cb)
