"""What a release holds: one table of its files, each with its writer and what it says.

:data:`FILES` is the only list of release files. ``publish`` runs the writers in its order (the
Parquet tables side by side, then the rest one after another), the card's file table and
``datapackage.json``'s resources are made from it, and ``verify`` refuses files it does not
name. A name is a file, or a folder when it ends in ``/``; every name inside a release is chosen
here, none comes from the user (reference lists are stored as ``references/actors.csv``, whatever
the codebook called them), and :meth:`Build.claim` refuses to write any path twice, so no file of
a release can overwrite another.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

import polars as pl
import pyarrow.parquet as pq
import yaml

from eventcoder.datasets.adjudicate import Adjudication
from eventcoder.datasets.card import CardFacts, card_markdown, read_agreement
from eventcoder.datasets.changelog import Changes, changelog, changelog_section
from eventcoder.datasets.datapackage import package_descriptor, resource
from eventcoder.datasets.ids import SOURCE_COLUMNS, IdAssignment, id_field
from eventcoder.datasets.manifest import MANIFEST, checksums, manifest_text
from eventcoder.datasets.release_tables import write_annotations, write_events, write_parquet
from eventcoder.errors import ReleaseError
from eventcoder.schema.codebook import Codebook


@dataclass
class Build:
    """One release being written into ``folder``: its inputs, and the digests known so far."""

    folder: Path
    cb: Codebook
    name: str
    version: str
    title: str
    license: str
    citation: str | None
    now: datetime
    events: pl.DataFrame
    ids: IdAssignment
    annotations: pl.DataFrame
    rejects: pl.DataFrame | None
    adjudication: Adjudication | None
    agreement: Path | None
    changes: Changes
    previous: str | None
    previous_folder: Path | None
    articles: int
    partitioned: bool
    digests: dict[str, str] = field(default_factory=dict)
    claimed: set[str] = field(default_factory=set)

    def claim(self, rel: str) -> Path:
        """The path of ``rel`` in the release, for writing; ReleaseError if already written."""
        if rel in self.claimed or (self.folder / rel).exists():
            raise ReleaseError(
                f"{rel} would be written twice in release {self.version}; this is a bug in "
                "eventcoder's list of release files",
                path=self.folder / rel,
                version=self.version,
            )
        self.claimed.add(rel)
        (self.folder / rel).parent.mkdir(parents=True, exist_ok=True)
        return self.folder / rel


Writer = Callable[[Build], dict[str, str]]
REFERENCES = "references/"
REFERENCE_KEYS = ("actors", "gazetteer")  # the codebook's reference lists, by their keys


@dataclass(frozen=True)
class ReleaseFile:
    """One entry of :data:`FILES`; ``when`` is None for files every release holds."""

    name: str
    what: str
    write: Writer
    when: Callable[[Build], bool] | None = None
    parquet: bool = False
    table: str | None = None  # the codebook table that describes its columns, if any

    @property
    def optional(self) -> bool:
        """Whether some releases lack it."""
        return self.when is not None

    def included(self, build: Build) -> bool:
        """Whether ``build``'s release holds it."""
        return self.when is None or self.when(build)

    def holds(self, rel: str) -> bool:
        """Whether the release path ``rel`` is this file or lies in this folder."""
        if self.name.endswith("/"):
            return rel.startswith(self.name) and len(rel) > len(self.name)
        return rel == self.name


# --------------------------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------------------------


def _events(b: Build) -> dict[str, str]:
    b.claim("events" if b.partitioned else "events.parquet")
    return write_events(b.events, b.cb, b.folder, b.partitioned)


def _sources(b: Build) -> dict[str, str]:
    id_col = id_field(b.cb)
    cols = [c for c in (*SOURCE_COLUMNS, "coders") if c in b.ids.events.columns]
    b.claim("event_sources.parquet")
    return write_parquet(
        b.ids.events.select(id_col, *cols), None, b.folder, "event_sources.parquet"
    )


def _annotations(b: Build) -> dict[str, str]:
    b.claim("annotations.parquet")
    return write_annotations(b.annotations, b.cb, b.folder, "annotations.parquet")


def _rejects(b: Build) -> dict[str, str]:
    b.claim("rejects.parquet")
    rejected = b.rejects if b.rejects is not None else b.annotations.clear()
    return write_annotations(rejected, b.cb, b.folder, "rejects.parquet")


