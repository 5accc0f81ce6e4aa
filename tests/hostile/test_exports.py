"""Hostile and faulty Label Studio exports (issue 11, points 2 to 5): refused in one line, or
converted with every annotation and every event accounted for.

Each export is the recorded real one (``tests/data/ls_export_snapshot.json``, Label Studio
1.23.2) with the smallest change that shows the class, or a task shaped as that server writes
it for another labeling config.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path
from typing import Any

import duckdb
import orjson
import polars as pl
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from eventcoder.annotate.convert import read_export, reading
from eventcoder.cli import app
from eventcoder.errors import ResourceError
from eventcoder.schema.codebook import Codebook
from tests.hostile.exports import SNAPSHOT, refused, snapshot_tasks, write

DEMO = Path(__file__).resolve().parents[2] / "eventcoder" / "demo" / "export.json"


# ---- point 2: duplicate ids ------------------------------------------------------------------


def test_two_tasks_sharing_an_id_are_refused_by_id(cb: Codebook, tmp_path: Path) -> None:
    tasks = snapshot_tasks()
    tasks[2]["id"] = tasks[1]["id"]  # task 3 now claims task 2's id
    message = refused(write(tmp_path, tasks), cb)
    assert "task id(s) 2 each name different tasks" in message


def test_two_annotations_sharing_an_id_are_refused_by_id(cb: Codebook, tmp_path: Path) -> None:
    tasks = snapshot_tasks()
    tasks[2]["annotations"][0]["id"] = tasks[0]["annotations"][0]["id"]  # annotation 7 -> 1
    message = refused(write(tmp_path, tasks), cb)
    assert "annotation id(s) 1 appear more than once (annotation 1 in tasks 1, 3)" in message


def test_one_article_id_naming_two_texts_is_refused(cb: Codebook, tmp_path: Path) -> None:
    tasks = snapshot_tasks()
    tasks[2]["data"]["id"] = tasks[1]["data"]["id"]
    message = refused(write(tmp_path, tasks), cb)
    assert "article id 'idlib-0306' names different texts in tasks 2, 3" in message


def test_a_task_repeated_whole_is_taken_once_with_a_note(cb: Codebook, tmp_path: Path) -> None:
    tasks = snapshot_tasks()
    conv = read_export(SNAPSHOT, cb)
    twice = read_export(write(tmp_path, [*tasks, copy.deepcopy(tasks[1])]), cb)
    assert twice.reconciliation() == conv.reconciliation()
    assert twice.annotations.equals(conv.annotations)
    assert twice.rejects.equals(conv.rejects)
    assert "task 2 appears 2 times with the same content; taken once" in twice.notes
    result = CliRunner().invoke(
        app, ["convert", str(tmp_path / "export.json"), "-o", str(tmp_path)]
    )
    assert "note: task 2 appears 2 times with the same content; taken once" in result.output


# ---- point 3: exports of other labeling configs, trailing bytes, result: null ---------------


def _bounding_box_task() -> dict[str, Any]:
    """An image task as Label Studio 1.23 exports it, its rectangle control named ``label``."""
    return {
        "id": 41,
        "annotations": [
            {
                "id": 77,
                "completed_by": {
                    "id": 2,
                    "email": "coder1@example.org",
                    "first_name": "",
                    "last_name": "",
                },
                "result": [
                    {
                        "original_width": 1024,
                        "original_height": 768,
                        "image_rotation": 0,
                        "value": {
                            "x": 12.5,
                            "y": 30.1,
                            "width": 20.0,
                            "height": 11.7,
                            "rotation": 0,
                            "rectanglelabels": ["Event"],
                        },
                        "id": "Xb3dQ1",
                        "from_name": "label",
                        "to_name": "image",
                        "type": "rectanglelabels",
                        "origin": "manual",
                    }
                ],
                "was_cancelled": False,
                "ground_truth": False,
                "created_at": "2026-11-25T13:02:11.120937Z",
                "updated_at": "2026-11-25T13:02:11.120961Z",
                "lead_time": 9.3,
                "task": 41,
                "project": 3,
                "updated_by": 2,
            }
        ],
        "predictions": [],
        "data": {"image": "/data/upload/3/5d1c2a-street.jpg"},
        "meta": {},
        "created_at": "2026-11-25T13:01:40.003102Z",
        "updated_at": "2026-11-25T13:02:11.143321Z",
        "inner_id": 1,
        "total_annotations": 1,
        "cancelled_annotations": 0,
        "total_predictions": 0,
        "project": 3,
        "updated_by": 2,
    }


def test_a_result_of_another_type_on_a_known_control_is_refused(
    cb: Codebook, tmp_path: Path
) -> None:
    tasks = snapshot_tasks()
    box = _bounding_box_task()["annotations"][0]["result"][0]
    tasks[0]["annotations"][0]["result"].append(box)  # a bounding box beside text regions
    message = refused(write(tmp_path, tasks), cb)
    assert "task 1, annotation 1: a 'rectanglelabels' result from control 'label'" in message


def test_a_bounding_box_export_is_refused(cb: Codebook, tmp_path: Path) -> None:
    message = refused(write(tmp_path, [_bounding_box_task()]), cb)
    assert "task 41: no article text (data.text)" in message


def test_image_classification_tasks_with_empty_results_are_refused(
    cb: Codebook, tmp_path: Path
) -> None:
    task = _bounding_box_task()
    task["annotations"][0]["result"] = []
    message = refused(write(tmp_path, [task]), cb)
    assert "task 41: no article text (data.text)" in message


def test_a_control_the_config_does_not_have_is_refused(cb: Codebook, tmp_path: Path) -> None:
    tasks = snapshot_tasks()
    result = copy.deepcopy(tasks[1]["annotations"][2]["result"][0])  # annotation 6
    result.update(from_name="sentiment", type="choices")
    result["value"] = {**result["value"], "choices": ["Negative"]}
    tasks[1]["annotations"][2]["result"].append(result)
    message = refused(write(tmp_path, tasks), cb)
    assert "task 2, annotation 6: a result from control 'sentiment'" in message


def test_an_object_the_config_does_not_have_is_refused(cb: Codebook, tmp_path: Path) -> None:
    tasks = snapshot_tasks()
    tasks[0]["annotations"][0]["result"][1]["to_name"] = "body"
    message = refused(write(tmp_path, tasks), cb)
    assert "task 1, annotation 1: a result on object 'body'" in message


@pytest.mark.parametrize(
    ("tail", "said"),
    [
        (b" junk ]", "bytes follow the list of tasks"),
        (b"]", "bytes follow the list of tasks"),
        (b"\n[]", "bytes follow the list of tasks"),
        (b"\x00\x00", "bytes follow the list of tasks"),
    ],
    ids=repr,
)
def test_bytes_after_the_closing_bracket_are_refused(
    cb: Codebook, tmp_path: Path, tail: bytes, said: str
) -> None:
    path = tmp_path / "export.json"
    path.write_bytes(SNAPSHOT.read_bytes().rstrip() + tail)
    message = refused(path, cb)
    assert said in message


def test_a_list_of_bare_values_is_refused(cb: Codebook, tmp_path: Path) -> None:
    message = refused(write(tmp_path, [1, 2, 3]), cb)
    assert "its last element is no task" in message


def test_result_null_is_a_problem_not_no_event(cb: Codebook, tmp_path: Path) -> None:
    tasks = snapshot_tasks()
    tasks[0]["annotations"][0]["result"] = None  # annotation 1 had two accepted events
    conv = read_export(write(tmp_path, tasks), cb)
    assert conv.rejected == 5 and conv.accepted == 3
    assert 1 not in conv.coded["annotation_id"].to_list()
    row = conv.rejects.filter(pl.col("annotation_id") == 1).row(0, named=True)
    assert (row["rule"], row["field"], row["task_id"]) == ("result-missing", "result", 1)


def test_regions_of_a_skipped_annotation_are_skipped_with_it(cb: Codebook, tmp_path: Path) -> None:
    tasks = snapshot_tasks()
    skipped = tasks[0]["annotations"][2]  # annotation 3, cancelled by coder3
    assert skipped["was_cancelled"]
    skipped["result"] = copy.deepcopy(tasks[0]["annotations"][0]["result"])  # drawn, then skipped
    conv = read_export(write(tmp_path, tasks), cb)
    assert conv.reconciliation() == "9 annotations: 4 accepted, 4 rejected, 1 skipped"
    assert 3 not in conv.annotations["annotation_id"].to_list()
    assert 3 not in conv.rejects["annotation_id"].to_list()
    assert (conv.events_accepted, conv.events_rejected, conv.events_skipped) == (5, 6, 2)


# ---- point 4: memory -------------------------------------------------------------------------


def test_memory_limit_comes_from_the_machine() -> None:
    gb = 1 << 30
    assert reading.memory_limit(2 * gb, 16 * gb) == 3 * gb  # 1.5x the export
    assert reading.memory_limit(2 * gb, 4 * gb) == 4 * gb * 6 // 10  # 60% of what is free
    assert reading.memory_limit(10 << 20, 16 * gb) == 2 * gb  # the floor for small exports
    assert 0 < reading.available_memory()


def test_running_out_of_memory_blames_the_machine_not_the_file(
    cb: Codebook, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reading, "memory_limit", lambda size, available: 1 << 20)
    with pytest.raises(ResourceError) as err:
        read_export(DEMO, cb)
    message = str(err.value)
    assert err.value.resource == "memory"
    assert "ran out of memory" in message and "the export is not at fault" in message
    assert "export it again" not in message and "\n" not in message


def test_duckdb_spills_to_its_own_folder_and_removes_it(
    cb: Codebook, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings_seen: list[tuple[str, str]] = []
    connect = duckdb.connect

    def spying_connect(*args: Any, **kwargs: Any) -> duckdb.DuckDBPyConnection:
        con = connect(*args, **kwargs)
        settings_seen.append(("connected", ""))
        return con

    monkeypatch.setattr(reading.duckdb, "connect", spying_connect)
    made: list[str] = []
    mkdtemp = reading.tempfile.mkdtemp

    def recording_mkdtemp(*args: Any, **kwargs: Any) -> str:
        made.append(mkdtemp(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(reading.tempfile, "mkdtemp", recording_mkdtemp)
    read_export(SNAPSHOT, cb)
    assert settings_seen and len(made) == 1
    assert Path(made[0]).name.startswith("eventcoder-spill-")
    assert not Path(made[0]).exists()


# ---- point 5: every event accounted for under any rule severity ------------------------------


def _event_regions(path: Path) -> set[tuple[int, str]]:
    """(annotation, region) of every Event region of a submitted annotation, read directly."""
    return {
        (a["id"], r["id"])
        for t in orjson.loads(path.read_bytes())
        for a in t["annotations"]
        if not a["was_cancelled"]
        for r in a["result"] or []
        if r["from_name"] == "label" and "Event" in r["value"].get("labels", [])
    }


DEMO_EVENTS = _event_regions(DEMO)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
@example(data=None)  # every rule an error: the harshest setting
def test_every_event_is_accounted_for_under_any_severity(cb: Codebook, data: Any) -> None:
    if data is None:
        severities = ["error"] * len(cb.rules)
    else:
        severities = data.draw(
            st.lists(
                st.sampled_from(["error", "warning"]),
                min_size=len(cb.rules),
                max_size=len(cb.rules),
            )
        )
    rules = tuple(
        dataclasses.replace(r, severity=s) for r, s in zip(cb.rules, severities, strict=True)
    )
    conv = read_export(DEMO, dataclasses.replace(cb, rules=rules))
    accepted = set(conv.annotations.select("annotation_id", "event_key").iter_rows())
    rejected = set(conv.rejects.select("annotation_id", "event_key").iter_rows()) & DEMO_EVENTS
    assert accepted | rejected == DEMO_EVENTS
    assert not accepted & rejected
    assert (conv.events_accepted, conv.events_rejected) == (len(accepted), len(rejected))
    assert conv.total == conv.accepted + conv.rejected + conv.skipped_count
    # an event leaves only with its annotation: no accepted event in a rejected annotation
    assert not set(conv.annotations["annotation_id"]) & set(conv.rejects["annotation_id"])


def test_an_error_uniqueness_rule_compares_events_within_one_annotation(cb: Codebook) -> None:
    rules = tuple(
        dataclasses.replace(r, severity="error") if r.kind == "unique" else r for r in cb.rules
    )
    strict = read_export(DEMO, dataclasses.replace(cb, rules=rules))
    usual = read_export(DEMO, cb)
    # Three coders coding the same event is the point of double coding, never a duplicate.
    assert strict.events_accepted == usual.events_accepted == 28
    assert strict.reconciliation() == usual.reconciliation()


@pytest.mark.parametrize("offset", [2**63, 10**30, -(2**63) - 1])
def test_a_value_no_server_writes_is_refused_without_blaming_the_transfer(
    cb: Codebook, tmp_path: Path, offset: object
) -> None:
    tasks = snapshot_tasks()
    region = next(
        r for t in tasks for a in t["annotations"] for r in a["result"] if "start" in r["value"]
    )
    region["value"]["start"] = offset
    path = tmp_path / "export.json"
    path.write_text(json.dumps(tasks), encoding="utf-8")  # orjson stops at 64 bits
    message = refused(path, cb)
    assert "does not fit a Label Studio export" in message
    assert "export it again" not in message
