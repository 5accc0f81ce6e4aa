"""End to end on a real server: codebook -> project -> tasks -> coders' annotations -> export ->
tables, checked field by field against what each coder posted.

Each coder's annotations are posted with that coder's own token (``completed_by`` set by someone
else would prove nothing). The results are built from the labeling config generated from the
codebook: the control for a field is found by name, and a conditional field's control by the
choice it offers.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from eventcoder.annotate.articles import read_articles
from eventcoder.annotate.client import Coder, call, connection, create_coder
from eventcoder.annotate.config import (
    labeling_config,
    parse_controls,
)
from eventcoder.annotate.convert import read_export
from eventcoder.annotate.exports import pull_export
from eventcoder.annotate.projects import create_project
from eventcoder.annotate.results import event_results
from eventcoder.annotate.tasks import ImportReport, import_tasks, project_tasks
from eventcoder.schema.codebook import Codebook
from eventcoder.settings import server_settings
from tests.lsserver import LabelStudioServer

DATA = Path(__file__).resolve().parent.parent / "data"
VALUE_KEYS = {"Choices": "choices", "TextArea": "text", "Number": "number", "DateTime": "datetime"}

SYRIA = "Military Forces of Syria (2000-2024)"
AL_BARA = {
    "event_date": "2024-05-03",
    "time_precision": 1,
    "event_type": "Explosions/Remote violence",
    "sub_event_type": "Shelling/artillery/missile attack",
    "actor1": SYRIA,
    "inter1": "State forces",
    "actor2": "Civilians (Syria)",
    "inter2": "Civilians",
    "civilian_targeting": "Civilian targeting",
    "location": "Al Bara",
    "geo_precision": 1,
    "fatalities": 2,
    "notes": "Government forces shelled Al Bara; two civilians killed.",
}
# the same event as another coder saw it: another sub-event type and another death toll
AL_BARA_OTHER = {
    **AL_BARA,
    "sub_event_type": "Air/drone strike",
    "fatalities": 3,
    "notes": "Strike on Al Bara, three dead.",
}
KANSAFRA = {
    "event_date": "2024-05-03",
    "time_precision": 1,
    "event_type": "Explosions/Remote violence",
    "sub_event_type": "Shelling/artillery/missile attack",
    "actor1": SYRIA,
    "inter1": "State forces",
    "location": "Kansafra",
    "geo_precision": 1,
    "fatalities": 0,
    "notes": "Artillery fire struck Kansafra; no casualties.",
}
CLASH = {
    "event_date": "2024-05-05",
    "time_precision": 1,
    "event_type": "Battles",
    "sub_event_type": "Armed clash",
    "actor1": "HTS: Hayat Tahrir al Sham",
    "inter1": "Rebel group",
    "actor2": SYRIA,
    "inter2": "State forces",
    "location": "Saraqab",
    "geo_precision": 2,
    "fatalities": 4,
    "notes": "HTS and government forces clashed outside Saraqab; four fighters killed.",
}
PROTEST = {
    "event_date": "2024-05-07",
    "time_precision": 1,
    "event_type": "Protests",
    "sub_event_type": "Peaceful protest",
    "actor1": "Protesters (Syria)",
    "inter1": "Protesters",
    "location": "Idleb",
    "geo_precision": 1,
    "fatalities": 0,
    "notes": "Hundreds protested bread prices in Idleb city.",
    "tags": "crowd size=hundreds",
}
DRONE = {
    "event_date": "2024-05-09",
    "time_precision": 1,
    "event_type": "Explosions/Remote violence",
    "sub_event_type": "Air/drone strike",
    "actor1": "Military Forces of Russia (2000-)",
    "inter1": "External/Other forces",
    "actor2": "Civilians (Syria)",
    "inter2": "Civilians",
    "location": "Atma",
    "geo_precision": 2,
    "fatalities": 1,
    "notes": "A drone struck a vehicle near Atma, killing one man.",
}
NO_FATALITIES = {k: v for k, v in DRONE.items() if k != "fatalities"}  # a required field left out

# The phrase each event is marked on, by article.
SPANS = {
    ("art-001", "Al Bara"): "Syrian government forces shelled the village of Al Bara",
    ("art-001", "Kansafra"): "artillery fire struck Kansafra",
    ("art-002", "Saraqab"): "HTS fighters clashed with Syrian government forces",
    ("art-003", "Idleb"): "Hundreds of people demonstrated peacefully in Idleb city",
    ("art-004", "Atma"): "prices rose again",
    ("art-005", "Atma"): "a drone struck a vehicle near Atma, killing one man",
}

# article -> coder -> events, or "skip"
PLAN: dict[str, dict[str, Any]] = {
    # coder 2 codes Al Bara differently and finds an extra event (Kansafra) coder 1 missed
    "art-001": {"one": [AL_BARA], "two": [AL_BARA_OTHER, KANSAFRA], "three": "skip"},
    "art-002": {"one": [CLASH], "two": [CLASH], "three": [CLASH]},
    "art-003": {"one": [PROTEST], "three": [PROTEST]},
    # coder 2 submits with no event; coder 3's event lacks fatalities, so it is rejected
    "art-004": {"two": [], "three": [NO_FATALITIES]},
    "art-005": {"one": [DRONE], "three": [DRONE]},
}


def _post(coder: Coder, url: str, task_id: int, result: list | None) -> int:
    """Post one annotation with the coder's own token; return its id."""
    with connection(server_settings(url, coder.token.reveal())) as ls:
        if result is None:
            made = call(ls.annotations.create, id=task_id, result=[], was_cancelled=True)
        else:
            made = call(ls.annotations.create, id=task_id, result=result, lead_time=12.5)
    return made.id


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


