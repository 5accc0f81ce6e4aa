"""Pre-annotation: Label Studio predictions for articles, made under the generated config.

For each article, :func:`predict_articles` returns the results a coder would make, marked as
predictions:

- an ``Event`` region over each sentence the text model takes to report an event, with its
  event type and sub-event type (under the conditional group that offers it), the first and
  second actor named in the sentence and their types on the event date (from the actor list),
  the first place named (its gazetteer name, coordinates and admin levels) and the date written
  in the sentence;
- ``Actor``, ``Place`` and ``Date`` mention regions wherever the reference lists' names
  (alternate spellings included) and dates occur in the article.

Names are looked up within the article's country: the task's ``country`` when it has one, else
the country whose places the article names most often. A name the lists do not hold is not
guessed. Regions carry the model's score; the prediction's score is the mean over its events.
Offsets are Python string indices (Unicode code points), as the editor counts them.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from eventcoder.annotate.client import call, connection
from eventcoder.annotate.config import (
    LABELS_NAME,
    TEXT_NAME,
    Control,
    labeling_config,
    parse_controls,
)
from eventcoder.annotate.results import event_results
from eventcoder.annotate.tasks import project_tasks
from eventcoder.model.textmodel import TextModel
from eventcoder.schema.codebook import Codebook
from eventcoder.settings import ServerSettings

_SENTENCE = re.compile(r"[^\s].*?(?:[.!?](?=[\s\"'”’)\]]|$)|$)", re.S)
_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        (
            "january february march april may june july august september october november december"
        ).split()
    )
}
_MONTH = "|".join(_MONTHS)
_DATE = re.compile(
    rf"\b(?:(?P<d1>\d{{1,2}})\s+(?P<m1>{_MONTH})\s+(?P<y1>\d{{4}})"
    rf"|(?P<m2>{_MONTH})\s+(?P<d2>\d{{1,2}}),?\s+(?P<y2>\d{{4}})"
    r"|(?P<y3>\d{4})-(?P<m3>\d{2})-(?P<d3>\d{2}))\b",
    re.I,
)


@dataclass(frozen=True)
class Mention:
    """A name of the reference lists, or a date, found in an article."""

    label: str  # Actor, Place, Date
    start: int
    end: int
    value: str  # the list's name, or the ISO date
    entries: tuple[Mapping[str, Any], ...] = ()  # the list's rows for that name


@dataclass(frozen=True)
class ArticlePrediction:
    """The prediction for one article: Label Studio results, score, and what they hold."""

    article_id: str
    result: list[dict[str, Any]]
    score: float | None
    regions: int  # event regions
    mentions: int
    country: str | None


def sentences(text: str) -> list[tuple[int, int]]:
    """Offsets of the sentences of ``text``: up to a full stop, question or exclamation mark."""
    return [(m.start(), m.end()) for m in _SENTENCE.finditer(text) if m.group().strip()]


def find_dates(text: str) -> list[Mention]:
    """Dates written as ``3 June 2020``, ``June 3, 2020`` or ``2020-06-03``, as ISO dates."""
    out = []
    for m in _DATE.finditer(text):
        g = m.groupdict()
        day = g["d1"] or g["d2"] or g["d3"]
        month = g["m1"] or g["m2"]
        year = g["y1"] or g["y2"] or g["y3"]
        month_no = _MONTHS[month.lower()] if month else int(g["m3"])
        try:
            iso = date(int(year), month_no, int(day)).isoformat()
        except ValueError:
            continue
        out.append(Mention("Date", m.start(), m.end(), iso))
    return out


class NameFinder:
    """Finds the actor list's and gazetteer's names in texts, case-insensitively, whole words.

    Actors are found by their listed name and by that name without a trailing bracket
    (``Military Forces of Kenya`` for ``Military Forces of Kenya (2015-)``); places by their
    name and every alternate name.
    """

    def __init__(self, cb: Codebook):
        self._entries: dict[str, list[tuple[str, Mapping[str, Any]]]] = {}
        refs = cb.references
        if refs.actors is not None:
            for row in refs.actors.iter_rows(named=True):
                name = str(row["name"])
                for key in {name, re.sub(r"\s*\([^)]*\)\s*$", "", name)}:
                    self._add(key, "Actor", row)
        if refs.gazetteer is not None:
            for row in refs.gazetteer.iter_rows(named=True):
                names = [row["location"], *str(row.get("alternate_names") or "").split(";")]
                for key in names:
                    self._add(str(key or ""), "Place", row)
        self._pattern = (
            re.compile(r"(?<!\w)" + trie_pattern(self._entries) + r"(?!\w)", re.I)
            if self._entries
            else None
        )

    def _add(self, key: str, label: str, row: Mapping[str, Any]) -> None:
        key = key.strip()
        if len(key) >= 3:  # two letters match inside too many ordinary words' neighbours
            self._entries.setdefault(key.lower(), []).append((label, row))

    def find(self, text: str) -> list[tuple[int, int, str, list[tuple[str, Mapping[str, Any]]]]]:
        """Every (start, end, matched text, [(label, list row), ...]) in ``text``."""
        if self._pattern is None:
            return []
        return [
            (m.start(), m.end(), m.group(), self._entries[m.group().lower()])
            for m in self._pattern.finditer(text)
        ]


def trie_pattern(words: Iterable[str]) -> str:
    """A regular expression matching any of ``words``, longest first, as a trie of characters.

    A flat alternation of 20,000 gazetteer names makes the regex engine try each name at each
    position of the text; the trie tries only the names that continue what has matched so far.
    """
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def pattern(node: dict[str, Any]) -> str:
        branches = [re.escape(ch) + pattern(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return f"(?:{pattern(trie)})"


def _country_of(found: list[Any], given: str | None) -> str | None:
    if given:
        return given
    votes: dict[str, int] = {}
    for _, _, _, entries in found:
        for country in {row.get("country") for label, row in entries if label == "Place"}:
            if country:
                votes[country] = votes.get(country, 0) + 1
    return max(sorted(votes), key=lambda c: votes[c]) if votes else None


def mentions(
    text: str, finder: NameFinder, country: str | None = None
) -> tuple[list[Mention], str | None]:
    """Actor, place and date mentions in ``text`` within its country, and that country."""
    found = finder.find(text)
    country = _country_of(found, country)
    out: list[Mention] = []
    for start, end, _, entries in found:
        for label in ("Actor", "Place"):
            rows = [
                row
                for lab, row in entries
                if lab == label and (country is None or row.get("country") in (None, country))
            ]
            if rows:
                name = rows[0]["name" if label == "Actor" else "location"]
                out.append(Mention(label, start, end, str(name), tuple(rows)))
                break
    out.extend(find_dates(text))
    return sorted(out, key=lambda m: (m.start, m.end)), country


def _actor_type(rows: Sequence[Mapping[str, Any]], on: str | None) -> str | None:
    """The actor's type on date ``on`` (ISO), else the type that holds on (no end date)."""
    day = date.fromisoformat(on) if on else None
    for row in rows:
        start, end = row.get("start_date"), row.get("end_date")
        if day and (start is None or start <= day) and (end is None or day <= end):
            return str(row["type"])
    open_ended = [r for r in rows if r.get("end_date") is None]
    return str((open_ended or list(rows))[0]["type"]) if rows else None


