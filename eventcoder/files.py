"""Writing files safely: outputs are written beside their targets and renamed into place.

Three guarantees, for every file eventcoder writes:

- **Readable like any file the user writes.** ``mkstemp`` makes files 0600 and ``mkdtemp``
  folders 0700; each is given the mode the user's umask gives a new file (0644 / 0755 under the
  usual 022), so a release copied to a shared drive can be read by its readers.
- **A command's outputs are one set.** :func:`output_set` writes every file of a command into a
  temporary folder inside the target folder, and renames them into place only when all are
  written: a full disk leaves the previous run's tables as they were, never a new
  ``annotations.parquet`` beside old ``rejects.parquet``.
- **One line when the disk says no.** A read-only folder, a file where a folder should be, a full
  disk: :class:`~eventcoder.errors.OutputError` naming the path and what to do.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import polars as pl

from eventcoder.errors import OutputError

__all__ = [
    "OutputSet",
    "atomic_path",
    "atomic_write_parquet",
    "atomic_write_text",
    "check_folder",
    "file_mode",
    "output_set",
    "prepare_folder",
    "process_alive",
]

_umask_lock = threading.Lock()
STAGE_PREFIX = ".eventcoder-"  # + pid + "-" + random + ".part": a command's staged outputs

# What writing a file can raise when the disk or the folder says no. polars' Parquet writer
# reports a refused write as a ComputeError, not always naming the OS error ("Invalid thrift:
# transport error" when the file grows past a limit); within a write it can only be that.
_WRITE_ERRORS = (OSError, pl.exceptions.ComputeError)


def sha256(path: Path) -> str:
    """The SHA-256 of the file at ``path``, as lower-case hex, read in 4 MB chunks."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 22):
            h.update(chunk)
    return h.hexdigest()


def _umask() -> int:
    """Return the process's umask without changing it (Linux reports it in /proc)."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    # Elsewhere the only way to read it is to set it; the lock keeps our own threads from
    # creating files in the instant it is 0.
    with _umask_lock:
        mask = os.umask(0o077)
        os.umask(mask)
    return mask


def file_mode(*, folder: bool = False) -> int:
    """Return the mode a new file (or folder) gets from the user's umask: 0644 / 0755 under 022."""
    return (0o777 if folder else 0o666) & ~_umask()


def _refused(err: BaseException, path: Path, doing: str) -> OutputError:
    """Return the one-line OutputError for an ``OSError`` (or a writer's error) at ``path``."""
    code = getattr(err, "errno", None)
    reason = getattr(err, "strerror", None) or str(err).splitlines()[0] or type(err).__name__
    said = re.search(r"\(os error (\d+)\)", reason)  # polars' writers say it in words
    if code is None and said:
        code = int(said[1])
        reason = os.strerror(code)
    if code in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        hint = "free some space, or write elsewhere"
    elif code in (errno.EACCES, errno.EPERM, errno.EROFS):
        hint = "choose a folder you can write to"
    elif code in (errno.EEXIST, errno.ENOTDIR):
        hint = "a file is in the way of a folder; choose another folder"
    elif code == errno.EISDIR:
        hint = "that is a folder; name a file"
    elif isinstance(err, pl.exceptions.ComputeError):
        hint = "is the disk full? free some space, or write elsewhere"
    else:
        hint = "check the path, or write elsewhere"
    return OutputError(f"cannot {doing} {path}: {reason}; {hint}", path=str(path))


def _not_a_file(folder: Path) -> Path:
    """Return ``folder``; ``OutputError`` if a file is there (``-o results.csv`` for tables)."""
    if folder.exists() and not folder.is_dir():
        raise OutputError(
            f"{folder} is a file, and these outputs need a folder: name a folder",
            path=str(folder),
        )
    return folder


def prepare_folder(folder: str | Path) -> Path:
    """Return ``folder``, created (with its parents) if missing; ``OutputError`` if it cannot be.

    A file where the folder should be (``-o results.csv`` for a command that writes several
    tables) is refused rather than replaced.
    """
    folder = _not_a_file(Path(folder))
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise _refused(err, folder, "create the folder") from None
    return folder


def check_folder(folder: str | Path) -> Path:
    """Return ``folder`` if outputs can be written there; ``OutputError`` naming why not.

    For a command to call before its work, so that ``-o`` naming a file or a read-only folder
    fails at once rather than after minutes of work. A missing folder is fine when the nearest
    existing folder above it takes new entries; nothing is left behind by the check.
    """
    folder = _not_a_file(Path(folder))
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        raise OutputError(f"{probe} is a file, so {folder} cannot be made", path=str(probe))
    try:  # access() says yes to root and knows nothing of read-only mounts: try instead
        Path(tempfile.mkdtemp(prefix=".eventcoder-check-", dir=probe)).rmdir()
    except OSError as err:
        raise _refused(err, probe, "write into") from None
    return folder