def _adjudication_table(name: str) -> Writer:
    def write(b: Build) -> dict[str, str]:
        assert b.adjudication is not None
        b.claim(f"{name}.parquet")
        return write_parquet(getattr(b.adjudication, name), None, b.folder, f"{name}.parquet")

    return write


def _changes(b: Build) -> dict[str, str]:
    b.claim("changes.parquet")
    return write_parquet(b.changes.table, None, b.folder, "changes.parquet")


def _agreement(b: Build) -> dict[str, str]:
    assert b.agreement is not None
    if not b.agreement.is_dir():
        raise ReleaseError(f"{b.agreement}: no such agreement report folder", path=b.agreement)

    def refuse(problem: str) -> ReleaseError:
        return ReleaseError(
            f"{b.agreement}: the agreement report cannot be copied into the release ({problem})",
            path=b.agreement,
            version=b.version,
        )

    # Only the report's own regular files are copied, never what a link points at: a link to
    # ~/.ssh/id_rsa would publish the key, one to /dev/zero be copied until the disk is full.
    target = b.claim("agreement")
    try:
        for top, folders, files in os.walk(b.agreement, onerror=_raise):
            here = Path(top)
            (target / here.relative_to(b.agreement)).mkdir(exist_ok=True)
            for name in sorted(folders + files):
                path = here / name
                if path.is_symlink():
                    raise refuse(f"{path} is a symbolic link; a release holds its own files")
                if name in files and not stat.S_ISREG(path.stat().st_mode):
                    raise refuse(f"{path} is not a regular file")
            for name in files:
                shutil.copyfile(here / name, target / here.relative_to(b.agreement) / name)
    except OSError as err:
        raise refuse(str(err).splitlines()[0][:300]) from None
    return {}


def _raise(err: OSError) -> None:
    """os.walk's error handler: a folder that cannot be listed is an error, not skipped."""
    raise err


def _codebook(b: Build) -> dict[str, str]:
    """The codebook used; its reference lists go in ``references/`` (see :func:`_references`)."""
    data = b.cb.to_dict()
    refs = _reference_names(b)
    if refs:
        data["references"] = {key: f"{REFERENCES}{name}" for key, (_, name) in refs.items()}
    else:
        data.pop("references", None)
    b.claim("codebook.yaml").write_text(
        yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8"
    )
    return {}


def _reference_names(b: Build) -> dict[str, tuple[Path, str]]:
    """``{key: (source, name in references/)}`` of the codebook's reference lists.

    The name is the release's choice, ``actors.csv`` or ``gazetteer.parquet``: a reference list
    stored under its own name could replace another file of the release (``events.parquet``)
    or another list (``actors/list.csv`` and ``gazetteer/list.csv``).
    """
    refs = b.cb.to_dict().get("references", {})
    base = Path(b.cb.path).parent if b.cb.path else None
    out = {}
    for key, rel in refs.items():
        source = Path(rel) if Path(rel).is_absolute() or base is None else base / rel
        if key in REFERENCE_KEYS and source.is_file():
            out[key] = (source, key + (".parquet" if source.suffix == ".parquet" else ".csv"))
    return out


def _references(b: Build) -> dict[str, str]:
    for source, name in _reference_names(b).values():
        shutil.copyfile(source, b.claim(f"{REFERENCES}{name}"))
    return {}


def _ids(b: Build) -> dict[str, str]:
    record = {
        "highest_serial": b.ids.serials,
        "inherited": b.ids.inherited,
        "issued": b.ids.issued,
    }
    b.claim("ids.json").write_text(json.dumps(record, indent=2) + "\n")
    return {}


def _changelog(b: Build) -> dict[str, str]:
    section = changelog_section(b.changes, b.name, b.version, b.now.date().isoformat())
    prev = b.previous_folder
    prev_log = (prev / "CHANGELOG.md").read_text() if prev is not None else None
    b.claim("CHANGELOG.md").write_text(changelog(section, prev_log), encoding="utf-8")
    return {}