def _event(
    start: int,
    end: int,
    pred: Mapping[str, Any],
    found: list[Mention],
    model: TextModel,
    country: str | None,
) -> dict[str, Any]:
    """The fields of the event a sentence reports, from the model and the mentions in it."""
    h = model.hierarchy
    event: dict[str, Any] = {
        "span_start": start,
        "span_end": end,
        h.event_field: pred[h.event_field],
    }
    if h.sub_field:
        event[h.sub_field] = pred[h.sub_field]
    inside = [m for m in found if start <= m.start and m.end <= end]
    dates = [m.value for m in inside if m.label == "Date"]
    if dates:
        event["event_date"] = dates[0]
    actors: list[Mention] = []
    for m in inside:
        if m.label == "Actor" and m.value not in [a.value for a in actors]:
            actors.append(m)
    for i, m in enumerate(actors[:2], start=1):
        event[f"actor{i}"] = m.value
        event[f"inter{i}"] = _actor_type(m.entries, event.get("event_date"))
    places = [m for m in inside if m.label == "Place"]
    if places:
        row = places[0].entries[0]
        event["location"] = places[0].value
        for key in ("country", "admin1", "admin2", "admin3", "latitude", "longitude"):
            if row.get(key) is not None:
                event[key] = row[key]
    elif country:
        event["country"] = country
    return event


def _mention_result(m: Mention, text: str, region: str) -> dict[str, Any]:
    return {
        "id": region,
        "from_name": LABELS_NAME,
        "to_name": TEXT_NAME,
        "type": "labels",
        "origin": "prediction",
        "value": {
            "start": m.start,
            "end": m.end,
            "text": text[m.start : m.end],
            "labels": [m.label],
        },
    }


def _field(article: Any, name: str) -> Any:
    return article.get(name) if isinstance(article, Mapping) else getattr(article, name, None)


