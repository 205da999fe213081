"""Execute one page in a fresh kernel and record what it depended on.

:func:`execute_page` is the unit of work the scheduler hands to a thread, a
Dask worker or a bare GPU machine: it takes a plain :class:`Task` (the
notebook as JSON plus settings) and returns a plain :class:`Result`, so it
needs nothing but nbclient, nbformat and ipykernel (no Sphinx, MyST-NB or
jupyter-cache).

How a page is observed: before the first cell, a silent, uncounted
execution installs an audit hook (:func:`sys.addaudithook`) in the kernel
that notes every file opened, whether it existed and whether it was read or
written, and every directory the page's code listed (``os.listdir`` and
``os.scandir``, so also ``glob`` and ``Path.iterdir``; the import system's
own listings are not the page's); after the last cell, another silent
execution lists every module in :data:`sys.modules` with a file. The
execution counts the reader sees are those of the page's own cells. Then,
outside the kernel, the files that count as inputs (read, never written by
the page, not part of the interpreter or of an installed distribution) and
the listed directories' entry names are hashed. A file modified after the
page started is recorded as such, so the page is re-executed next time
instead of keeping outputs that may predate the edit.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .provenance import JSON
from . import provenance

#: Settings every kernel gets (they are part of each record's environment,
#: so changing these re-executes every page); a book adds its own
#: (``kernel_env`` in ``[tool.bookengine]``), see :func:`kernel_settings`.
KERNEL_ENV = {
    "PYTHONHASHSEED": "0",
    "MPLBACKEND": "module://matplotlib_inline.backend_inline",
}


def kernel_settings(root: Path) -> dict[str, str]:
    """The variables every kernel of the book at ``root`` gets."""
    extra = provenance.book_settings(root).get("kernel_env", {})
    return {**KERNEL_ENV, **{str(k): str(v) for k, v in extra.items()}}


def python_path(root: Path) -> list[str]:
    """The book's folders on every kernel's path (``python_path`` in
    ``[tool.bookengine]``; default ``["src"]``)."""
    entries = provenance.book_settings(root).get("python_path", ["src"])
    return [str(root / e) for e in entries if (root / e).is_dir()]

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

#: Runs silently in the kernel before the first cell.
_PROLOGUE = r'''
def __bookengine_watch():
    import os, sys
    seen = {}
    # Listings made for these (the import system filling its caches, the
    # installed distributions being found) are not the page's own.
    machinery = ("_frozen_importlib", "importlib", "pkgutil", "zipimport",
                 "pkg_resources", "site")
    wrappers = {"os", "pathlib", "pathlib._local", "pathlib._abc", "glob",
                "shutil", "fnmatch", "posixpath", "genericpath"}
    def listed(path):
        frame = sys._getframe(2)
        while frame is not None and \
                frame.f_globals.get("__name__") in wrappers:
            frame = frame.f_back
        caller = "" if frame is None else frame.f_globals.get("__name__", "")
        if caller.split(".")[0] in machinery:
            return
        path = os.path.abspath(os.fsdecode("." if path is None else path))
        if seen.get(path) in (None, "stat"):
            seen[path] = "listed"
    # What the page's own code (a cell, a project module) does that no
    # file event shows: recorded so the engine can say so. Calls made by
    # the standard library on behalf of such code count as the code's;
    # calls from installed distributions are the environment's.
    import site, sysconfig
    def real(name, memo={}):
        if name not in memo:
            memo[name] = os.path.realpath(name)
        return memo[name]
    stdlib = tuple({real(sysconfig.get_path(k)) + os.sep
                    for k in ("stdlib", "platstdlib")})
    installed = tuple({real(d) + os.sep for d in (
        *site.getsitepackages(), site.getusersitepackages(),
        sys.prefix, sys.exec_prefix) if d})
    import threading
    busy = threading.local()  # inside this code: its own stats don't count
    own = sys._getframe(0).f_code.co_filename
    def by_page_code():
        # From the caller of the wrapper or hook that calls this.
        frame = sys._getframe(2)
        while frame is not None:
            name = frame.f_code.co_filename
            if name == own:
                return False
            path = "" if name.startswith("<") else real(name)
            if name.startswith("<frozen") or (
                    path.startswith(stdlib) and "-packages" not in path):
                frame = frame.f_back  # the standard library, for its caller
                continue
            return not path.startswith(installed)
        return False
    unobserved = []
    sys.modules["__bookengine_unobserved__"] = unobserved
    unseen = {"subprocess.Popen": 1, "os.system": 0, "os.posix_spawn": 1,
              "os.spawn": 2, "os.exec": 1, "sqlite3.connect": 0,
              "socket.connect": 1, "urllib.Request": 0}
    def stat_noted(original):
        def stat(path, *args, **kwargs):
            if not getattr(busy, "on", False):
                busy.on = True
                try:
                    if not isinstance(path, int) and by_page_code():
                        seen.setdefault(os.path.abspath(os.fsdecode(path)),
                                        "stat")
                except Exception:
                    pass
                finally:
                    busy.on = False
            return original(path, *args, **kwargs)
        return stat
    os.stat = stat_noted(os.stat)
    os.lstat = stat_noted(os.lstat)
    def hook(event, args):
        if event in unseen or event == "ctypes.dlopen":
            try:
                busy.on = True
                if not by_page_code():
                    return
                detail = args[unseen.get(event, 0)] if args else ""
                if event == "ctypes.dlopen":
                    if detail and os.sep in os.fsdecode(detail):
                        seen.setdefault(os.path.abspath(os.fsdecode(detail)),
                                        "read")
                    return
                if isinstance(detail, (list, tuple)):
                    detail = " ".join(map(str, detail))
                unobserved.append(f"{event} {str(detail)[:200]}")
            except Exception:
                pass
            finally:
                busy.on = False
            return
        if event in ("os.listdir", "os.scandir"):
            if args and not isinstance(args[0], int):
                try:
                    listed(args[0])
                except Exception:
                    pass
            return
        if event != "open" or not args or isinstance(args[0], int):
            return
        try:
            path = os.path.abspath(os.fsdecode(args[0]))
            mode, flags = args[1], args[2]
            if mode is None:
                writes = flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT
                                  | os.O_TRUNC | os.O_APPEND) != 0
            else:
                writes = any(c in mode for c in "wax+")
            kind = seen.get(path)
            if writes:
                if kind != "read":
                    seen[path] = "written"
                else:
                    seen[path] = "read-then-written"
            elif kind in (None, "stat"):
                seen[path] = "read" if os.path.exists(path) else "missing"
        except Exception:
            pass
    sys.addaudithook(hook)
    sys.modules["__bookengine_seen__"] = seen
__bookengine_watch()
del __bookengine_watch
'''

#: Runs silently after the last cell; ``REPORT_PATH`` is where to write.
_EPILOGUE = r'''
def __bookengine_report(path):
    import json, resource, sys
    seen = dict(sys.modules["__bookengine_seen__"])
    modules = sorted({m.__file__ for m in list(sys.modules.values())
                      if isinstance(getattr(m, "__file__", None), str)})
    usage = resource.getrusage(resource.RUSAGE_SELF)  # all its threads
    with open(path, "w") as f:
        json.dump({"opened": seen, "modules": modules,
                   "unobserved": sys.modules["__bookengine_unobserved__"],
                   "cpu_seconds": usage.ru_utime + usage.ru_stime}, f)
__bookengine_report(REPORT_PATH)
del __bookengine_report
'''


@dataclasses.dataclass
class Task:
    """One page to execute."""

    page: str                 # docname
    source: str               # root-relative source file
    notebook: str             # the unexecuted notebook, nbformat JSON
    root: str                 # the engine's project root
    timeout: int | None = None
    allow_errors: bool = False
    gpu: bool = False         # the page declared ``resources: {gpu: 1}``
    gpu_index: str | None = None  # locally assigned GPU (CUDA index)
    ignored_dirs: tuple[str, ...] = ()  # never recorded as inputs
    unset_env: tuple[str, ...] = ()     # this process's, not the kernel's


@dataclasses.dataclass
class Failure:
    """A page whose execution failed: where, what and the traceback."""

    page: str
    source: str
    cell: int | None          # 1-based position among the page's code cells
    cell_source: str
    error: str                # e.g. "IndexError: list index out of range"
    traceback: str


@dataclasses.dataclass
class Result:
    """What executing a page produced, ready to be stored."""

    page: str
    source: str
    notebook: str | None      # executed notebook (JSON), partial on failure
    failure: Failure | None
    files: dict[str, JSON]    # record name -> FileState JSON
    environment: JSON
    device: str
    run: JSON                 # host, worker, started, seconds, cpu_seconds
    executed_root: str = ""
    #: what the page's code did that no file event shows (a subprocess,
    #: a database, a network connection): see the kernel's prologue
    unobserved: list[str] = dataclasses.field(default_factory=list)

    def summary(self) -> str:
        """``executed in 12.8 s (CPU 19.4 s) on CPU``, for the terminal."""
        cpu = self.run.get("cpu_seconds")
        return (f"executed in {self.run['seconds']:.1f} s"
                + (f" (CPU {cpu:.1f} s)" if cpu is not None else "")
                + f" on {self.device}")


# --------------------------------------------------------------------------
# Devices
# --------------------------------------------------------------------------


def gpu_names(visible: str | None = None) -> list[tuple[str, str]]:
    """``(index, name)`` of the NVIDIA GPUs ``nvidia-smi`` reports (empty
    when there is none), restricted to ``visible`` (a CUDA_VISIBLE_DEVICES
    value) when given."""
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return []
    try:
        out = subprocess.run([smi, "--query-gpu=index,name",
                              "--format=csv,noheader"], capture_output=True,
                             text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return []
    if out.returncode != 0:
        return []
    found = [tuple(part.strip() for part in line.split(",", 1))
             for line in out.stdout.splitlines() if "," in line]
    if visible is not None:
        allowed = [v.strip() for v in visible.split(",") if v.strip()]
        found = [g for g in found if g[0] in allowed]
    return found  # type: ignore[return-value]


#: The directory holding this package: on the engine's path, never on a
#: kernel's (a Dask worker is started with it in PYTHONPATH).
ENGINE_DIR = os.path.realpath(Path(__file__).resolve().parent.parent)


def base_environment(root: Path, unset: tuple[str, ...] = ()
                     ) -> dict[str, str]:
    """Every kernel's environment variables, before per-page assignments:
    this process's (less ``unset``), the engine's settings, and ``src/`` on
    the path."""
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env.update(kernel_settings(root))
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep)
             if p and os.path.realpath(p) != ENGINE_DIR]
    paths[:0] = python_path(root)
    if paths:
        env["PYTHONPATH"] = os.pathsep.join(paths)
    else:
        env.pop("PYTHONPATH", None)
    return env


def kernel_environment(task: Task, root: Path) -> tuple[dict[str, str], str]:
    """The kernel's environment variables and the device it will use."""
    env = base_environment(root, task.unset_env)
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    gpus = gpu_names(visible) if task.gpu else []
    if task.gpu_index is not None:
        gpus = [g for g in gpus if g[0] == task.gpu_index]
        env["CUDA_VISIBLE_DEVICES"] = task.gpu_index
    if gpus:
        # Several pages may share a card: allocate memory as needed.
        env["XLA_PYTHON_CLIENT_PREALLOCATE"] = "false"
        return env, gpus[0][1]
    if gpu_names():
        # A page that did not ask for a GPU runs on the CPU even here.
        env["CUDA_VISIBLE_DEVICES"] = ""
        env["JAX_PLATFORMS"] = "cpu"
    return env, "CPU"