@contextlib.contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it onto ``target`` if the block succeeds.

    A crash or an exception inside the block leaves ``target`` untouched and no partial file.
    The file gets the mode the user's umask gives (see :func:`file_mode`). A failure to write
    raises ``OutputError``.
    """
    target = Path(target)
    if target.is_dir():
        raise OutputError(f"{target} is a folder: name a file to write", path=str(target))
    prepare_folder(target.parent)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
        os.fchmod(fd, file_mode())
        os.close(fd)
    except OSError as err:
        raise _refused(err, target.parent, "write into") from None
    tmp_path = Path(tmp)
    try:
        try:
            yield tmp_path
        except _WRITE_ERRORS as err:
            raise _refused(err, target, "write") from None
        try:
            os.replace(tmp_path, target)
        except OSError as err:
            raise _refused(err, target, "write") from None
    finally:
        tmp_path.unlink(missing_ok=True)


def atomic_write_text(text: str, target: str | Path) -> Path:
    """Write ``text`` (UTF-8) to ``target`` atomically; return ``target``."""
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(target)


def atomic_write_parquet(frame: pl.DataFrame, target: str | Path) -> Path:
    """Write ``frame`` to ``target`` as Parquet (zstd) atomically; return ``target``."""
    with atomic_path(target) as tmp:
        frame.write_parquet(tmp, compression="zstd", statistics=True)
    return Path(target)


def refuse_input(target: Path, inputs: Iterable[str | Path]) -> None:
    """Raise ``OutputError`` if writing ``target`` would replace one of the command's ``inputs``."""
    for source in inputs:
        if target.exists() and Path(source).exists() and os.path.samefile(target, source):
            raise OutputError(
                f"{target}: is an input of this command and would be overwritten by its output; "
                "write the output elsewhere",
                path=str(target),
            )


class OutputSet:
    """The files one command writes into one folder, staged until every one of them is written.

    Get one from :func:`output_set`; call :meth:`parquet`, :meth:`text` or :meth:`path` for each
    file. Nothing appears under the folder's own names until the ``with`` block ends without an
    error.
    """

    def __init__(self, folder: Path, stage: Path, inputs: tuple[Path, ...] = ()) -> None:
        self.folder = folder
        self._stage = stage
        self._inputs = inputs
        self._names: list[str] = []
        self.current: str | None = None  # the file being written, for error messages
        self.intact = True  # False if a failed commit could not put a previous file back

    @property
    def paths(self) -> dict[str, Path]:
        """Return file name -> its final path, for every file staged so far."""
        return {name: self.folder / name for name in self._names}

    def path(self, name: str) -> Path:
        """Return the staging path to write the file ``name`` to (a plain name, no folders)."""
        if Path(name).name != name or name in (".", ".."):
            raise ValueError(f"an output name is a plain file name, not {name!r}")
        refuse_input(self.folder / name, self._inputs)
        if name not in self._names:
            self._names.append(name)
        self.current = name
        return self._stage / name

    def parquet(self, frame: pl.DataFrame, name: str) -> Path:
        """Stage ``frame`` as the Parquet file ``name`` (zstd); return its final path."""
        frame.write_parquet(self.path(name), compression="zstd", statistics=True)
        return self.folder / name

    def text(self, text: str, name: str) -> Path:
        """Stage ``text`` (UTF-8) as the file ``name``; return its final path."""
        self.path(name).write_text(text, encoding="utf-8")
        return self.folder / name

    def write(self, name: str, writer: Callable[[Path], object]) -> Path:
        """Stage the file ``name`` by calling ``writer(path)``; return its final path."""
        writer(self.path(name))
        return self.folder / name

    def _commit(self) -> None:
        """Move every staged file into place; on any failure put the previous files back."""
        previous = self._stage / ".previous"
        previous.mkdir()
        mode = file_mode()
        moved: list[str] = []
        kept: list[str] = []
        try:
            for name in self._names:
                os.chmod(self._stage / name, mode)
            for name in self._names:
                target = self.folder / name
                if target.is_dir():
                    raise IsADirectoryError(errno.EISDIR, "a folder has this name", str(target))
                if target.exists():
                    os.replace(target, previous / name)
                    kept.append(name)
                os.replace(self._stage / name, target)
                moved.append(name)
        except OSError:
            for name in moved:
                with contextlib.suppress(OSError):
                    os.replace(self.folder / name, self._stage / name)
            for name in kept:
                try:
                    os.replace(previous / name, self.folder / name)
                except OSError:
                    self.intact = False
            raise


def _remove_stale_stages(folder: Path) -> None:
    """Remove staging folders left in ``folder`` by runs that were killed (their pid is gone).

    A stage of a process still running (another command writing here) is left alone.
    """
    for stage in folder.glob(f"{STAGE_PREFIX}*.part"):
        pid = stage.name[len(STAGE_PREFIX) :].split("-", 1)[0]
        if pid.isdigit() and not process_alive(int(pid)):
            shutil.rmtree(stage, ignore_errors=True)


def process_alive(pid: int) -> bool:
    """Return whether process ``pid`` exists (ours, or someone else's)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists, and belongs to someone else
        return True
    return True


@contextlib.contextmanager
def output_set(folder: str | Path, inputs: Iterable[str | Path] = ()) -> Iterator[OutputSet]:
    """Yield an :class:`OutputSet` over ``folder``; its files appear there together, or none.

    ``inputs`` are the files the command read: an output that is one of them (``actors.csv``
    read from the folder the new ``actors.csv`` goes to) raises ``OutputError``, leaving it be.

    The files are staged in a hidden temporary folder inside ``folder`` (the same file system,
    so the final renames need no space), each given the user's umask mode, then renamed over
    the previous run's files. A failure while writing (a full disk) or renaming raises
    ``OutputError`` and leaves ``folder`` as it was; other errors pass through, equally
    leaving it as it was.
    """
    folder = prepare_folder(folder)
    _remove_stale_stages(folder)
    try:
        stage = Path(
            tempfile.mkdtemp(prefix=f"{STAGE_PREFIX}{os.getpid()}-", suffix=".part", dir=folder)
        )
    except OSError as err:
        raise _refused(err, folder, "write into") from None
    outputs = OutputSet(folder, stage, tuple(Path(p) for p in inputs))
    try:
        try:
            yield outputs
            outputs._commit()
        except _WRITE_ERRORS as err:
            where = folder / outputs.current if outputs.current else folder
            raise _refused(err, where, "write") from None
    finally:
        if outputs.intact:  # else the previous files wait in the stage for the user
            shutil.rmtree(stage, ignore_errors=True)
