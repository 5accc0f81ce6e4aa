"""Publishing immutable, versioned releases under ``ROOT/NAME/X.Y.Z/``.

What a release holds (events, event sources, annotations, rejects, decisions and review queue,
changes, the agreement report, the codebook and its reference lists, ids, changelog, card,
``datapackage.json``, ``SHA256SUMS``) is one table, :data:`eventcoder.datasets.release_files.FILES`,
whose entries also write the files; the Parquet tables are shaped and read in
:mod:`eventcoder.datasets.release_tables`, names, versions and the dataset's lock live in
:mod:`eventcoder.datasets.versions`, ``verify`` in :mod:`eventcoder.datasets.verify`.

``publish`` goes in steps: check the name and version and validate the gold events against the
codebook (:func:`valid_gold`), before anything is written; then, holding the dataset's lock, check
that the version is above every published one, read the previous release and assign ids
(:func:`_gold_events`), write the Parquet tables side by side (:func:`_write_tables`), the other
files in the table's order (:func:`_write_rest`), and move the folder into place (:func:`_seal`).
A release is built in a hidden folder beside the target and renamed into place at the end, so a
crash leaves no version folder; the next ``publish`` removes such leftovers (when the process
that made them is gone) and says so in one note.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import polars as pl

from eventcoder.datasets.adjudicate import Adjudication, adjudicate, read_adjudication
from eventcoder.datasets.changelog import Changes, diff_events
from eventcoder.datasets.ids import IdAssignment, assign_ids, id_field
from eventcoder.datasets.manifest import MANIFEST, read_manifest
from eventcoder.datasets.release_files import FILES, Build
from eventcoder.datasets.release_tables import events_table, read_events, stamp
from eventcoder.datasets.verify import VerifyReport, entries, is_linked, verify
from eventcoder.datasets.versions import (
    SEMVER,
    TEMP_MARK,
    check_case_twin,
    check_name,
    check_new_version,
    clean_stale,
    dataset_lock,
    parse_version,
    versions,
)
from eventcoder.errors import InputError, ReleaseError, ReleaseExistsError
from eventcoder.files import prepare_folder, sha256
from eventcoder.schema.codebook import Codebook
from eventcoder.schema.validation import ROW, read_table, validate

__all__ = [
    "MANIFEST",
    "SEMVER",
    "Release",
    "VerifyReport",
    "parse_version",
    "publish",
    "read_events",
    "verify",
    "versions",
]

PARTITION_ROWS = 1_000_000


@dataclass(frozen=True)
class Release:
    """A published release: where it is and what it holds."""

    path: Path
    name: str
    version: str
    events: int
    previous: str | None
    changes: dict[str, int]
    partitioned: bool
    files: tuple[str, ...]
    notes: tuple[str, ...] = ()
    # Events and rows of review.parquet (the queue published with an Adjudication); None when
    # the release was made from gold events alone and cannot say what awaits review.
    review: tuple[int, int] | None = None


@dataclass(frozen=True)
class _Gold:
    """The events of a new release, their ids and what changed against the previous one."""

    events: pl.DataFrame
    ids: IdAssignment
    changes: Changes
    articles: int


def gold_source(
    annotations: pl.DataFrame,
    cb: Codebook,
    *,
    adjudication: str | Path | None = None,
    gold: str | Path | None = None,
) -> Adjudication | pl.DataFrame:
    """Return what a release publishes as gold: an adjudication folder, a gold table, or neither.

    With neither, ``annotations`` (aligned) are adjudicated here with the default policy. Both
    at once is refused: the queue of one adjudication and the gold of another would not match.
    """
    if gold is not None and adjudication is not None:
        raise InputError(
            "give the adjudication folder (--adjudication) or gold events (--gold), not both"
        )
    if adjudication is not None:
        return read_adjudication(adjudication)
    if gold is not None:
        return read_table(gold)
    return adjudicate(annotations, cb)


def publish(
    gold: Adjudication | pl.DataFrame,
    annotations: pl.DataFrame,
    rejects: pl.DataFrame | None,
    agreement_dir: str | Path | None,
    cb: Codebook,
    *,
    name: str,
    version: str,
    root: str | Path = "datasets",
    title: str | None = None,
    license: str = "CC-BY-4.0",
    citation: str | None = None,
    partition_rows: int = PARTITION_ROWS,
    now: datetime | None = None,
    on_progress: Callable[[str], None] | None = None,
) -> Release:
    """Write release ``version`` of ``name`` under ``root``; return what was written.

    ``gold`` is an :class:`Adjudication` (its decisions and review queue are published too) or a
    frame of gold events with ``article_id`` and ``aligned_event``. Raises
    :class:`ReleaseExistsError` when the version exists, :class:`ReleaseError` when it is not
    above every published version.
    """
    say = on_progress or (lambda _msg: None)
    check_name(name)
    check_case_twin(root, name)
    parse_version(version)
    adj = gold if isinstance(gold, Adjudication) else None
    say("validating gold events")
    gold_frame = valid_gold(gold.gold if isinstance(gold, Adjudication) else gold, cb, version)
    folder = prepare_folder(Path(root) / name)  # read-only, or a file: one line, no traceback
    with dataset_lock(folder, say):
        # Under the lock: no other release of this dataset can publish between reading the
        # published versions (and the ids they issued) and renaming this one into place.
        previous = check_new_version(root, name, version)
        notes = clean_stale(folder)
        now = now or datetime.now(timezone.utc)
        say("assigning ids")
        prev_dir = folder / previous if previous else None
        new = _gold_events(gold_frame, cb, prev_dir, previous, now)
        build = Build(
            folder=_new_folder(folder, version),
            cb=cb,
            name=name,
            version=version,
            title=title or f"{name}: {cb.title}",
            license=license,
            citation=citation,
            now=now,
            events=new.events,
            ids=new.ids,
            annotations=annotations,
            rejects=rejects,
            adjudication=adj,
            agreement=None if agreement_dir is None else Path(agreement_dir),
            changes=new.changes,
            previous=previous,
            previous_folder=prev_dir,
            articles=new.articles,
            partitioned=new.events.height > partition_rows,
        )
        try:
            say("writing tables")
            _write_tables(build)
            say("writing the card and the package")
            _write_rest(build)
            say("moving into place")
            _seal(build.folder, folder / version, version)
        except BaseException:
            shutil.rmtree(build.folder, ignore_errors=True)
            raise
    return Release(
        folder / version,
        name,
        version,
        new.events.height,
        previous,
        new.changes.counts,
        build.partitioned,
        tuple(sorted(build.digests)),
        tuple(notes),
        None if adj is None else (adj.review["aligned_event"].n_unique(), adj.review.height),
    )


def _new_folder(folder: Path, version: str) -> Path:
    """A new hidden folder in ``folder`` to build the release in, named for the cleaner.

    Made by ``mkdir`` (not ``mkdtemp``, which makes it private), so its mode is what the umask
    gives any folder the user makes; :func:`_as_user_files` gives the files the same.
    """
    while True:
        tmp = folder / f".{version}{TEMP_MARK}{os.getpid()}-{secrets.token_hex(4)}"
        try:
            tmp.mkdir(mode=0o777)
            return tmp
        except FileExistsError:
            continue


def _as_user_files(tmp: Path) -> None:
    """Give every file and folder of the release the mode the umask gives the user's own.

    Some writers copy modes (an agreement report written 0600 by ``mkstemp``) or create files
    privately; a release is read by others, like any file its user writes.
    """
    folder_mode = tmp.stat().st_mode & 0o777
    file_mode = folder_mode & 0o666
    for path in tmp.rglob("*"):
        path.chmod(folder_mode if path.is_dir() else file_mode)


def valid_gold(gold: pl.DataFrame, cb: Codebook, version: str | None = None) -> pl.DataFrame:
    """``gold`` as the codebook reads it (canonical spellings, derived fields filled).

    Raises :class:`InputError` when it lacks the adjudication's columns and
    :class:`ReleaseError`, naming the first rows, rules and values, when any gold event breaks
    an error rule of the codebook: a release never publishes an event its codebook rejects.
    """
    for col in ("article_id", "aligned_event"):
        if col not in gold.columns:
            raise InputError(f"gold events lack the {col!r} column (adjudicate them first)")
    result = validate(gold, cb, "events")
    if result.rejected.height:
        errors = result.errors
        shown = "; ".join(
            f"row {r[ROW]}: {r['field']} {repr(r['value']) if r['value'] else 'blank'} "
            f"breaks {r['rule']}"
            for r in errors.head(3).iter_rows(named=True)
        )
        more = f" (and {errors.height - 3} more)" if errors.height > 3 else ""
        raise ReleaseError(
            f"{result.rejected.height} of {gold.height} gold event(s) break the codebook's "
            f"rules: {shown}{more}; correct them or adjudicate again",
            version=version,
        )
    return result.accepted


def _gold_events(
    gold: pl.DataFrame,
    cb: Codebook,
    prev_dir: Path | None,
    previous: str | None,
    now: datetime,
) -> _Gold:
    """The release's events table: ids inherited or issued, stamped, diffed against the last."""
    id_col = id_field(cb)
    stamp_col = cb.role("timestamp")
    prev_events: pl.DataFrame | None = None
    prev_joined: pl.DataFrame | None = None
    prev_serials: dict[str, int] = {}
    if prev_dir is not None and previous is not None:
        prev_events, prev_joined, prev_serials = _read_previous(prev_dir, previous, id_col)
    ids = assign_ids(gold, cb, prev_joined, prev_serials)
    events = events_table(ids.events, cb)
    changes = diff_events(
        prev_events, events, previous, id_col=id_col, ignore=(stamp_col,) if stamp_col else ()
    )
    events = stamp(events, prev_events, changes, now, stamp_col)
    return _Gold(events, ids, changes, gold["article_id"].n_unique())


