"""Another ontology, no code change: a trimmed PLOVER-like codebook through every stage.

The export is hand-built with the review module's results builder (the inverse of the
converter), not recorded from a server: the point here is the codebook, not Label Studio.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from eventcoder.annotate.config import check_config, labeling_config
from eventcoder.annotate.convert import export_to_annotations
from eventcoder.annotate.results import event_results
from eventcoder.datasets.adjudicate import adjudicate
from eventcoder.datasets.agreement import agreement
from eventcoder.datasets.align import align_events
from eventcoder.datasets.release import publish, verify
from eventcoder.schema.codebook import Codebook

CODEBOOK = Path(__file__).parent / "data" / "mini-codebook.yaml"
ARTICLES = {
    "a1": "On 3 June 2020 jets bombed Mozra, killing two. Later, protesters marched in Idlib.",
    "a2": "Russia and Turkey agreed a ceasefire in Idlib on 5 March 2020.",
}


def _event(article: str, phrase: str, **fields: object) -> dict:
    start = ARTICLES[article].index(phrase)
    return {"span_start": start, "span_end": start + len(phrase), **fields}


STRIKE = dict(
    event_date="2020-06-03",
    event_type="ASSAULT",
    mode="aerial",
    actor="Russia",
    recipient="Civilians",
    location="Mozra",
    dead=2,
)
MARCH = dict(
    event_date="2020-06-03",
    event_type="PROTEST",
    mode="demonstrate",
    actor="Protesters",
    location="Idlib",
    dead=0,
)
TRUCE = dict(
    event_date="2020-03-05",
    event_type="AGREE",
    mode="ceasefire",
    actor="Russia",
    recipient="Turkey",
    location="Idlib",
)
CODINGS = {
    "a1": {
        "c1@x.org": [
            _event("a1", "jets bombed Mozra, killing two", **STRIKE),
            _event("a1", "protesters marched in Idlib", **MARCH),
        ],
        "c2@x.org": [
            _event("a1", "jets bombed Mozra, killing two", **STRIKE),
            _event("a1", "protesters marched in Idlib", **MARCH),
        ],
        "c3@x.org": [_event("a1", "jets bombed Mozra", **dict(STRIKE, mode="heavy-weapons"))],
    },
    "a2": {
        "c1@x.org": [_event("a2", "Russia and Turkey agreed a ceasefire", **TRUCE)],
        "c2@x.org": [_event("a2", "Russia and Turkey agreed a ceasefire", **TRUCE)],
        # An agreement with no recipient breaks the codebook's own rule.
        "c3@x.org": [
            _event(
                "a2",
                "Russia and Turkey agreed a ceasefire",
                **{k: v for k, v in TRUCE.items() if k != "recipient"},
            )
        ],
    },
}


@pytest.fixture(scope="module")
def cb() -> Codebook:
    return Codebook.from_file(CODEBOOK)


def _export(cb: Codebook) -> list[dict]:
    tasks, annotation_id = [], 0
    for task_id, (article, text) in enumerate(ARTICLES.items(), 1):
        annotations = []
        for n, (coder, events) in enumerate(CODINGS[article].items(), 1):
            annotation_id += 1
            result = [
                r
                for k, e in enumerate(events)
                for r in event_results(e, cb, text, region=f"r{annotation_id}-{k}")
            ]
            annotations.append(
                {
                    "id": annotation_id,
                    "completed_by": {"id": n, "email": coder},
                    "result": result,
                    "was_cancelled": False,
                    "lead_time": 10.0,
                    "created_at": "2026-11-25T10:00:00Z",
                    "updated_at": "2026-11-25T10:00:00Z",
                }
            )
        tasks.append(
            {
                "id": task_id,
                "project": 1,
                "annotations": annotations,
                "predictions": [],
                "data": {"id": article, "title": article, "text": text},
            }
        )
    return tasks


def test_the_codebook_drives_every_stage(cb: Codebook, tmp_path: Path) -> None:
    assert not check_config(labeling_config(cb), cb)
    assert 'name="mode__assault"' in labeling_config(cb)  # conditional choices from the lookup

    conv = export_to_annotations(_export(cb), cb)
    assert conv.reconciliation() == "6 annotations: 5 accepted, 1 rejected, 0 skipped"
    assert set(conv.rejects["rule"]) >= {"assault-has-recipient"}

    aligned = align_events(conv.annotations, cb)
    assert aligned["aligned_event"].n_unique() == 3
    result = agreement(aligned, cb, n_boot=0, coded=conv.coded)
    fields = dict(result.fields.select("field", "level").iter_rows())
    assert fields["dead"] == "ratio" and fields["mode"] == "nominal"

    adj = adjudicate(aligned, cb)
    gold = adj.gold.sort("event_date", "event_type")
    assert gold["mode"].to_list() == ["ceasefire", "aerial", "demonstrate"]  # 2 of 3 say aerial

    release = publish(
        adj, conv.annotations, conv.rejects, None, cb, name="mini", version="1.0.0", root=tmp_path
    )
    events = pl.read_parquet(release.path / "events.parquet")
    assert events.columns == list(cb.field_names)
    assert sorted(events["event_id"].to_list()) == ["EV1", "EV2", "EV3"]
    assert events.schema["event_date"] == pl.Date and events.schema["dead"] == pl.Int64
    assert events.sort("event_date")["event_date"][0] == date(2020, 3, 5)
    assert verify(release.path).ok
    card = (release.path / "README.md").read_text(encoding="utf-8")
    assert "Events from 2020-03-05 to 2020-06-03." in card