def _card(b: Build) -> dict[str, str]:
    adj, ann = b.adjudication, b.annotations
    facts = CardFacts(
        name=b.name,
        version=b.version,
        title=b.title,
        license=b.license,
        created=b.now.date().isoformat(),
        codebook=b.cb,
        events=b.events,
        annotations=ann.height,
        coders=ann["coder"].n_unique() if "coder" in ann.columns else 0,
        articles=b.articles,
        rejects=0 if b.rejects is None else b.rejects.height,
        review=_review_counts(b),
        data_files="events/**/*.parquet" if b.partitioned else "events.parquet",
        files=listing(b),
        changes=b.changes.counts,
        previous=b.previous,
        agreement=read_agreement(b.agreement),
        decisions=adj.summary()["decisions"] if adj is not None else {},
        policy=_describe_policy(adj),
        citation=b.citation,
    )
    b.claim("README.md").write_text(card_markdown(facts), encoding="utf-8")
    return {}


def _review_counts(b: Build) -> tuple[int, int] | None:
    """Events and rows of the review table as written, or None when there is none."""
    path = b.folder / "review.parquet"
    if not path.exists():
        return None
    queue = pl.read_parquet(path, columns=["aligned_event"], glob=False)
    return queue["aligned_event"].n_unique(), queue.height


def listing(b: Build) -> tuple[tuple[str, str], ...]:
    """``(path, what)`` of every file of the release, as the card lists them.

    Made from :data:`FILES` and, for counts, from the files written so far: Parquet tables
    with their rows, folders with their files.
    """
    out = []
    for entry in FILES:
        if not entry.included(b):
            continue
        what = entry.what
        path = b.folder / entry.name
        if entry.parquet and path.exists():
            what += f" ({parquet_rows(b.folder, entry.name)} rows)"
        if entry.name.endswith("/") and path.is_dir():
            what += f" ({sum(1 for f in path.rglob('*') if f.is_file())} files)"
        out.append((entry.name, what))
    return tuple(out)


def _describe_policy(adj: Adjudication | None) -> str:
    if adj is None:
        return ""
    p = adj.policy
    ties = ", ".join(f"{k}: {v}" for k, v in sorted(p.field_ties.items()))
    who = f"; adjudicators: {', '.join(p.adjudicators)}" if p.adjudicators else ""
    return (
        f"majority (plurality) vote; ties {p.tie}"
        + (f" ({ties})" if ties else "")
        + f"; events need {p.min_coders} of an article's coders{who}"
    )


def _datapackage(b: Build) -> dict[str, str]:
    b.digests = checksums(b.folder, exclude={"datapackage.json", MANIFEST}, known=b.digests)
    descriptor = package_descriptor(
        name=b.name,
        version=b.version,
        title=b.title,
        description=f"{b.events.height} events coded under {b.cb.label}.",
        license=b.license,
        created=b.now.isoformat(timespec="seconds"),
        resources=resources(b),
        codebook=b.cb,
    )
    b.claim("datapackage.json").write_text(json.dumps(descriptor, indent=2) + "\n")
    return {}


def _manifest(b: Build) -> dict[str, str]:
    b.digests = checksums(b.folder, exclude={MANIFEST}, known=b.digests)
    b.claim(MANIFEST).write_text(manifest_text(b.digests))
    return {}


def _adjudicated(b: Build) -> bool:
    return b.adjudication is not None


# The order is the order of writing: the Parquet tables first (largest first: it sets the pace),
# the card and datapackage.json once every file they describe is there, SHA256SUMS last.
FILES: tuple[ReleaseFile, ...] = (
    ReleaseFile(
        "annotations.parquet",
        "every coder's annotation",
        _annotations,
        parquet=True,
        table="annotations",
    ),
    ReleaseFile(
        "events.parquet",
        "gold events, one row per event, columns in codebook order",
        _events,
        when=lambda b: not b.partitioned,
        parquet=True,
        table="events",
    ),
    ReleaseFile(
        "events/",
        "gold events as a hive dataset (country=/year=), one table for DuckDB, polars, Spark",
        _events,
        when=lambda b: b.partitioned,
        parquet=True,
        table="events",
    ),
    ReleaseFile(
        "event_sources.parquet",
        "for each event id: the article and aligned event it came from",
        _sources,
        parquet=True,
    ),
    ReleaseFile(
        "rejects.parquet",
        "problems found in coded annotations, one row per task, coder, field and rule",
        _rejects,
        parquet=True,
    ),
    ReleaseFile(
        "changes.parquet", "what changed since the previous release", _changes, parquet=True
    ),
    ReleaseFile(
        "decisions.parquet",
        "how each gold field was decided",
        _adjudication_table("decisions"),
        when=_adjudicated,
        parquet=True,
    ),
    ReleaseFile(
        "review.parquet",
        "disagreements left for an adjudicator, one row per event, field and coder",
        _adjudication_table("review"),
        when=_adjudicated,
        parquet=True,
    ),
    ReleaseFile(
        "agreement/",
        "the agreement report, as `eventcoder agreement` wrote it",
        _agreement,
        when=lambda b: b.agreement is not None,
    ),
    ReleaseFile("codebook.yaml", "the coding scheme used", _codebook),
    ReleaseFile(
        REFERENCES,
        "the codebook's reference lists (actors, gazetteer), under names of the release's own",
        _references,
        when=lambda b: bool(_reference_names(b)),
    ),
    ReleaseFile("ids.json", "the highest event id serial ever issued per prefix", _ids),
    ReleaseFile(
        "CHANGELOG.md", "this release against the previous one, then older ones", _changelog
    ),
    ReleaseFile("README.md", "this dataset card", _card),
    ReleaseFile(
        "datapackage.json",
        "Frictionless Data Package: a Table Schema for every table",
        _datapackage,
    ),
    ReleaseFile(MANIFEST, "checksums; `eventcoder verify` re-checks them", _manifest),
)


