"""A dataset's folder: its name, its semantic versions, the lock that orders its releases, and
the leftovers of interrupted ones.

Versions are ``X.Y.Z`` in ASCII digits, matched in full (``"1.0.1\\n"`` and ``"1١.0.0"``, with
an Arabic-Indic digit, are refused: they would publish folders beside ``1.0.1`` and ``11.0.0``).
A new version must be greater than every published one. Two releases of one dataset never run
at once: :func:`dataset_lock` holds an exclusive ``flock`` on ``ROOT/NAME/.lock`` from the moment
the published versions are read until the new one is in place, so the second waits, then sees
the first and is refused or builds on it (and its ids are issued above the first's).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

from eventcoder.errors import ReleaseError
from eventcoder.files import process_alive

SEMVER = re.compile(r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)", re.ASCII)
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}", re.ASCII)
LOCK = ".lock"
TEMP_MARK = ".partial-"


def parse_version(version: str) -> tuple[int, int, int]:
    """``"1.2.3"`` -> ``(1, 2, 3)``; :class:`ReleaseError` for anything else."""
    m = SEMVER.fullmatch(version)
    if not m:
        raise ReleaseError(
            f"version {version!r} is not semantic (X.Y.Z in digits 0-9, e.g. 1.0.0)",
            version=version,
        )
    return int(m[1]), int(m[2]), int(m[3])


def versions(root: str | Path, name: str) -> list[str]:
    """Published versions of ``name`` under ``root``, lowest first."""
    folder = Path(root) / name
    if not folder.is_dir():
        return []
    found = [p.name for p in folder.iterdir() if p.is_dir() and SEMVER.fullmatch(p.name)]
    return sorted(found, key=parse_version)


def check_name(name: str) -> None:
    """Raise :class:`ReleaseError` unless ``name`` can name a dataset folder."""
    if not NAME.fullmatch(name):
        shown = repr(name) if len(name) <= 100 else f"{name[:40]!r}... ({len(name)} characters)"
        raise ReleaseError(
            f"release name {shown} must be letters, digits, '.', '_' or '-', starting with a "
            "letter or digit, at most 100 characters"
        )


def check_case_twin(root: str | Path, name: str) -> None:
    """Raise :class:`ReleaseError` if a dataset under ``root`` differs from ``name`` only in case.

    On the file systems of macOS and Windows ``idlib`` and ``Idlib`` are one folder: a release
    of one would be written among, and built on, the other's versions.
    """
    root = Path(root)
    if not root.is_dir():
        return
    twins = sorted(
        p.name for p in root.iterdir() if p.name.lower() == name.lower() and p.name != name
    )
    if twins:
        raise ReleaseError(
            f"dataset {name!r} differs from {twins[0]!r} in {root} only in letter case, and on "
            "macOS and Windows they are one folder: use the existing name or another",
            path=root / twins[0],
        )


def check_new_version(root: str | Path, name: str, version: str) -> str | None:
    """The version a new ``version`` of ``name`` follows (None for the first); ReleaseError
    (ReleaseExistsError) unless it is greater than every published version.

    Call it holding :func:`dataset_lock`, or another release may publish in between.
    """
    from eventcoder.errors import ReleaseExistsError

    new = parse_version(version)
    target = Path(root) / name / version
    if target.exists():
        raise ReleaseExistsError(
            f"{target} exists; releases are immutable, publish a new version instead",
            path=target,
            version=version,
        )
    folder = Path(root) / name
    strays = (
        sorted(p.name for p in folder.iterdir() if SEMVER.fullmatch(p.name) and not p.is_dir())
        if folder.is_dir()
        else []
    )
    if strays:
        # A version replaced by a file would be skipped, and the ids it issued issued again.
        raise ReleaseError(
            f"{folder / strays[0]} has a version's name but is not a release folder; restore "
            "the release from a copy or move the file away",
            path=folder / strays[0],
            version=version,
        )
    published = versions(root, name)
    if published and parse_version(published[-1]) >= new:
        raise ReleaseError(
            f"version {version} is not above the latest release {published[-1]} of {name}; "
            "versions only go up",
            path=target,
            version=version,
        )
    return published[-1] if published else None


@contextlib.contextmanager
def dataset_lock(folder: Path, on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the dataset's lock (``folder/.lock``) for the block; wait while another holds it.

    An ``flock`` is released by the system when its holder dies, so a killed release never
    leaves the dataset locked.
    """
    folder.mkdir(parents=True, exist_ok=True)
    try:  # O_NOFOLLOW: a link placed as .lock would create or open a file elsewhere
        fd = os.open(folder / LOCK, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o666)
    except OSError as err:
        raise ReleaseError(
            f"cannot take the release lock {folder / LOCK}: {err.strerror}"
            + ("; it is a symbolic link: remove it" if (folder / LOCK).is_symlink() else ""),
            path=folder / LOCK,
        ) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait is not None:
                on_wait(f"waiting for another release of {folder.name} to finish")
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def clean_stale(folder: Path) -> list[str]:
    """Remove unfinished release folders whose writing process is gone; one note if any."""
    removed = []
    for path in folder.iterdir():
        if not (path.is_dir() and path.name.startswith(".") and TEMP_MARK in path.name):
            continue
        pid = path.name.split(TEMP_MARK, 1)[1].split("-", 1)[0]
        if pid.isdigit() and process_alive(int(pid)):
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path.name)
    if not removed:
        return []
    return [
        f"removed {len(removed)} unfinished release folder(s) left by an interrupted run: "
        + ", ".join(sorted(removed))
    ]
