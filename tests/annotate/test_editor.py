"""Label Studio's own editor, driven in headless Chromium as a coder would use it: do the offsets
it stores cut the marked text out of articles with paragraphs, and does the converter take them?

Real articles come in paragraphs. A region after a line break is only right if the editor counts
the break as the converter does, and a region across one (an event told over two paragraphs) only
if its stored text keeps the break. Posting results through the API would prove neither: the
offsets would be ours.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import orjson
import pytest

from eventcoder.annotate.articles import read_articles
from eventcoder.annotate.client import create_coder
from eventcoder.annotate.config import control_field, labeling_config, parse_controls
from eventcoder.annotate.convert import read_export
from eventcoder.annotate.exports import pull_export
from eventcoder.annotate.projects import Project, create_project
from eventcoder.annotate.tasks import import_tasks, project_tasks
from eventcoder.schema.codebook import Codebook
from eventcoder.settings import ServerSettings, server_settings
from tests.browser import chromium, code_in_editor, fill_region, sign_in
from tests.lsserver import LabelStudioServer

PARAGRAPHS = [
    "Warplanes struck the outskirts of Kansafra before dawn on 2 June.",
    "By the morning, rescuers in Ariha reported two people wounded.",
    "Local councils in Jabal al-Zawiya said the strikes went on into the evening.",
]
# (label, first words, last words): a region from the start of one to the end of the other.
MARKS = [
    ("Place", "Kansafra", "Kansafra"),  # before any line break
    ("Place", "Ariha", "Ariha"),  # after one
    ("Date", "2 June", "2 June"),
    ("Actor", "rescuers", "rescuers"),
    ("Place", "Jabal al-Zawiya", "Jabal al-Zawiya"),  # after two
    ("Date", "before", "morning"),  # across a break
    ("Actor", "rescuers", "Ariha"),  # a tab inside, in one layout
]
# How the paragraphs are joined, and spacing as pasted articles have it (doubled spaces, a tab).
LAYOUTS = {
    "lf": ("\n\n", {}),
    "crlf": ("\r\n", {}),
    "spacing": ("\n\n", {"before dawn": "before  dawn", "in Ariha": "in\tAriha", ".": ".  "}),
    # lines holding one space between paragraphs, as articles saved from web pages have them
    "blank-lines": (" \n \n", {}),
    # no-break spaces, as text copied from web pages has them
    "nbsp": (
        "\n\n",
        {"2 June": "2\u00a0June", "Jabal al": "Jabal\u00a0al", "in Ariha": "in\u00a0Ariha"},
    ),
}


def _respaced(words: str, spacing: dict[str, str]) -> str:
    """``words`` with the layout's spacing, where the words contain a respaced phrase."""
    for plain, spaced in spacing.items():
        if len(plain) > 1 and plain in words:
            words = words.replace(plain, spaced)
    return words


def _project(
    settings: ServerSettings, cb: Codebook, title: str, articles: list[dict], folder: Path
) -> tuple[Project, dict[str, int]]:
    """A new project with ``articles`` imported (from a JSON-lines file, as users do); the task
    id of each article."""
    source = folder / "articles.jsonl"
    source.write_bytes(b"".join(orjson.dumps(a) + b"\n" for a in articles))
    project = create_project(settings, cb, title=title, overlap=1)
    import_tasks(settings, project.id, read_articles(source))
    return project, {k: t.task_id for k, t in project_tasks(settings, project.id).items()}


def _layout(name: str) -> tuple[str, list[tuple]]:
    """The article text of a layout, and the marks with its spacing."""
    newline, spacing = LAYOUTS[name]
    paragraphs = list(PARAGRAPHS)
    for plain, spaced in spacing.items():
        paragraphs = [p.replace(plain, spaced, 1) for p in paragraphs]
    marks = [(label, *(_respaced(w, spacing) for w in words)) for label, *words in MARKS]
    return newline.join(paragraphs), marks


