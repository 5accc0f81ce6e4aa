"""Schemas rendered from the codebook: pandera checks agree with the validator; Arrow types."""

from __future__ import annotations

import pandera.polars as pa
import polars as pl
import pyarrow as arrow
import pytest

from eventcoder.schema.codebook import Codebook
from eventcoder.schema.pandera_schemas import annotations_schema, events_schema
from eventcoder.schema.rules import compile_checks
from eventcoder.schema.tables import arrow_schema
from eventcoder.schema.validation import prepare, validate
from tests.schema.rows import GOOD, text_layout


def test_pandera_schema_and_validator_find_the_same_failures(cb: Codebook) -> None:
    rows = [dict(r) for r in GOOD]
    rows[0]["fatalities"] = "-2"
    rows[1]["sub_event_type"] = "Armed clash"
    rows[3]["latitude"] = "95"
    rows[4]["fatalities"] = "3"
    rows.append(dict(GOOD[4], event_id_cnty="SYR900001"))  # duplicate id, duplicate protest
    frame = text_layout(rows)
    prepared = prepare(frame, cb)
    with pytest.raises(pa.errors.SchemaErrors) as err:
        events_schema(cb).validate(prepared.frame, lazy=True)
    cases = pl.DataFrame(err.value.failure_cases)
    by_label = {f"{c.name}: {c.rule.message}": c for c in compile_checks(cb)}
    from_pandera = {
        (int(i) + 1, by_label[check].rule.id)
        for i, check in cases.select("index", "check").iter_rows()
        if check in by_label
    }
    result = validate(frame, cb)
    from_validator = set(result.failures.select("row", "rule").iter_rows())
    assert from_pandera == from_validator
    assert (2, "sub-event-in-event-type") in from_validator
    assert (1, "event-id-unique") in from_validator and (6, "event-id-unique") in from_validator


def test_schemas_cover_the_codebook(cb: Codebook) -> None:
    events = events_schema(cb)
    assert list(events.columns) == list(cb.field_names)
    assert events.columns["event_date"].dtype.type == pl.Date
    assert events.columns["actor2"].nullable and not events.columns["actor1"].nullable
    annotations = annotations_schema(cb)
    assert list(annotations.columns)[:4] == ["project_id", "task_id", "article_id", "annotation_id"]
    assert "event_id_cnty" not in annotations.columns  # assigned at release


def test_arrow_schema_uses_plain_types(cb: Codebook) -> None:
    schema = arrow_schema(cb)
    assert schema.field("event_date").type == arrow.date32()
    assert schema.field("fatalities").type == arrow.int64()
    assert schema.field("latitude").type == arrow.float64()
    assert schema.field("actor1").type == arrow.large_string()
    assert not schema.field("actor1").nullable
    assert schema.field("notes").metadata[b"description"].startswith(b"A short summary")