# What a new release reads from the previous one: its ids and events, and the log it extends.
_BUILT_ON = ("ids.json", "event_sources.parquet", "CHANGELOG.md")


def _check_previous(prev_dir: Path, previous: str) -> None:
    """ReleaseError unless the files a new release builds on are as the previous one published.

    Ids are inherited from its events and issued above its ``ids.json``, and its changelog is
    carried over: a tampered or damaged previous release would pass its changes on unseen.
    """
    listed = read_manifest(prev_dir)
    events = [rel for rel in listed if rel == "events.parquet" or rel.startswith("events/")]
    # An events file added beside them would be read as the previous events too (events.parquet
    # before events/, every file under events/): it is named like a listed one that is missing.
    added = sorted(
        rel
        for rel in entries(prev_dir) - set(listed)
        if rel == "events.parquet" or rel.startswith("events/")
    )
    for rel in [*_BUILT_ON, *(events or ["events.parquet"]), *added]:
        target = prev_dir / rel
        if rel not in listed:
            problem = f"{rel} is not in its {MANIFEST}"
        elif is_linked(prev_dir, rel):
            problem = f"{rel} is a symbolic link"
        elif not target.is_file():
            problem = f"{rel} is missing"
        elif sha256(target) != listed[rel]:
            problem = f"{rel} changed since it was published"
        else:
            continue
        raise ReleaseError(
            f"the previous release {previous} ({prev_dir}) is not as published: {problem}; "
            "restore it from a copy (eventcoder verify names what changed): a release takes its "
            "ids and changelog from it",
            path=prev_dir,
            version=previous,
        )