@pytest.mark.server
@pytest.mark.browser
def test_editor_offsets_hold_across_paragraphs(
    ls_server: LabelStudioServer, tmp_path: Path
) -> None:
    # One article per layout, all coded by one coder in one browser session.
    cb = Codebook.default()
    settings = server_settings(ls_server.url, ls_server.token)
    layouts = {name: _layout(name) for name in sorted(LAYOUTS)}
    articles = [{"id": name, "text": text} for name, (text, _) in layouts.items()]
    project, task_ids = _project(settings, cb, "paragraphs", articles, tmp_path)
    coder = create_coder(settings, "paragraphs@example.org")
    with chromium(tmp_path) as driver:
        sign_in(driver, ls_server.url, coder.email, coder.password.reveal())
        for name, (_, marks) in layouts.items():
            code_in_editor(driver, ls_server.url, project.id, task_ids[name], marks)

    export = pull_export(settings, project.id, tmp_path / "export.json")
    conv = read_export(export, cb)
    assert conv.rejects.height == 0, conv.rejects.to_dicts()
    assert conv.accepted == len(layouts)
    for name, (text, marks) in layouts.items():
        marked = {
            (row["label"], row["text"]): (row["span_start"], row["span_end"])
            for row in conv.mentions.filter(article_id=name).iter_rows(named=True)
        }
        for label, first, last in marks:
            start = text.index(first)
            end = text.index(last, start) + len(last)
            assert marked.get((label, text[start:end])) == (start, end), (name, label, marked)


# An event told over two paragraphs, coded field by field in the editor.
EVENT = {
    "event_date": dt.date(2020, 6, 2),
    "time_precision": 1,
    "event_type": "Explosions/Remote violence",
    "sub_event_type": "Air/drone strike",
    "actor1": "Military Forces of Russia (2000-)",
    "inter1": "External/Other forces",
    "actor2": "Civilians (Syria)",
    "inter2": "Civilians",
    "civilian_targeting": "Civilian targeting",
    "location": "Kansafra",
    "geo_precision": 1,
    "notes": "Russian warplanes struck Kansafra before dawn; two people wounded.",
    "fatalities": 0,
}


@pytest.mark.server
@pytest.mark.browser
def test_a_coder_codes_an_event_in_the_editor(ls_server: LabelStudioServer, tmp_path: Path) -> None:
    """Every control of the generated config can be filled in the real editor, and what the
    coder chose comes out of the converter as the event, derived fields included."""
    cb = Codebook.default()
    settings = server_settings(ls_server.url, ls_server.token)
    text, _ = _layout("spacing")
    article = {"id": "coded", "text": text, "source": "Enab Baladi"}
    project, task_ids = _project(settings, cb, "coded in the editor", [article], tmp_path)
    task = task_ids["coded"]
    coder = create_coder(settings, "editor-coder@example.org")
    tags = {}
    for control in parse_controls(labeling_config(cb)).values():
        field = control_field(control.name, cb)
        if field in EVENT:
            tags[field] = control.tag
    with chromium(tmp_path) as driver:
        sign_in(driver, ls_server.url, coder.email, coder.password.reveal())
        code_in_editor(
            driver,
            ls_server.url,
            project.id,
            task,
            [("Event", "Warplanes", "morning")],
            then=lambda: fill_region(
                driver, "Warplanes", {f: (tags[f], v) for f, v in EVENT.items()}
            ),
        )

    conv = read_export(pull_export(settings, project.id, tmp_path / "export.json"), cb)
    assert conv.reconciliation() == "1 annotations: 1 accepted, 0 rejected, 0 skipped"
    event = conv.annotations.row(0, named=True)
    assert {f: event[f] for f in EVENT} == EVENT
    start = text.index("Warplanes")
    end = text.index("morning") + len("morning")
    assert (event["span_start"], event["span_end"]) == (start, end)
    assert event["evidence"] == text[start:end]
    # derived by the codebook's rules and reference lists, not typed by the coder
    assert (event["disorder_type"], event["interaction"], event["year"]) == (
        "Political violence",
        "External/Other forces-Civilians",
        2020,
    )
    assert (event["country"], event["admin1"], event["source"]) == ("Syria", "Idleb", "Enab Baladi")
