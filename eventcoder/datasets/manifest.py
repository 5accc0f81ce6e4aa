"""SHA256SUMS, the checksum list of a release: written as ``sha256sum`` writes it, read strictly.

One line per file: 64 hex digits, two spaces (or a space and ``*``, binary mode), the path
relative to the release folder with ``/`` between parts; ``sha256sum -c SHA256SUMS`` run inside
the release reads it. :func:`read_manifest` refuses whatever could let ``verify`` call a release
whole when it is not, each in one line naming the line: a line with no name or no digest, a byte
that is not UTF-8, a path that leaves the release (``../``, ``/etc/passwd``) and a path listed
twice. A byte-order mark and CR LF line ends (a list saved on Windows) are read as the same list.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from eventcoder.errors import ReleaseError
from eventcoder.files import sha256

MANIFEST = "SHA256SUMS"
# A line is under 400 bytes; a million files would be far more than any release holds.
MAX_MANIFEST_BYTES = 64 << 20
_LINE = re.compile(r"([0-9a-fA-F]{64}) [ *](.*)", re.ASCII)


def checksums(
    folder: Path, exclude: set[str], known: Mapping[str, str] | None = None
) -> dict[str, str]:
    """SHA-256 of every file under ``folder`` but ``exclude``; ``known`` digests are reused."""
    known = known or {}
    out = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_file() and rel not in exclude:
            out[rel] = known[rel] if rel in known else sha256(path)
    return out


def manifest_text(sums: Mapping[str, str]) -> str:
    """The SHA256SUMS text of ``{path: digest}``, sorted by path."""
    return "".join(f"{digest}  {rel}\n" for rel, digest in sorted(sums.items()))


def read_manifest(folder: Path) -> dict[str, str]:
    """``{path: digest}`` as listed in ``folder/SHA256SUMS``.

    Raises :class:`ReleaseError` (naming the file and the line) when the list is missing or
    cannot be trusted: see the module docstring.
    """
    path = folder / MANIFEST
    if not path.is_file():
        raise ReleaseError(f"{folder}: no {MANIFEST}; is it a release folder?", path=folder)
    size = path.stat().st_size
    if size > MAX_MANIFEST_BYTES:  # read whole, it would take all memory (a sparse file)
        raise ReleaseError(
            f"{path} is {size >> 20} MB, far more than the checksum list of any release (at "
            f"most {MAX_MANIFEST_BYTES >> 20} MB); restore the release from a copy",
            path=path,
        )
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        number = raw[: err.start].count(b"\n") + 1
        raise ReleaseError(
            f"{path}: line {number} holds a byte that is not UTF-8 (0x{raw[err.start]:02x}); "
            "the checksum list was damaged: restore the release from a copy",
            path=path,
        ) from None
    listed: dict[str, str] = {}
    # A list saved by a Windows editor or checked out by git with autocrlf starts with a BOM
    # and ends its lines in CR LF: the same list, and no release file's name holds either.
    text = text.removeprefix("\ufeff")
    # Split on "\n" only: str.splitlines would also split names at \x85, \u2028 and the like.
    for number, line in enumerate(text.split("\n"), 1):
        line = line.removesuffix("\r")
        if not line.strip():
            continue
        rel, digest = _entry(path, number, line)
        if rel in listed:
            raise ReleaseError(f"{path}: line {number} lists {rel} a second time", path=path)
        listed[rel] = digest.lower()
    return listed


def _entry(path: Path, number: int, line: str) -> tuple[str, str]:
    """The ``(path, digest)`` of one manifest line; ReleaseError when it is not one."""
    m = _LINE.fullmatch(line)
    if m is None or not m[2].strip():
        raise ReleaseError(
            f"{path}: line {number} is not '<sha256>  <file>' (a digest and a file name); "
            "the checksum list was damaged: restore the release from a copy",
            path=path,
        )
    rel = m[2]
    parts = PurePosixPath(rel).parts
    if (
        rel.startswith("/")
        or "\\" in rel
        or "\x00" in rel
        or any(p in ("..", ".") for p in parts)
        or PurePosixPath(rel).as_posix() != rel
    ):
        raise ReleaseError(
            f"{path}: line {number} names {rel!r}, a path outside the release or not in "
            "its plain form; a release lists only its own files",
            path=path,
        )
    return rel, m[1]
