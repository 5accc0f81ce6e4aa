"""Pulling a project's annotations from Label Studio into a JSON file.

eventcoder pulls a *snapshot* export, not the quick one, because only a snapshot can carry full
user objects: with ``only_id: false`` each annotation's ``completed_by`` holds the coder's email,
which stays the same across servers and re-installs, where the numeric id does not. Predictions
come as full objects too, so the converter can keep them apart from human annotations.
Cancelled (skipped) annotations are included, so that every annotation is accounted for.

The file is streamed to a temporary file beside the target and renamed into place at the end:
a pull cut off half-way leaves the previous file (if any) as it was and no partial file.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from eventcoder.annotate.client import call, connection
from eventcoder.errors import ServerError
from eventcoder.files import atomic_path
from eventcoder.settings import ServerSettings

Progress = Callable[[int, int | None], None]
CHUNK = 1 << 20
EXPORT_TIMEOUT = 600.0  # seconds to wait for the server to build a large snapshot

SERIALIZATION = {
    "annotations__completed_by": {"only_id": False},
    "predictions": {"only_id": False},
}
ANNOTATIONS = {"usual": True, "skipped": True}


def pull_export(
    settings: ServerSettings,
    project_id: int,
    path: str | Path,
    *,
    only_annotated: bool = False,
    on_progress: Progress | None = None,
) -> Path:
    """Return ``path`` after writing the project's snapshot export (JSON) to it.

    Every task is included unless ``only_annotated``; each annotation carries its coder's
    email; skipped annotations and predictions are included. ``on_progress(bytes, None)`` is
    called as chunks arrive (the server does not say the size beforehand). A download that
    breaks off is retried from the start; if it fails for good, ``ServerError`` is raised and
    nothing is left at ``path``.
    """
    path = Path(path)
    progress = on_progress or (lambda _done, _total: None)
    with connection(settings) as ls:
        export = call(
            ls.projects.exports.create,
            project_id,
            title="eventcoder snapshot",
            serialization_options=SERIALIZATION,
            annotation_filter_options=ANNOTATIONS,
            task_filter_options={"only_with_annotations": only_annotated},
            # a repeated create only makes a second snapshot on the server, which is harmless
            what=f"creating a snapshot export of project {project_id}",
        )
        export = _finished(ls, project_id, export)
        with atomic_path(path) as tmp:
            call(
                _download,
                ls,
                project_id,
                export.id,
                tmp,
                progress,
                what=f"downloading export {export.id} of project {project_id}",
            )
    return path


def _finished(ls: Any, project_id: int, export: Any) -> Any:
    """Return the export once the server says it is completed (1.23 builds small ones at once)."""
    deadline = time.monotonic() + EXPORT_TIMEOUT
    delay = 0.25
    while export.status != "completed":
        if export.status == "failed":
            raise ServerError(
                f"Label Studio could not build export {export.id} of project {project_id}: "
                "see the server's log."
            )
        if time.monotonic() > deadline:
            raise ServerError(
                f"Label Studio did not finish export {export.id} of project {project_id} in "
                f"{EXPORT_TIMEOUT:.0f} s: try again later."
            )
        time.sleep(delay)
        delay = min(delay * 2, 5.0)
        export = call(ls.projects.exports.get, project_id, export.id, what="reading export status")
    return export


def _download(ls: Any, project_id: int, export_id: int, tmp: Path, progress: Progress) -> None:
    """Stream one export file into ``tmp`` (from the start: a retry rewrites it)."""
    raw_client = ls.projects.exports.with_raw_response
    done = 0
    progress(done, None)
    with (
        raw_client.download(
            project_id, export_id, export_type="JSON", request_options={"chunk_size": CHUNK}
        ) as response,
        tmp.open("wb") as out,
    ):
        for chunk in response.data:
            out.write(chunk)
            done += len(chunk)
            progress(done, None)
