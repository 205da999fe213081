"""The two file primitives every stage uses: an atomic write and a lock.

:func:`write_atomic` (and :func:`atomic_path` for a writer that needs a
file name, such as :mod:`tarfile`): readers (another build, a crash's
aftermath) see the old content or the new, never a part: the data goes to
a temporary name in the same folder, is flushed to disk (``fsync``), then
renamed over the target; the temporary file is removed if anything fails
on the way. :func:`fsync_tree` flushes a copied tree before it is renamed
into place (publication).

:func:`locked`: an advisory lock (``flock``) on a file, shared or
exclusive; a caller that has to wait is told so once, through ``on_wait``.

Standard library only: used on execution workers too.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import uuid
from pathlib import Path
from typing import Callable, Iterator


def fsync_path(path: Path) -> None:
    """Flush ``path`` (a file or a folder: its entries) to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(root: Path) -> None:
    """Flush every file and folder under ``root`` to disk: done before a
    copied tree is renamed into place, so that a crash right after the
    rename cannot leave it live with files still empty."""
    for folder, _, names in os.walk(root):
        for name in names:
            path = Path(folder, name)
            if not path.is_symlink():
                fsync_path(path)
        fsync_path(Path(folder))


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary name in ``path``'s folder for the block to write; then
    the file is flushed to disk and renamed over ``path`` (and the folder
    flushed, so the rename itself survives a crash). If the block fails,
    the temporary file is removed and ``path`` is left as it was."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex}")
    try:
        yield tmp
        fsync_path(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_path(path.parent)


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write ``data`` to ``path`` atomically and durably."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data.encode() if isinstance(data, str) else data)


@contextlib.contextmanager
def locked(path: Path, exclusive: bool,
           on_wait: Callable[[str], None] | None = None,
           holder: str | None = None) -> Iterator[None]:
    """Hold an ``flock`` on ``path`` (created if missing) for the block.

    ``on_wait`` is called with the recorded holder's description (or
    ``"another process"``) when the lock is taken and this call waits.
    ``holder``: written into the file while an exclusive lock is held, so
    that a waiting process can say who it waits for.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as f:
        mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
        try:
            fcntl.flock(f, mode | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait is not None:
                f.seek(0)
                on_wait(f.read().strip() or "another process")
            fcntl.flock(f, mode)
        if exclusive and holder is not None:
            f.seek(0)
            f.truncate()
            f.write(holder)
            f.flush()
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)
