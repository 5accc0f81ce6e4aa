"""A table file's encoding: its byte-order mark, UTF-8, or the Western code page, with a note.

A byte-order mark says the encoding; otherwise the file is UTF-8 when every byte fits, else
Windows' Western code page cp1252 (what spreadsheets on Windows save), or Mac Roman when lines
end in CR alone (old Macs). Text that cp1252 reads as no word can be (an MS-DOS code page) is
refused, naming the encoding to pass.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from eventcoder.errors import InputError

SAMPLE_BYTES = 1 << 20  # read to check the encoding
FALLBACK = "cp1252"
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def codec(encoding: str, path: Path) -> str:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise InputError(f"{path}: unknown encoding {encoding!r}", path=str(path)) from None


def decode_all(path: Path, name: str) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode(name)
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise InputError(
            f"{path}: line {line} is not {name} (byte {raw[err.start]:#04x}); "
            "pass the file's encoding with --encoding",
            path=str(path),
        ) from None


def detect_encoding(path: Path, head: bytes, notes: list[str]) -> tuple[str | None, str | None]:
    """The encoding to read with, and the decoded text when polars cannot read the file as is
    (None: read the file itself as UTF-8)."""
    for bom, name in _BOMS:
        if head.startswith(bom):
            if name == "utf-8-sig":
                return None, None  # polars skips a UTF-8 byte-order mark itself
            notes.append(f"{path.name}: read as {name.upper()} (its byte-order mark says so)")
            return name, decode_all(path, name)
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(head, final=len(head) < SAMPLE_BYTES)
        return None, None
    except UnicodeDecodeError:
        pass
    if b"\r" in head and b"\n" not in head:
        # Lines ended by CR alone come from the classic Mac OS (Excel's "CSV (Macintosh)"), which
        # writes Mac Roman: read as cp1252, its é (0x8E) would become Ž.
        notes.append(
            f"{path.name}: not UTF-8, and its lines end in CR alone as on old Macs; read as "
            "mac_roman; pass --encoding if it is another"
        )
        return "mac_roman", decode_all(path, "mac_roman")
    data, note = decode_western(path)
    notes.append(note)
    return FALLBACK, data


def decode_utf8(path: Path, notes: list[str]) -> str:
    """The whole file as UTF-8 (its byte-order mark dropped), or as the fallback when a byte
    past the sampled start is not UTF-8."""
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        data, note = decode_western(path)
        notes.append(note)
        return data


def _latin1_bytes(err: UnicodeError) -> tuple[str, int]:
    """Decoding error handler: undecodable bytes as the characters Latin-1 gives them."""
    assert isinstance(err, UnicodeDecodeError)
    return err.object[err.start : err.end].decode("latin-1"), err.end


codecs.register_error("eventcoder-latin1", _latin1_bytes)


def decode_western(path: Path) -> tuple[str, str]:
    """The file read as cp1252, and the note saying so.

    cp1252 leaves five bytes undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D). Such a byte keeps the
    control character Latin-1 gives it, as browsers read windows-1252, and the note names its
    line: reading the whole file as Latin-1 instead would turn every curly quote and dash of
    cp1252 (0x93, 0x96, ...) into an invisible control character.
    """
    raw = path.read_bytes()
    try:
        text, note = raw.decode(FALLBACK), _fallback_note(path)
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        byte = raw[err.start]
        text = raw.decode(FALLBACK, errors="eventcoder-latin1")
        note = (
            f"{_fallback_note(path)}; byte {byte:#04x} (line {line}), which cp1252 does not "
            f"define, read as the control character U+{byte:04X}"
        )
    _refuse_dos_text(text, path)
    return text, note


# Letters of MS-DOS code pages (cp850, cp437: é, â, ç, á, ñ, ...) as cp1252 reads their bytes:
# signs that no word holds between two letters (S‚gou is Ségou saved as "CSV (MS-DOS)").
_DOS_WORD = re.compile(r"[^\W\d_]+[‚ƒ„†‡ˆ‰‹¡¢£¤¥][^\W\d_]+")


def _refuse_dos_text(text: str, path: Path) -> None:
    """Raise :class:`InputError` when cp1252 reads words of the file as no word can be: it was
    saved in an MS-DOS code page, which only the user can name."""
    found = _DOS_WORD.search(text, 0, SAMPLE_BYTES)
    if found:
        line = text.count("\n", 0, found.start()) + 1
        raise InputError(
            f"{path}: not UTF-8, and read as cp1252 line {line} says {found.group()!r}; it may "
            "be an MS-DOS code page (Excel's CSV (MS-DOS)): pass --encoding cp850, or the "
            "file's encoding",
            path=str(path),
        )


def _fallback_note(path: Path) -> str:
    return (
        f"{path.name}: not UTF-8; read as {FALLBACK} (Windows Western); "
        "pass --encoding if it is another"
    )
