"""News articles to be coded, read from JSONL or CSV files.

An article has an ``id`` (unique within the file and the project: it is how a re-import knows an
article is there already), its ``text`` and optionally a ``title``, ``source`` (the outlet),
``url`` and ``published`` (publication date, kept as written). Other columns or keys are ignored.
Text is kept verbatim, markup included: Label Studio shows it as text, never as HTML.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import orjson

from eventcoder.errors import InputError

FIELDS = ("id", "title", "text", "source", "url", "published")
ALIASES = {"publication_date": "published", "date": "published", "outlet": "source"}


@dataclass(frozen=True)
class Article:
    """One article: its id and text, and what is known about where it came from."""

    id: str
    text: str
    title: str = ""
    source: str = ""
    url: str = ""
    published: str = ""

    def task_data(self) -> dict[str, str]:
        """Return the Label Studio task data for this article (every field, ``""`` when unknown).

        Every key is always present so that ``$title`` in a labeling config never refers to a
        missing key, and the ``id`` key is how a later import recognises the task.
        """
        return asdict(self)


def read_articles(path: str | Path) -> list[Article]:
    """Return the articles in a ``.jsonl`` / ``.ndjson`` or ``.csv`` file, in file order.

    Raises ``InputError`` naming the file and line for a line that is not a JSON object, a
    missing or empty ``id`` or ``text``, or an id used twice.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        reader = _jsonl_rows
    elif suffix == ".csv":
        reader = _csv_rows
    else:
        raise InputError(
            f"{path}: unknown article file type {suffix or '(none)'!r}; use .jsonl or .csv.",
            path=str(path),
        )
    try:
        return _articles(path, reader(path))
    except FileNotFoundError:
        raise InputError(f"{path}: no such file.", path=str(path)) from None
    except UnicodeDecodeError as err:
        raise InputError(
            f"{path}: not UTF-8 text (byte {err.start}); save the file as UTF-8.", path=str(path)
        ) from None


def _articles(path: Path, rows: Iterable[tuple[int, dict[str, Any]]]) -> list[Article]:
    """Return the articles for ``(line, row)`` pairs, checking ids and text."""
    first_line: dict[str, int] = {}
    out: list[Article] = []
    for line, row in rows:
        values = _normalised(row)
        where = f"{path}:{line}"
        article_id = values.get("id", "")
        if not article_id:
            raise InputError(
                f"{where}: the article has no id; give every article an id.", path=str(path)
            )
        if article_id in first_line:
            raise InputError(
                f"{where}: duplicate id {article_id!r} (first on line {first_line[article_id]}); "
                "ids must be unique.",
                path=str(path),
            )
        if not values.get("text", "").strip():
            raise InputError(f"{where}: article {article_id!r} has no text.", path=str(path))
        first_line[article_id] = line
        out.append(Article(**{name: values.get(name, "") for name in FIELDS}))
    return out


def _normalised(row: dict[str, Any]) -> dict[str, str]:
    """Return the known fields of one row as strings, aliases renamed, ``None`` as ``""``."""
    values: dict[str, str] = {}
    for key, value in row.items():
        name = ALIASES.get(str(key).strip().lower(), str(key).strip().lower())
        if name not in FIELDS or (name in values and values[name]):
            continue
        values[name] = "" if value is None else str(value)
    # ids are compared as text: 7 in a JSONL file and "7" in a CSV file are the same article
    values["id"] = values.get("id", "").strip()
    return values


def _jsonl_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line number, object)`` for each non-blank line of a JSON-lines file."""
    with path.open("rb") as lines:
        for number, raw in enumerate(lines, 1):
            if not raw.strip():
                continue
            try:
                row = orjson.loads(raw)
            except orjson.JSONDecodeError as err:
                reason = str(err).split(":")[0]
                raise InputError(
                    f"{path}:{number}: not valid JSON ({reason}).", path=str(path)
                ) from None
            if not isinstance(row, dict):
                raise InputError(
                    f"{path}:{number}: expected a JSON object per line, got {type(row).__name__}.",
                    path=str(path),
                )
            yield number, row


def _csv_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line number where the record starts, row)`` for each record of a CSV file."""
    # Article texts are longer than the csv module's default 128 KiB field limit.
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None:
            return
        names = {ALIASES.get(n.strip().lower(), n.strip().lower()) for n in reader.fieldnames}
        missing = [n for n in ("id", "text") if n not in names]
        if missing:
            raise InputError(
                f"{path}:1: no {' or '.join(missing)} column; the header has "
                f"{', '.join(reader.fieldnames)}.",
                path=str(path),
            )
        start = reader.line_num + 1
        for row in reader:
            if None in row:  # more cells than header names
                raise InputError(
                    f"{path}:{start}: more values than header columns.", path=str(path)
                )
            yield start, row
            start = reader.line_num + 1