def entry_of(rel: str) -> ReleaseFile | None:
    """The entry of :data:`FILES` that holds the release path ``rel``, if any."""
    return next((f for f in FILES if f.holds(rel)), None)


# --------------------------------------------------------------------------------------------
# datapackage.json
# --------------------------------------------------------------------------------------------


def resources(b: Build) -> list[dict[str, Any]]:
    """The ``datapackage.json`` resources, in :data:`FILES` order: a Table Schema for each
    Parquet table, and every other file of the release (but datapackage.json itself) as a file.
    """
    out = []
    for entry in FILES:
        if not entry.included(b) or entry.name == "datapackage.json":
            continue
        rels = sorted(r for r in b.digests if entry.holds(r)) or [entry.name]
        for n, rel in enumerate(rels, 1):
            if entry.parquet:
                out.append(_resource(b, entry, rel, n if entry.name.endswith("/") else None))
            else:
                out.append(_file_resource(b, entry, rel))
    names: set[str] = set()
    for res in out:  # names differing only in case (agreement/A.json, a.json) stay apart
        base, n = res["name"], 1
        while res["name"] in names:
            n += 1
            res["name"] = f"{base}-{n}"
        names.add(res["name"])
    return out


MEDIATYPES = {
    ".md": "text/markdown",
    ".yaml": "application/yaml",
    ".json": "application/json",
    ".csv": "text/csv",
    ".html": "text/html",
    ".parquet": "application/vnd.apache.parquet",
}


def _file_resource(b: Build, entry: ReleaseFile, rel: str) -> dict[str, Any]:
    """A file that is not one of the release's tables: the card, the codebook, the report."""
    suffix = PurePosixPath(rel).suffix.lower()
    out: dict[str, Any] = {
        "name": re.sub(r"[^a-z0-9._/-]+", "-", rel.lower()).strip("-") or "file",
        "type": "file",
        "path": rel,
        "format": suffix.lstrip(".") or "txt",
        "mediatype": MEDIATYPES.get(suffix, "text/plain"),
        "description": entry.what[0].upper() + entry.what[1:],
    }
    if rel in b.digests:  # SHA256SUMS is written after this descriptor
        out["sha256"] = b.digests[rel]
    return out


def _resource(b: Build, entry: ReleaseFile, rel: str, part: int | None) -> dict[str, Any]:
    stem = PurePosixPath(entry.name.rstrip("/")).stem.replace("_", "-")
    name, extra, what = stem, None, entry.what
    if part is not None:
        name = f"{stem}-part-{part}"
        extra = {"partition": dict(p.split("=", 1) for p in PurePosixPath(rel).parts if "=" in p)}
        what = "gold events of one country and year"
    return resource(
        b.folder,
        rel,
        name,
        b.cb,
        entry.table,
        b.digests[rel],
        description=what[0].upper() + what[1:],
        primary_key=id_field(b.cb) if entry.table == "events" else None,
        extra=extra,
    )


def parquet_rows(folder: Path, rel: str) -> int:
    """Rows of a Parquet file, or of every Parquet file under a folder, read from the footers."""
    path = folder / rel
    files = sorted(path.rglob("*.parquet")) if path.is_dir() else [path]
    return sum(pq.read_metadata(f).num_rows for f in files)
