"""Importing articles as Label Studio tasks, exactly once each.

Label Studio does not deduplicate: importing the same file twice makes every task twice. So an
import first lists the article ids the project holds (``task.data.id``) and sends only articles
that are not there. An article whose id is there with another title or text is *reported* as
changed and not sent again: its task may carry annotations already, and replacing the text under
them would move their offsets. Edit such a task on the server, or import it under a new id.

Crash safety: one import request is one database transaction on the server, so after a crash
each batch is either wholly there or not at all. The batch POST is never retried blindly (an
answer lost on the way back would make a second copy): after a failed POST the project is listed
again and only what is still missing is sent. Running an interrupted import again ends with one
task per article.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from eventcoder.annotate.articles import Article
from eventcoder.annotate.client import FIRST_DELAY, MAX_DELAY, RETRIES, call, connection
from eventcoder.errors import InputError, ServerError
from eventcoder.settings import ServerSettings

Progress = Callable[[int, int | None], None]
PAGE_SIZE = 5000


@dataclass(frozen=True)
class ImportReport:
    """What an import did: articles added, already there unchanged, there but changed.

    ``changed`` holds the ids of articles whose title or text differ from the task on the server;
    those were not imported again. ``total`` is the number of articles given.
    """

    added: int
    unchanged: int
    changed: tuple[str, ...]
    total: int


@dataclass(frozen=True)
class ServerTask:
    """A task as listed from the server: its task id and the article fields that identify it."""

    task_id: int
    article_id: str
    title: str
    text: str


def project_tasks(settings: ServerSettings, project_id: int) -> dict[str, ServerTask]:
    """Return the project's tasks by article id (``data.id``); tasks without one are left out."""
    with connection(settings) as ls:
        return _listed(ls, project_id)


def import_tasks(
    settings: ServerSettings,
    project_id: int,
    articles: Sequence[Article],
    *,
    batch_size: int = 500,
    on_progress: Progress | None = None,
) -> ImportReport:
    """Return what importing ``articles`` into the project did; only new articles are sent.

    Articles go in batches of ``batch_size``; ``on_progress(done, total)`` is called after each
    with the number of new articles on the server so far. Raises ``InputError`` if two articles
    share an id, ``ServerError`` if the server cannot be reached (run the import again: it
    resumes where it stopped).
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be 1 or more, not {batch_size}")
    _check_unique(articles)
    progress = on_progress or (lambda _done, _total: None)
    with connection(settings) as ls:
        existing = _listed(ls, project_id)
        new = [a for a in articles if a.id not in existing]
        changed = tuple(
            a.id
            for a in articles
            if a.id in existing and (existing[a.id].title, existing[a.id].text) != (a.title, a.text)
        )
        pending = list(new)
        progress(0, len(new))
        while pending:
            batch, pending = pending[:batch_size], pending[batch_size:]
            pending = _send(ls, project_id, batch) + pending
            progress(len(new) - len(pending), len(new))
    return ImportReport(
        added=len(new),
        unchanged=len(articles) - len(new) - len(changed),
        changed=changed,
        total=len(articles),
    )


def _send(ls: Any, project_id: int, batch: list[Article]) -> list[Article]:
    """POST one batch; return the articles of it that are still not on the server (normally none).

    On a lost answer or a 5xx the project is listed again, and the articles that did arrive
    (the batch committed before the answer was lost) are not sent twice.
    """
    what = f"importing {len(batch)} task(s) into project {project_id}"
    for attempt in range(RETRIES + 1):
        try:
            call(
                ls.projects.import_tasks,
                id=project_id,
                request=[a.task_data() for a in batch],
                return_task_ids=True,
                retries=0,
                what=what,
            )
            return []
        except ServerError as err:
            if (err.status is not None and err.status < 500) or attempt == RETRIES:
                raise
        time.sleep(min(FIRST_DELAY * 2**attempt, MAX_DELAY))
        there = _listed(ls, project_id)  # retried by call(); raises if the server stays away
        batch = [a for a in batch if a.id not in there]
        if not batch:
            return []
    raise AssertionError("unreachable")  # pragma: no cover


def _listed(ls: Any, project_id: int) -> dict[str, ServerTask]:
    """Return the project's tasks by article id, the first task kept when an id repeats."""

    def fetch() -> list[Any]:
        return list(ls.tasks.list(project=project_id, include="id,data", page_size=PAGE_SIZE))

    tasks = call(fetch, what=f"listing the tasks of project {project_id}")
    out: dict[str, ServerTask] = {}
    for task in sorted(tasks, key=lambda t: t.id):
        data = task.data or {}
        article_id = data.get("id")
        if article_id is None or str(article_id) in out:
            continue
        out[str(article_id)] = ServerTask(
            task_id=task.id,
            article_id=str(article_id),
            title=str(data.get("title") or ""),
            text=str(data.get("text") or ""),
        )
    return out


def _check_unique(articles: Sequence[Article]) -> None:
    seen: set[str] = set()
    for a in articles:
        if a.id in seen:
            raise InputError(f"article id {a.id!r} is given twice; ids must be unique.")
        seen.add(a.id)
