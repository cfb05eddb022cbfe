"""Output files written whole or not at all: checked before any work, filled in a temporary file, renamed into place."""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from ledger.errors import LedgerError


class OutputFileError(LedgerError):
    """An output FILE that cannot be written: a missing folder, a folder, a read-only file or folder, a full disk."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"cannot write {path}: {reason}")


@dataclass(frozen=True)
class Target:
    """Where writing FILE lands: `path` itself, or the regular file a symlink names (the link stays a link).

    A device, pipe or socket (`/dev/stdout`, a named pipe) is written in place (`in_place`): it cannot be
    renamed over, and renaming over `/dev/null` would replace the device itself.
    """

    path: Path
    in_place: bool
    mode: int  # permission bits of the file written: the replaced file's, else 0o666 less the umask


def check_writable(path: Path) -> Target:
    """Refuse, before any work is done, an output FILE that cannot be written; else say where it will land.

    Tried for real (a probe in the folder, the existing file opened for appending, nothing written), so a
    read-only file system or /proc refuses here too, for root as for anyone.
    """
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return _new_file(path)
    except NotADirectoryError:
        raise OutputFileError(path, f"{_first_file(path)} is not a folder") from None
    except OSError as error:
        raise OutputFileError(path, _reason(error)) from None
    if stat.S_ISDIR(info.st_mode):
        raise OutputFileError(path, "it is a folder")
    if not stat.S_ISREG(info.st_mode):
        # Not opened to probe: a reader of a named pipe would take that open and close for the end of the data.
        if not os.access(path, os.W_OK):
            raise OutputFileError(path, "permission denied")
        return Target(path, in_place=True, mode=0)
    target = Path(os.path.realpath(path))
    _probe_open(path, target)
    _probe_folder(path, target.parent)
    return Target(target, in_place=False, mode=stat.S_IMODE(info.st_mode))


def _new_file(path: Path) -> Target:
    target = Path(os.path.realpath(path))
    folder = target.parent
    if not folder.exists():
        raise OutputFileError(path, f"the folder {_shown_folder(path)} does not exist")
    if not folder.is_dir():
        raise OutputFileError(path, f"{_shown_folder(path)} is not a folder")
    _probe_folder(path, folder)
    umask = os.umask(0)
    os.umask(umask)
    return Target(target, in_place=False, mode=0o666 & ~umask)


def _probe_open(path: Path, target: Path) -> None:
    """Open the existing file for appending, write nothing: refused exactly when writing it would be."""
    try:
        with open(target, "a", encoding="utf-8"):
            pass
    except OSError as error:
        raise OutputFileError(path, _reason(error)) from None


def _probe_folder(path: Path, folder: Path) -> None:
    """Create and remove a temporary file in the folder: the rename into place needs exactly that right."""
    try:
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".ledger-probe-")
    except OSError as error:
        # /proc answers "no such file" for a folder that takes no new files: say only that.
        why = "" if error.errno == errno.ENOENT else f": {_reason(error)}"
        raise OutputFileError(path, f"cannot create files in {_shown_folder(path)}{why}") from None
    os.close(fd)
    os.unlink(probe)


@contextmanager
def replacing(path: Path, suffix: str = ".tmp") -> Iterator[tuple[Target, Path]]:
    """A temporary path beside FILE that replaces FILE when the block ends without error, else is removed.

    The temporary file keeps FILE's suffix after `suffix` (a picture library may pick its format by it).
    """
    target = check_writable(path)
    if target.in_place:
        yield target, target.path
        return
    fd, temporary = tempfile.mkstemp(dir=target.path.parent, prefix=f".{target.path.name}.", suffix=suffix)
    os.close(fd)
    part = Path(temporary)
    try:
        yield target, part
        os.chmod(part, target.mode)
        os.replace(part, target.path)
    except OSError as error:
        _remove(part)
        raise OutputFileError(path, _reason(error)) from error
    except BaseException:
        _remove(part)
        raise


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A path to write FILE's content to (with FILE's suffix), renamed over FILE only if the block succeeds."""
    with replacing(path, suffix=path.suffix or ".tmp") as (_, part):
        yield part


@contextmanager
def atomic_output(path: Path) -> Iterator[IO[str]]:
    """A text stream (UTF-8, newlines as written) whose content becomes FILE only if the block succeeds.

    A failed render leaves no file behind, and an existing FILE untouched.
    """
    with replacing(path) as (target, part):
        try:
            with open(part, "w", encoding="utf-8", newline="") as handle:
                yield handle
                handle.flush()
                if not target.in_place:
                    os.fsync(handle.fileno())
        except OSError as error:
            raise OutputFileError(path, _reason(error)) from error


def _remove(part: Path) -> None:
    with suppress(FileNotFoundError):
        part.unlink()


def _reason(error: OSError) -> str:
    """The system's reason in a sentence's case: 'permission denied', 'read-only file system'."""
    if error.errno == errno.EISDIR:
        return "it is a folder"
    text = error.strerror or str(error)
    return text[:1].lower() + text[1:]


def _shown_folder(path: Path) -> str:
    return str(path.parent)


def _first_file(path: Path) -> str:
    """The first part of `path` that exists and is not a folder (README.md in README.md/x.csv)."""
    for parent in reversed(path.parents):
        if str(parent) not in ("", ".") and parent.exists() and not parent.is_dir():
            return str(parent)
    return str(path.parent)
