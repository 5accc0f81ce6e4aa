"""Label Studio projects made from a codebook: create one, find one again.

A project's labeling config and its coder instructions are both rendered from the codebook, so
the server never holds anything written by hand. Label Studio shows the instructions
(``expert_instruction``) as HTML; they are rendered from Markdown with raw HTML switched off,
so whatever the codebook says is shown as text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from markdown_it import MarkdownIt

from eventcoder.annotate.client import call, connection, host_of
from eventcoder.errors import ServerError
from eventcoder.schema.codebook import Codebook
from eventcoder.settings import ServerSettings

Progress = Callable[[int, int | None], None]


@dataclass(frozen=True)
class Project:
    """A Label Studio project: its id, title and the address to open it at."""

    id: int
    title: str
    url: str


def instructions_markdown(cb: Codebook) -> str:
    """Return the coder instructions as Markdown: the codebook's docs, then the coding layout."""
    from eventcoder.annotate.config import coder_layout_markdown
    from eventcoder.schema.docs import codebook_markdown

    return codebook_markdown(cb).rstrip() + "\n\n" + coder_layout_markdown(cb).strip() + "\n"


def instructions_html(cb: Codebook) -> str:
    """Return the coder instructions as HTML, every piece of codebook text escaped.

    Raw HTML in the Markdown is not passed through (``html: False``) and links with unsafe
    schemes (``javascript:``) are not made, so a codebook cannot inject markup into the page.
    """
    renderer = MarkdownIt("commonmark", {"html": False}).enable("table")
    html: str = renderer.render(instructions_markdown(cb))
    return html


def create_project(
    settings: ServerSettings,
    cb: Codebook,
    *,
    title: str,
    description: str | None = None,
    overlap: int = 2,
    on_progress: Progress | None = None,
) -> Project:
    """Return a new project whose labeling config and instructions come from ``cb``.

    ``overlap`` is how many coders code each task (Label Studio's ``maximum_annotations``):
    2 or 3 for agreement studies. The skip button is on, so a coder can pass over an article
    that reports no event; skips are exported and accounted for. Raises ``ServerError`` if a
    project with this title exists already (titles name projects in ``find_project``), or if
    the server refuses the config.
    """
    from eventcoder.annotate.config import labeling_config

    if overlap < 1:
        raise ValueError(f"overlap must be 1 or more, not {overlap}")
    title = title.strip()
    if not title:
        raise ValueError("a project needs a title")
    progress = on_progress or (lambda _done, _total: None)
    config = labeling_config(cb)
    instructions = instructions_html(cb)
    with connection(settings) as ls:
        progress(0, 2)
        same = [p for p in _all_projects(ls) if p.title == title]
        if same:
            raise ServerError(
                f"Label Studio at {host_of(settings.url)} has a project titled {title!r} already "
                f"(id {same[0].id}): choose another title, or import into that project.",
                host=host_of(settings.url),
            )
        progress(1, 2)
        # no retries: a create that reached the server but lost its answer would make a twin
        created = call(
            ls.projects.create,
            title=title,
            description=description or f"Coded with eventcoder codebook {cb.label}.",
            label_config=config,
            expert_instruction=instructions,
            show_instruction=True,
            show_skip_button=True,
            maximum_annotations=overlap,
            retries=0,
            what=f"creating project {title!r}",
        )
        progress(2, 2)
    return _project(settings, created)


def find_project(settings: ServerSettings, title_or_id: str | int) -> Project:
    """Return the project with this id (digits) or this exact title.

    Raises ``ServerError`` when there is none, or when several projects share the title (then
    the message lists their ids, to pass one instead).
    """
    key = str(title_or_id).strip()
    with connection(settings) as ls:
        if key.isdigit():
            try:
                found = call(ls.projects.get, int(key), what=f"reading project {key}")
            except ServerError as err:
                if err.status == 404:
                    raise ServerError(
                        f"Label Studio at {host_of(settings.url)} has no project with id {key}: "
                        "check the id (it is in the project's address).",
                        status=404,
                        host=host_of(settings.url),
                    ) from None
                raise
            return _project(settings, found)
        matches = [p for p in _all_projects(ls) if p.title == key]
    if not matches:
        raise ServerError(
            f"Label Studio at {host_of(settings.url)} has no project titled {key!r}: "
            "check the title, or pass the project's id.",
            status=404,
            host=host_of(settings.url),
        )
    if len(matches) > 1:
        ids = ", ".join(str(p.id) for p in matches)
        raise ServerError(
            f"Label Studio at {host_of(settings.url)} has {len(matches)} projects titled {key!r} "
            f"(ids {ids}): pass the id instead.",
            host=host_of(settings.url),
        )
    return _project(settings, matches[0])


def _all_projects(ls: Any) -> list[Any]:
    """Return every project the key can see (the SDK pager walks the pages)."""
    return call(lambda: list(ls.projects.list(page_size=100)), what="listing projects")


def _project(settings: ServerSettings, raw: Any) -> Project:
    return Project(id=raw.id, title=raw.title or "", url=f"{settings.url}/projects/{raw.id}/")
