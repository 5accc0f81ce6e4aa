"""convert reports like validate: failures by rule and field, the warnings, the files written.

The demo export's three invalid annotations were coded so on purpose (see eventcoder/demo):
Jonas files a shelling under the wrong event type, Leila leaves out a death toll and Amira an
event date (so its year cannot be derived either). Those are the known answers here.
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

from eventcoder.annotate.convert import Conversion, read_export
from eventcoder.cli import app
from eventcoder.schema import load_codebook
from eventcoder.schema.failures import count_failures
from tests.schema.rows import text_layout, with_change

DEMO_EXPORT = Path(__file__).resolve().parents[2] / "eventcoder" / "demo" / "export.json"


@pytest.fixture(scope="module")
def demo() -> Conversion:
    return read_export(DEMO_EXPORT, load_codebook())


def test_count_failures_by_rule_and_field_errors_first() -> None:
    failures = pl.DataFrame(
        {
            "row": [1, 1, 2, 3, 3, 3],
            "rule": ["near", "in-vocab", "in-vocab", "in-vocab", "required", "required"],
            "field": ["location", "event_type", "event_type", "sub_event_type", None, "notes"],
            "severity": ["warning", "error", "error", "error", "error", "error"],
        }
    )
    want = pl.DataFrame(
        {
            "rule": ["in-vocab", "in-vocab", "required", "required", "near"],
            "field": ["event_type", "sub_event_type", "notes", None, "location"],
            "severity": ["error", "error", "error", "error", "warning"],
            "failures": [2, 1, 1, 1, 1],
            "rows": [2, 1, 1, 1, 1],
        },
        schema_overrides={"failures": pl.UInt32, "rows": pl.UInt32},
    )
    assert_frame_equal(count_failures(failures, key="row", label="rows"), want)


def test_demo_export_counts_by_rule_and_field(demo: Conversion) -> None:
    counts = demo.counts_by_rule()
    got = {(r["rule"], r["field"]): (r["failures"], r["annotations"]) for r in counts.to_dicts()}
    assert got == {
        ("sub-event-in-event-type", "event_type"): (1, 1),
        ("required-field", "fatalities"): (1, 1),
        ("required-field", "event_date"): (1, 1),
        ("required-field", "year"): (1, 1),
        # the other events of those annotations, withdrawn with them
        ("annotation-rejected", None): (4, 3),
    }
    assert counts["failures"].sum() == demo.rejects.height + demo.warnings.height
    assert set(counts["severity"]) == {"error"}


def test_convert_prints_rejects_by_rule_warnings_and_files(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["convert", str(DEMO_EXPORT), "-o", str(tmp_path)], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 1  # annotations were rejected: by design, after writing all
    out = result.stdout
    assert "Failures by rule and field" in out
    for rule, field in [
        ("sub-event-in-event-type", "event_type"),
        ("required-field", "fatalities"),
        ("required-field", "event_date"),
    ]:
        assert re.search(rf"{rule}\s+│\s+{field}\s+│\s+error\s+│\s+1\s+│\s+1", out), out
    assert "24 annotations: 20 accepted, 3 rejected, 1 skipped" in out
    assert (
        f"8 problems in the rejected annotations, listed in {tmp_path / 'rejects.parquet'}; "
        f"0 warnings, listed in {tmp_path / 'warnings.parquet'}"
    ) in out
    written = re.findall(r"^wrote (.+)$", out, re.M)
    assert sorted(Path(p).name for p in written) == sorted(
        f"{n}.parquet"
        for n in (
            "annotations",
            "rejects",
            "skipped",
            "predictions",
            "warnings",
            "coded",
            "mentions",
            "changes",
        )
    )
    assert all(Path(p).is_file() for p in written)


def test_validate_prints_the_same_table(tmp_path: Path) -> None:
    table = tmp_path / "events.csv"
    text_layout(with_change(1, sub_event_type="Armed clash")).write_csv(table)
    result = CliRunner().invoke(app, ["validate", str(table)], env={"COLUMNS": "200"})
    assert result.exit_code == 1
    assert "Failures by rule and field" in result.stdout
    row = r"sub-event-in-event-type\s+│\s+event_type\s+│\s+error\s+│\s+1\s+│\s+1"
    assert re.search(row, result.stdout), result.stdout


@pytest.mark.parametrize("command", ["agreement", "adjudicate"])
def test_commands_given_an_export_say_what_became_of_every_annotation(
    command: str, tmp_path: Path
) -> None:
    # Only accepted annotations are measured or adjudicated: the rejected and the skipped ones
    # are said, not dropped unsaid (the demo: 3 rejected and 1 skipped of 24).
    export = tmp_path / "export.json"
    export.write_bytes(DEMO_EXPORT.read_bytes())
    result = CliRunner().invoke(app, [command, str(export), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "export.json: 24 annotations: 20 accepted, 3 rejected, 1 skipped" in said


def test_changes_come_in_event_order_then_field(demo: Conversion) -> None:
    # Recorded in the order of the events they change (no sort of a million rows needed)
    assert demo.changes.height > 0
    order = ["task_id", "annotation_id", "event_key", "field"]
    assert demo.changes.equals(demo.changes.sort(order, maintain_order=True))
