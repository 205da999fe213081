"""Fresh kernels, started ahead of need.

Every page runs in a fresh kernel of its own, used for that page only.
Starting one (a new Python process importing ipykernel, then the engine's
silent instrumentation) takes about half a second, and shutting it down
politely another fifth; on a book of many short pages that is most of the
execution time. :class:`Kernels` starts the next page's kernel while the
current page runs and shuts each kernel down in the background after its
page, so that start-up and shut-down overlap with execution.

A spare kernel is started with exactly what a page's kernel would get: the
environment variables, the working folder and the silent preludes (its
:data:`Key`), and only a page with the same key is given it. A page whose
key no spare has gets a kernel started there and then, and the spares of
other keys are shut down unused. The kernels of a build all live in one
event loop, on a thread of their own; the scheduler's threads hand their
pages to it (:meth:`Kernels.run`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
import json
import logging
import sys
import tempfile
import threading
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: What makes two kernels interchangeable: their environment variables
#: (sorted), working folder and silent preludes.
Key = tuple[tuple[tuple[str, str], ...], str, tuple[str, ...]]


def key_of(env: dict[str, str], cwd: Path | str,
           preludes: tuple[str, ...]) -> Key:
    return tuple(sorted(env.items())), str(cwd), preludes


def _kernel_manager(kernels: Path) -> Any:
    """A kernel manager that always starts *this* interpreter's ipykernel,
    whatever kernelspecs the user has installed."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager

    spec = kernels / "bookengine"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher",
                 "-f", "{connection_file}"],
        "display_name": "Python 3 (bookengine)", "language": "python"}))
    ksm = KernelSpecManager(kernel_dirs=[str(kernels)],
                            ensure_native_kernel=False)
    return AsyncKernelManager(kernel_name="bookengine",
                              kernel_spec_manager=ksm)


async def silent(client: Any, code: str) -> None:
    """Run ``code`` in ``client``'s kernel, uncounted and unrecorded; raise
    if it fails."""
    from jupyter_core.utils import ensure_async

    msg_id = await ensure_async(client.kc.execute(
        code, silent=True, store_history=False))
    reply = await client.async_wait_for_reply(msg_id)
    if reply is None or reply["content"]["status"] != "ok":
        content = reply["content"] if reply else {}
        raise RuntimeError("bookengine: instrumenting the kernel failed: "
                           f"{content.get('ename')}: {content.get('evalue')}")


@dataclass
class Kernel:
    """One started kernel: its process running, its client connected, its
    preludes run. Its folder (``workdir``) holds its IPython directory,
    its log and whatever the page's report is written to; it is deleted
    when the kernel is shut down."""

    key: Key
    km: Any
    kc: Any
    folder: tempfile.TemporaryDirectory[str]
    log: IO[str]
    #: When it was started (``time.time_ns()``): whatever it read from then
    #: on counts for its page (a file modified later is "changed during
    #: the run").
    started_ns: int
    language_info: dict[str, Any] | None = None

    @property
    def workdir(self) -> Path:
        return Path(self.folder.name)

    @property
    def log_path(self) -> Path:
        return self.workdir / "kernel.log"

    def log_tail(self, size: int = 3000) -> str:
        self.log.flush()
        return self.log_path.read_text()[-size:]


async def start(key: Key, startup_timeout: float = 60) -> Kernel:
    """Start a kernel for ``key``: launch it, wait until it answers, ask
    for its language and run its preludes silently."""
    from jupyter_core.utils import ensure_async
    from nbclient import NotebookClient
    from nbformat import v4

    variables, cwd, preludes = key
    folder = tempfile.TemporaryDirectory(prefix="bookengine-")
    workdir = Path(folder.name)
    env = dict(variables)
    env["IPYTHONDIR"] = str(workdir / "ipython")  # no user startup files
    # The kernel process's own output (ZeroMQ notices, native libraries'
    # logs) goes to a file, shown only if the kernel dies.
    log = (workdir / "kernel.log").open("w")
    km = _kernel_manager(workdir / "kernels")
    kernel = Kernel(key, km, None, folder, log, time.time_ns())
    client = NotebookClient(
        v4.new_notebook(),  # type: ignore[no-untyped-call]
        km=km, startup_timeout=int(startup_timeout),
        resources={"metadata": {"path": cwd}})
    try:
        await client.async_start_new_kernel(env=env, stdout=log, stderr=log)
        kernel.kc = await client.async_start_new_kernel_client()
        info = await client.async_wait_for_reply(
            await ensure_async(kernel.kc.kernel_info()))
        if info is not None:
            kernel.language_info = info["content"].get("language_info")
        for code in preludes:
            await silent(client, code)
    except BaseException:
        await stop(kernel)
        raise
    return kernel