# --------------------------------------------------------------------------
# Running the kernel
# --------------------------------------------------------------------------


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


async def _silent(client: Any, code: str) -> None:
    from jupyter_core.utils import ensure_async

    msg_id = await ensure_async(client.kc.execute(
        code, silent=True, store_history=False))
    reply = await client.async_wait_for_reply(msg_id)
    if reply is None or reply["content"]["status"] != "ok":
        content = reply["content"] if reply else {}
        raise RuntimeError("bookengine: instrumenting the kernel failed: "
                           f"{content.get('ename')}: {content.get('evalue')}")


async def _run(nb: Any, task: Task, env: JSON, cwd: Path, workdir: Path,
               report: Path) -> Failure | None:
    from jupyter_core.utils import ensure_async
    from nbclient import NotebookClient
    from nbclient.exceptions import (CellControlSignal, CellExecutionError,
                                     DeadKernelError)

    km = _kernel_manager(workdir / "kernels")
    client = NotebookClient(
        nb, km=km, timeout=task.timeout, allow_errors=task.allow_errors,
        record_timing=False, resources={"metadata": {"path": str(cwd)}})
    # The kernel process's own output (ZeroMQ notices, native libraries'
    # logs) goes to a file, shown only if the kernel dies.
    log_path = workdir / "kernel.log"
    with log_path.open("w") as log:
        # cleanup_kc: shut the kernel down at the end although the kernel
        # manager is ours (nbclient only cleans up managers it created).
        async with client.async_setup_kernel(env=env, stdout=log, stderr=log,
                                             cleanup_kc=True):
            assert client.kc is not None  # set up by async_setup_kernel
            info = await client.async_wait_for_reply(
                await ensure_async(client.kc.kernel_info()))
            if info is not None and "language_info" in info["content"]:
                nb.metadata["language_info"] = \
                    info["content"]["language_info"]
            await _silent(client, _PROLOGUE)
            number = 0
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
                number += 1
                try:
                    await client.async_execute_cell(
                        cell, index,
                        execution_count=client.code_cells_executed + 1)
                except CellExecutionError as err:
                    errors = [o for o in cell.get("outputs", [])
                              if o.get("output_type") == "error"]
                    trace = "\n".join(errors[-1].get("traceback", [])) \
                        if errors else err.traceback
                    return Failure(task.page, task.source, number,
                                   cell.source, f"{err.ename}: {err.evalue}",
                                   ANSI.sub("", trace))
                except (CellControlSignal, DeadKernelError,
                        TimeoutError) as err:
                    log.flush()
                    tail = log_path.read_text()[-3000:]
                    return Failure(task.page, task.source, number,
                                   cell.source, f"{type(err).__name__}: {err}",
                                   "kernel output:\n" + tail if tail else "")
            await _silent(client, _EPILOGUE.replace(
                "REPORT_PATH", repr(str(report))))
            client.set_widgets_metadata()
    return None


