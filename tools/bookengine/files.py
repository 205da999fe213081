"""The two file primitives every stage uses: an atomic write and a lock.

:func:`write_atomic`: readers (another build, a crash's aftermath) see the
old content or the new, never a part: the text goes to a temporary name in
the same folder, is flushed to disk (``fsync``), then renamed over the
target; the temporary file is removed if anything fails on the way.

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


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write ``data`` to ``path`` atomically and durably."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex}")
    raw = data.encode() if isinstance(data, str) else data
    try:
        with open(tmp, "wb") as f:
            f.write(raw)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


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