def _read_previous(
    prev_dir: Path, previous: str, id_col: str
) -> tuple[pl.DataFrame, pl.DataFrame, dict[str, int]]:
    """The previous release's events, events joined to their sources, and highest serials."""
    _check_previous(prev_dir, previous)
    try:
        events = read_events(prev_dir)
        sources = pl.read_parquet(prev_dir / "event_sources.parquet", glob=False)
        joined = events.join(sources, on=id_col, how="left")
        serials = json.loads((prev_dir / "ids.json").read_text(encoding="utf-8"))["highest_serial"]
        if not isinstance(serials, dict) or not all(
            isinstance(k, str) and type(v) is int for k, v in serials.items()
        ):
            raise ValueError("ids.json: highest_serial is not a mapping of prefix to number")
    except (OSError, ValueError, KeyError, TypeError, pl.exceptions.PolarsError) as err:
        # Its checksums match, so the list was written again after the files were changed.
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise ReleaseError(
            f"the previous release {previous} ({prev_dir}) cannot be read: {reason}; restore "
            "it from a copy",
            path=prev_dir,
            version=previous,
        ) from None
    return events, joined, serials


def _write_tables(build: Build) -> None:
    """Write the release's Parquet tables side by side; keep their digests in ``build``.

    polars writes and hashlib hashes without holding the GIL: the tables are written side by
    side, each hashed as soon as it is written.
    """
    tables = [f for f in FILES if f.parquet and f.included(build)]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        futures = {f.name: pool.submit(f.write, build) for f in tables}
        for future in futures.values():
            build.digests.update(future.result())


def _write_rest(build: Build) -> None:
    """Write the other files one after another, in the order of :data:`FILES`."""
    for entry in FILES:
        if not entry.parquet and entry.included(build):
            build.digests.update(entry.write(build))


def _seal(tmp: Path, target: Path, version: str) -> None:
    """Flush ``tmp`` and rename it to ``target``: the release appears whole or not at all."""
    _as_user_files(tmp)
    _fsync_tree(tmp)
    try:
        os.rename(tmp, target)
    except OSError as err:
        if target.exists():
            raise ReleaseExistsError(
                f"{target} appeared while writing; releases are immutable, publish a new "
                "version instead",
                path=target,
                version=version,
            ) from None
        raise ReleaseError(
            f"could not move the release into {target}: {err}", path=target, version=version
        ) from None


def _fsync_tree(folder: Path) -> None:
    """Flush every file to disk before the rename makes the release visible."""
    for path in folder.rglob("*"):
        if path.is_file():
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