def _inputs(data: JSON, root: Path, ignored: list[str],
            started_ns: int) -> dict[str, JSON]:
    """Hash the files that count as the page's inputs (``data``: what the
    epilogue reported)."""
    opened: dict[str, str] = data["opened"]
    names = {p for p, kind in opened.items()
             if kind in ("read", "missing", "listed", "stat")}
    names |= {p for p in data["modules"] if opened.get(p) not in (
        "written", "read-then-written")}
    files = {}
    for path in sorted(names):
        if not provenance.is_recorded_input(path, ignored):
            continue
        exists_only = opened.get(path) == "stat" and os.path.isdir(path)
        if exists_only and root.is_relative_to(os.path.realpath(path)):
            continue  # a folder above the project (Path.resolve stats it)
        state = provenance.FileState.of(
            Path(path), kind="exists" if exists_only else None)
        name = provenance.record_path(Path(os.path.realpath(path)), root)
        if exists_only:
            pass  # a directory the page only stat()ed: its existence
        elif opened.get(path) == "listed":
            # A directory's listing as it stands after the page ran: the
            # files the page wrote there itself are part of it.
            name += "/"
        elif state.sha256 is not None and state.mtime_ns >= started_ns:
            state = provenance.FileState(provenance.CHANGED_DURING_RUN)
        files[name] = state.to_json()
    return files


