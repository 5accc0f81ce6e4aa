"""Verifying a published release: checksums, the files a release may hold, Parquet schemas.

``verify`` re-hashes every file ``SHA256SUMS`` lists, names the files that changed, went missing
or were added, refuses files that :data:`~eventcoder.datasets.release_files.FILES` does not name
and the files every release holds when they are absent, and checks each Parquet table's columns
and types against ``datapackage.json`` and the codebook.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as arrow
import pyarrow.parquet as pq

from eventcoder.datasets.manifest import MANIFEST, read_manifest
from eventcoder.datasets.release_files import FILES, entry_of
from eventcoder.errors import ReleaseError
from eventcoder.files import sha256
from eventcoder.schema.codebook import Codebook
from eventcoder.schema.tables import arrow_schema


@dataclass(frozen=True)
class VerifyReport:
    """What ``verify`` found; ``ok`` when nothing changed, went missing or broke its schema."""

    path: Path
    checked: int
    changed: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    unlisted: tuple[str, ...] = ()
    schema_problems: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not (self.changed or self.missing or self.unlisted or self.schema_problems)

    def problems(self) -> list[str]:
        """One line per problem, for people."""
        return (
            [f"{p}: contents changed (checksum differs)" for p in self.changed]
            + [f"{p}: missing" for p in self.missing]
            + [f"{p}: not in {MANIFEST}" for p in self.unlisted]
            + list(self.schema_problems)
        )


def verify(path: str | Path) -> VerifyReport:
    """Re-check a release's checksums and Parquet schemas; name every file that changed.

    Raises :class:`ReleaseError` when ``SHA256SUMS`` is missing or cannot be trusted.
    """
    path = Path(path)
    listed = read_manifest(path)
    changed, missing = [], []
    linked = sorted(rel for rel in listed if is_linked(path, rel))
    for rel, digest in listed.items():
        target = path / rel
        if rel in linked:
            continue
        if not target.is_file():
            missing.append(rel)
        elif sha256(target) != digest:
            changed.append(rel)
    unlisted = sorted(entries(path) - set(listed) - {MANIFEST})
    cb, package, unreadable = _descriptors(path)
    problems = [
        f"{rel}: a symbolic link; a release holds its own files, not links to others"
        for rel in linked
    ]
    problems += _unknown_files(listed, cb) + unreadable
    if cb is not None and package is not None:
        intact = set(listed) - set(changed) - set(missing) - set(linked)
        problems += _schema_problems(path, cb, package, intact)
    return VerifyReport(
        path, len(listed), tuple(changed), tuple(missing), tuple(unlisted), tuple(problems)
    )


def entries(path: Path) -> set[str]:
    """Every entry under ``path`` but its folders: files, and links, pipes and the like too.

    Links are not followed: a link added to a release (to a folder such as ``/etc``, or to
    nothing) is an added entry, not the files it points at.
    """
    out = set()
    for top, folders, files in os.walk(path):
        here = Path(top)
        for name in files + [d for d in folders if (here / d).is_symlink()]:
            out.add((here / name).relative_to(path).as_posix())
    return out


def is_linked(path: Path, rel: str) -> bool:
    """Whether ``rel`` or a folder on its way in the release is a symbolic link."""
    parts = rel.split("/")
    return any((path.joinpath(*parts[: n + 1])).is_symlink() for n in range(len(parts)))


def _unknown_files(listed: dict[str, str], cb: Codebook | None) -> list[str]:
    """Listed files no release holds, and files every release holds that are not listed."""
    # Releases written before reference lists went into references/ hold them beside the
    # codebook, under the names its references section gives them.
    refs = () if cb is None else (cb.references.actors_path, cb.references.gazetteer_path)
    legacy = {r for r in refs if r and "/" not in r}
    out = [
        f"{rel}: not a file a release holds"
        for rel in listed
        if entry_of(rel) is None and rel not in legacy
    ]
    for entry in FILES:
        if not entry.optional and entry.name != MANIFEST and entry.name not in listed:
            out.append(f"{entry.name}: missing (every release holds it)")
    return out


def _descriptors(path: Path) -> tuple[Codebook | None, dict[str, Any] | None, list[str]]:
    """The release's codebook and datapackage.json, or the problem that keeps them unread."""
    try:
        cb = Codebook.from_file(path / "codebook.yaml")
        package = json.loads((path / "datapackage.json").read_text())
    except (OSError, ValueError, ReleaseError) as err:
        return None, None, [f"cannot read codebook.yaml or datapackage.json: {err}"]
    except Exception as err:  # a broken codebook is one problem among others
        return None, None, [f"codebook.yaml: {str(err).splitlines()[0]}"]
    if not isinstance(package, dict) or not isinstance(package.get("resources", []), list):
        return cb, None, ["datapackage.json: not a Data Package (no list of resources)"]
    return cb, package, []


def _schema_problems(
    path: Path, cb: Codebook, package: dict[str, Any], intact: set[str]
) -> list[str]:
    """Parquet files whose columns or types differ from the codebook and datapackage.json.

    Only files listed in SHA256SUMS and unchanged are read (``intact``): a resource path such as
    ``../x`` is never opened.
    """
    problems: list[str] = []
    expected = arrow_schema(cb, "events")
    for res in package.get("resources", []):
        if not isinstance(res, dict):
            problems.append("datapackage.json: a resource that is not an object")
            continue
        rel = res.get("path")
        schema = res.get("schema")
        if not isinstance(rel, str) or rel not in intact or not (path / rel).is_file():
            continue
        if not isinstance(schema, dict):  # a file, not a table: its checksum is all to check
            continue
        try:
            actual = pq.read_schema(path / rel)
        except (OSError, arrow.ArrowInvalid) as err:
            problems.append(f"{rel}: not readable as Parquet ({err})")
            continue
        fields = schema.get("fields")
        declared = (
            [f.get("name") for f in fields if isinstance(f, dict)]
            if isinstance(fields, list)
            else None
        )
        if declared != actual.names:
            problems.append(f"{rel}: columns differ from datapackage.json")
        if str(res.get("name", "")).startswith("events"):
            partition = res.get("partition")
            problems += _events_problems(
                rel, actual, expected, partition if isinstance(partition, dict) else {}
            )
    return problems


def _events_problems(
    rel: str, actual: arrow.Schema, expected: arrow.Schema, partition: dict[str, str]
) -> list[str]:
    problems = []
    for f in expected:
        if f.name in partition:
            continue
        if f.name not in actual.names:
            problems.append(f"{rel}: column {f.name} is missing")
        elif not _same_type(actual.field(f.name).type, f.type):
            problems.append(
                f"{rel}: column {f.name} is {actual.field(f.name).type}, the codebook says {f.type}"
            )
    return problems


def _same_type(a: arrow.DataType, b: arrow.DataType) -> bool:
    """Whether two Arrow types are the same for a reader; text is text whatever its offsets.

    Releases before eventcoder wrote with polars declared text as ``string``, later ones as
    ``large_string``: both are plain UTF-8 in the Parquet file.
    """
    text = (arrow.string(), arrow.large_string(), arrow.string_view())
    return a == b or (a in text and b in text)