@pytest.mark.server
def test_codebook_to_tables_end_to_end(ls_server: LabelStudioServer, tmp_path: Path) -> None:
    cb = Codebook.default()
    settings = server_settings(ls_server.url, ls_server.token)
    config = labeling_config(cb)
    controls = parse_controls(config)

    project = create_project(settings, cb, title="end to end", overlap=3)
    articles = read_articles(DATA / "articles.jsonl")
    assert import_tasks(settings, project.id, articles) == ImportReport(5, 0, (), 5)
    assert import_tasks(settings, project.id, articles) == ImportReport(0, 5, (), 5)
    tasks = project_tasks(settings, project.id)
    assert sorted(tasks) == [a.id for a in articles]
    text = {a.id: a.text for a in articles}

    suffix = project.id  # accounts are per server; the session's server is shared
    coders = {
        name: create_coder(settings, f"coder-{name}-{suffix}@example.org")
        for name in ("one", "two", "three")
    }
    expected: list[dict[str, Any]] = []  # one row per event posted in an accepted annotation
    skipped: list[tuple[int, str]] = []
    rejected: list[int] = []
    for article_id, by_coder in PLAN.items():
        task_id = tasks[article_id].task_id
        for name, events in by_coder.items():
            coder = coders[name]
            if events == "skip":
                skipped.append((_post(coder, ls_server.url, task_id, None), coder.email))
                continue
            result, rows = [], []
            for i, event in enumerate(events):
                key = f"{name}-{article_id}-{i}"
                phrase = SPANS[(article_id, event["location"])]
                start = text[article_id].index(phrase)
                span = {"span_start": start, "span_end": start + len(phrase)}
                result += event_results(
                    {**event, **span},
                    cb,
                    text[article_id],
                    region=key,
                    controls=controls,
                    origin="manual",
                )
                rows.append(
                    {
                        "task_id": task_id,
                        "article_id": article_id,
                        "coder": coder.email,
                        "event_key": key,
                        "span_start": start,
                        "span_end": start + len(phrase),
                        "evidence": phrase,
                        **event,
                    }
                )
            annotation_id = _post(coder, ls_server.url, task_id, result)
            if any("fatalities" not in event for event in events):
                rejected.append(annotation_id)
            else:
                expected += [{**row, "annotation_id": annotation_id} for row in rows]

    path = pull_export(settings, project.id, tmp_path / "export.json")
    assert ls_server.token.encode() not in path.read_bytes()
    assert all(c.token.reveal().encode() not in path.read_bytes() for c in coders.values())
    conversion = read_export(path, cb)

    # every annotation is accounted for, and the counts add up
    posted = sum(len(by_coder) for by_coder in PLAN.values())
    assert (conversion.total, conversion.accepted, conversion.rejected) == (posted, 10, 1)
    assert conversion.skipped_count == 1
    assert conversion.total == conversion.accepted + conversion.rejected + conversion.skipped_count
    line = f"{posted} annotations: 10 accepted, 1 rejected, 1 skipped"
    assert conversion.reconciliation() == line

    # the skipped annotation, by coder email
    assert sorted(
        zip(conversion.skipped["annotation_id"], conversion.skipped["coder"], strict=True)
    ) == sorted(skipped)

    # the rejected annotation: its missing field is named
    rejects = conversion.rejects.filter(pl.col("annotation_id").is_in(rejected))
    assert rejects.height >= 1
    missing = rejects.filter(pl.col("rule") == "required-field")
    assert missing["field"].to_list() == ["fatalities"]
    assert missing["coder"].to_list() == [coders["three"].email]
    assert set(conversion.rejects["annotation_id"]) == set(rejected)

    # the accepted events, field by field
    table = conversion.annotations.sort("annotation_id", "event_key")
    expected.sort(key=lambda row: (row["annotation_id"], row["event_key"]))
    assert table.height == len(expected) == 10
    assert set(table["project_id"]) == {project.id}
    for got, want in zip(table.iter_rows(named=True), expected, strict=True):
        for field, value in want.items():
            assert _plain(got[field]) == value, (want["event_key"], field)
        assert got["lead_time"] == 12.5
        # a field nobody coded is empty, not invented
        for field in ("actor2", "inter2", "civilian_targeting", "tags"):
            if field not in want:
                assert got[field] in (None, ""), (want["event_key"], field)

    # the disagreement and the extra event are there as coded
    al_bara = table.filter(pl.col("location") == "Al Bara").sort("coder")
    assert al_bara.select("coder", "sub_event_type", "fatalities").rows() == sorted(
        [
            (coders["one"].email, "Shelling/artillery/missile attack", 2),
            (coders["two"].email, "Air/drone strike", 3),
        ]
    )
    kansafra = table.filter(pl.col("location") == "Kansafra")
    assert kansafra["coder"].to_list() == [coders["two"].email]
    # the coder who found no event on art-004 has an accepted annotation with no rows
    assert table.filter(pl.col("article_id") == "art-004").height == 0


def test_plan_uses_only_sample_articles() -> None:
    ids = {a.id for a in read_articles(DATA / "articles.jsonl")}
    assert set(PLAN) <= ids
    texts: dict[str, str] = {a.id: a.text for a in read_articles(DATA / "articles.jsonl")}
    for (article_id, _), phrase in SPANS.items():
        assert phrase in texts[article_id], (article_id, phrase)