def predict_articles(
    articles: Sequence[Any],
    model: TextModel,
    cb: Codebook,
    *,
    controls: Mapping[str, Control] | None = None,
) -> list[ArticlePrediction]:
    """A prediction per article (a mapping or :class:`Article` with ``id`` and ``text``).

    The model must have been trained for ``cb`` (checked). Sentences are scored in one batch.
    """
    model.check_codebook(cb)
    controls = controls if controls is not None else parse_controls(labeling_config(cb))
    finder = NameFinder(cb)
    texts = [str(_field(a, "text") or "") for a in articles]
    spans = [sentences(t) for t in texts]
    flat = [t[s:e] for t, sp in zip(texts, spans, strict=True) for s, e in sp]
    scored = model.predict(flat).to_dicts() if flat else []
    out: list[ArticlePrediction] = []
    k = 0
    for article, text, sp in zip(articles, texts, spans, strict=True):
        found, country = mentions(text, finder, _field(article, "country"))
        result: list[dict[str, Any]] = []
        scores: list[float] = []
        for s, e in sp:
            pred = scored[k]
            k += 1
            if not pred["reports_event"]:
                continue
            region = f"ev{len(scores) + 1}"
            entries = event_results(
                _event(s, e, pred, found, model, country),
                cb,
                text,
                region=region,
                controls=controls,
            )
            for entry in entries:
                entry["score"] = round(float(pred["score"]), 4)
            result.extend(entries)
            scores.append(float(pred["score"]))
        for i, m in enumerate(found, start=1):
            result.append(_mention_result(m, text, f"m{i}"))
        out.append(
            ArticlePrediction(
                article_id=str(_field(article, "id")),
                result=result,
                score=round(sum(scores) / len(scores), 4) if scores else None,
                regions=len(scores),
                mentions=len(found),
                country=country,
            )
        )
    return out


# --------------------------------------------------------------------------------------------
# On the server
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PredictionReport:
    """What pushing predictions did, per task: added, replaced (same model version), unchanged."""

    added: int
    replaced: int
    unchanged: int
    without_task: tuple[str, ...]  # article ids the project has no task for
    model_version: str
    regions: int = 0  # event regions predicted


def push_predictions(
    settings: ServerSettings,
    project_id: int,
    predictions: Sequence[ArticlePrediction],
    model_version: str,
    *,
    batch_size: int = 500,
) -> PredictionReport:
    """Attach ``predictions`` to the project's tasks (by article id) under ``model_version``.

    A task's earlier predictions of the same model version are replaced (deleted, then the new
    one posted) unless they are exactly the new one, which is then left alone; predictions of
    other model versions are never touched. Running it again adds nothing. The project is set
    to show this model version's predictions to coders (``model_version``,
    ``show_collab_predictions``).
    """
    tasks = project_tasks(settings, project_id)
    with connection(settings) as ls:
        existing = call(
            ls.predictions.list,
            project=project_id,
            what=f"listing the predictions of project {project_id}",
        )
        ours: dict[int, list[Any]] = {}
        for p in existing:
            if p.model_version == model_version:
                ours.setdefault(int(p.task), []).append(p)
        to_send: list[dict[str, Any]] = []
        to_delete: list[int] = []
        added = replaced = unchanged = 0
        missing = []
        for pred in predictions:
            task = tasks.get(pred.article_id)
            if task is None:
                missing.append(pred.article_id)
                continue
            old = ours.get(task.task_id, [])
            if len(old) == 1 and _same(old[0], pred):
                unchanged += 1
                continue
            if old:
                replaced += 1
                to_delete.extend(int(p.id) for p in old)
            else:
                added += 1
            to_send.append(
                {
                    "task": task.task_id,
                    "result": pred.result,
                    "score": pred.score,
                    "model_version": model_version,
                }
            )
        for pid in to_delete:
            call(ls.predictions.delete, id=pid, what=f"deleting prediction {pid}")
        for i in range(0, len(to_send), batch_size):
            call(
                ls.projects.import_predictions,
                id=project_id,
                request=to_send[i : i + batch_size],
                retries=0,  # a repeated POST could add the batch twice; re-running is safe
                what=f"importing {len(to_send[i : i + batch_size])} prediction(s)",
            )
        # Coders' editors pre-fill new annotations from this model version's predictions.
        call(
            ls.projects.update,
            id=project_id,
            model_version=model_version,
            show_collab_predictions=True,
            what=f"showing {model_version} to the coders of project {project_id}",
        )
    return PredictionReport(added, replaced, unchanged, tuple(missing), model_version)


def _same(old: Any, new: ArticlePrediction) -> bool:
    old_score = None if old.score is None else round(float(old.score), 4)
    return bool(old.result == new.result and old_score == new.score)


def preannotate(
    settings: ServerSettings,
    project_id: int,
    articles: Sequence[Any] | None,
    model: TextModel,
    cb: Codebook,
    model_version: str,
) -> PredictionReport:
    """Predict for ``articles`` (None: every task of the project) and push the predictions."""
    if articles is None:
        tasks = project_tasks(settings, project_id)
        articles = [{"id": t.article_id, "text": t.text} for t in tasks.values()]
    predictions = predict_articles(articles, model, cb)
    report = push_predictions(settings, project_id, predictions, model_version)
    return dataclasses.replace(report, regions=sum(p.regions for p in predictions))