def execute_page(task: Task, worker: str = "local") -> Result:
    """Execute ``task``'s notebook in a fresh kernel; never raises for a
    failing cell (the :class:`Failure` is in the result)."""
    import nbformat

    root = Path(os.environ.get("BOOKENGINE_ROOT") or task.root).resolve()
    nb = nbformat.reads(  # type: ignore[no-untyped-call]
        task.notebook, as_version=4)
    env, device = kernel_environment(task, root)
    cwd = (root / task.source).parent
    started = datetime.now(timezone.utc)
    with tempfile.TemporaryDirectory(prefix="bookengine-") as tmp:
        workdir = Path(tmp)
        env["IPYTHONDIR"] = str(workdir / "ipython")  # no user startup files
        report = workdir / "opened.json"
        started_ns = time.time_ns()
        t0 = time.perf_counter()
        failure = asyncio.run(_run(nb, task, env, cwd, workdir, report))
        seconds = time.perf_counter() - t0
        ignored = [*provenance.environment_dirs(), str(workdir),
                   *task.ignored_dirs]
        data = {} if failure else json.loads(report.read_text())
        files = _inputs(data, root, ignored, started_ns) if data else {}
        unobserved = sorted(set(data.get("unobserved", [])))
        cpu = data.get("cpu_seconds")
    return Result(
        page=task.page, source=task.source,
        notebook=nbformat.writes(nb),  # type: ignore[no-untyped-call]
        failure=failure, files=files,
        environment=provenance.environment(env, root), device=device,
        run={"host": socket.gethostname(), "worker": worker,
             "started": started.isoformat(timespec="seconds"),
             "seconds": round(seconds, 2),
             # the kernel process's CPU time: above ``seconds`` when the
             # page's libraries ran on several cores at once
             "cpu_seconds": None if cpu is None else round(cpu, 2)},
        executed_root=str(root), unobserved=unobserved)