async def stop(kernel: Kernel) -> None:
    """Shut ``kernel`` down politely (killed if it does not go within a
    second), then delete its folder."""
    from jupyter_core.utils import ensure_async

    try:
        if kernel.km.has_kernel and await kernel.km.is_alive():
            await kernel.km.shutdown_kernel(now=False)
    except RuntimeError as err:  # already gone
        logger.debug("shutting a kernel down: %s", err)
    finally:
        try:
            await kernel.km.cleanup_resources()
        finally:
            if kernel.kc is not None:
                await ensure_async(kernel.kc.stop_channels())
            kernel.log.close()
            kernel.folder.cleanup()


@dataclass
class _Spare:
    key: Key
    starting: asyncio.Task[Kernel]


@dataclass
class Kernels:
    """The kernels of one build: ``expected`` pages will ask for one
    (:meth:`take`), and up to ``ahead`` spares are kept starting for the
    pages still to come (``0``: none; each page's kernel starts when the
    page does, as for a single page on a Dask worker)."""

    expected: int = 0
    ahead: int = 0
    startup_timeout: float = 60
    _spares: list[_Spare] = field(default_factory=list)
    _stopping: set[asyncio.Task[None]] = field(default_factory=set)
    #: What :meth:`run` is running for the scheduler's threads.
    _running: set[asyncio.Task[Any]] = field(default_factory=set)
    #: Kernels started in all, and how many of them were spares a page got.
    started: int = 0
    reused: int = 0

    def __post_init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self.loop.run_forever, name="bookengine-kernels",
            daemon=True)
        self._thread.start()
        self._closed = False

    def __enter__(self) -> Kernels:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run ``coroutine`` on the kernels' loop and wait for its result
        (from any thread but the loop's own)."""
        async def tracked() -> T:
            task = asyncio.current_task()
            assert task is not None
            self._running.add(task)
            try:
                return await coroutine
            finally:
                self._running.discard(task)

        future: cf.Future[T] = asyncio.run_coroutine_threadsafe(
            tracked(), self.loop)
        return future.result()

    def _start(self, key: Key) -> asyncio.Task[Kernel]:
        self.started += 1
        return self.loop.create_task(start(key, self.startup_timeout))

    async def take(self, key: Key) -> Kernel:
        """A started kernel for a page with ``key``: a spare when one has
        that key, else one started now. Starts the spare for a page to
        come when any is still expected."""
        self.expected -= 1
        mine = next((s for s in self._spares if s.key == key), None)
        if mine is not None:
            self._spares.remove(mine)
            self.reused += 1
            starting = mine.starting
        else:
            starting = self._start(key)
            for other in self._spares:  # no page wanted these
                self._retire_starting(other.starting)
            self._spares.clear()
        if self.expected > len(self._spares) and \
                len(self._spares) < self.ahead:
            # The next page most likely shares this one's key: same folder,
            # same settings.
            self._spares.append(_Spare(key, self._start(key)))
        return await starting

    def wait_for_spares(self) -> int:
        """Wait until every spare has started (or failed to); how many
        there are."""
        async def wait() -> int:
            await asyncio.gather(*(s.starting for s in self._spares),
                                 return_exceptions=True)
            return len(self._spares)
        return self.run(wait())

    def retire(self, kernel: Kernel) -> None:
        """Shut ``kernel`` down in the background (called on the loop)."""
        self._track(self.loop.create_task(stop(kernel)))

    def _retire_starting(self, starting: asyncio.Task[Kernel]) -> None:
        async def retire() -> None:
            try:
                kernel = await starting
            except Exception as err:  # noqa: BLE001 - nobody wanted it
                logger.debug("a spare kernel failed to start: %s", err)
                return
            await stop(kernel)
        self._track(self.loop.create_task(retire()))

    def _track(self, task: asyncio.Task[None]) -> None:
        self._stopping.add(task)
        task.add_done_callback(self._stopping.discard)

    async def _close(self) -> None:
        for spare in self._spares:
            self._retire_starting(spare.starting)
        self._spares.clear()
        # Pages still running (the build was interrupted while its threads
        # waited for them): cancelled, so that those threads get an error
        # instead of waiting forever on a stopped loop; their kernels are
        # retired as they unwind.
        running = [t for t in self._running
                   if t is not asyncio.current_task()]
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        while self._stopping:
            await asyncio.gather(*self._stopping, return_exceptions=True)
        # Every kernel is down: what is left (a cancelled page's nbclient
        # poller) is cancelled before the loop stops.
        left = [t for t in asyncio.all_tasks(self.loop)
                if t is not asyncio.current_task()]
        for task in left:
            task.cancel()
        await asyncio.gather(*left, return_exceptions=True)

    def close(self) -> None:
        """Shut every kernel down (spares nobody took included) and stop
        the loop; waits for them."""
        if self._closed:
            return
        self._closed = True
        try:
            self.run(self._close())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join()
            self.loop.close()
