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

import json
import os
import re
import socket
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from . import devices, provenance
from .provenance import JSON
from .kernels import Kernel, Kernels, key_of, silent
from .records import Failure, Result, Task

__all__ = ["Failure", "Result", "Task", "execute_page", "kernel_environment"]

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
        if seen.get(path) in (None, "stat", "stat-lib"):
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
                    if not isinstance(path, int):
                        # A library's check counts for project files only
                        # (the engine decides which those are).
                        seen.setdefault(os.path.abspath(os.fsdecode(path)),
                                        "stat" if by_page_code()
                                        else "stat-lib")
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
            elif kind in (None, "stat", "stat-lib"):
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
    device = None
    jax = sys.modules.get("jax")
    if jax is not None:  # what JAX really used (never imported: nothing)
        try:
            used = jax.devices()
            device = {
                "platform": used[0].platform,
                "model": str(getattr(used[0], "device_kind", "")),
                "devices": [str(d) for d in used],
                "jax": getattr(jax, "__version__", None),
                "jaxlib": getattr(sys.modules.get("jaxlib"), "__version__",
                                  None),
                "matmul_precision": (
                    None if jax.config.jax_default_matmul_precision is None
                    else str(jax.config.jax_default_matmul_precision)),
                "x64": bool(jax.config.jax_enable_x64)}
        except Exception as err:
            device = {"error": f"{type(err).__name__}: {err}"}
    # The page's own execution line (dlpy.runtime.Run.summary()).
    runtime = sys.modules.get("dlpy.runtime")
    page = getattr(runtime, "last_summary", None)
    with open(path, "w") as f:
        json.dump({"opened": seen, "modules": modules,
                   "unobserved": sys.modules["__bookengine_unobserved__"],
                   "cpu_seconds": usage.ru_utime + usage.ru_stime,
                   "device": device,
                   "page": dict(page) if page else None}, f)
__bookengine_report(REPORT_PATH)
del __bookengine_report
'''


# --------------------------------------------------------------------------
# Devices
# --------------------------------------------------------------------------


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


def kernel_environment(task: Task, root: Path
                       ) -> tuple[dict[str, str], str, devices.GPU | None]:
    """The kernel's environment variables, its device label and the GPU it
    is sent to (``None``: the CPU).

    A page that declared a GPU, on a machine that has one, gets its card
    (``task.gpu_index``, else the first visible one) by UUID, no
    preallocation and its share of the card's memory (one of
    ``task.gpu_slots``). Every other page runs on the CPU, GPUs hidden:
    JAX never picks a GPU the engine did not assign. Without any GPU, a
    page that declared one runs on the CPU: the documented CPU build.
    """
    env = base_environment(root, task.unset_env)
    env.update(task.variables)
    if task.cache_dir:
        env.update(compilation_cache(task.cache_dir))
    gpus = devices.visible_gpus() if task.gpu else []
    if task.gpu_index is not None:
        gpus = [g for g in gpus if task.gpu_index in (g.index, g.uuid)]
    if gpus:
        gpu = gpus[0]
        env["CUDA_VISIBLE_DEVICES"] = gpu.uuid
        env["XLA_PYTHON_CLIENT_PREALLOCATE"] = "false"
        env["XLA_PYTHON_CLIENT_MEM_FRACTION"] = devices.memory_fraction(
            devices.gpu_slots(gpu, task.gpu_slots))
        env.pop("JAX_PLATFORMS", None)
        return env, devices.page_device(True, [gpu]), gpu
    env["CUDA_VISIBLE_DEVICES"] = ""
    env["JAX_PLATFORMS"] = "cpu"
    return env, devices.CPU, None


def compilation_cache(path: str) -> dict[str, str]:
    """JAX's persistent compilation cache in ``path``, shared by the kernels
    of a build and across builds (these settings change no output, so
    they are not part of a page's recorded environment). No size limit:
    JAX's needs the filelock package, which the book does not install;
    `make clean` (or deleting the folder) empties it."""
    return {"JAX_COMPILATION_CACHE_DIR": path,
            # Cache every program: the book's are many and small (one page
            # on the CPU: 67 programs, 540 kB; a warm cache took its
            # kernel from 16.7 to 11.2 CPU seconds).
            "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0",
            "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES": "0"}


def device_record(expected: devices.GPU | None, reported: dict[str, Any] | None,
                  env: dict[str, str]) -> dict[str, Any]:
    """What a page's outputs depend on about its device: {platform, model,
    compute capability, driver, CUDA, jaxlib, matmul precision,
    determinism settings}, from what the kernel's JAX reported (``None``:
    the page never imported JAX) and the card it was sent to."""
    reported = reported or {}
    flags = env.get("XLA_FLAGS", "")
    return {
        "platform": reported.get("platform") or ("gpu" if expected
                                                 else "cpu"),
        "model": reported.get("model") or (expected.name if expected
                                           else devices.CPU),
        "compute_capability": expected.compute_capability if expected
        else None,
        "driver": expected.driver if expected else None,
        "cuda": expected.cuda if expected else None,
        "uuid": expected.uuid if expected else None,
        "jax": reported.get("jax"),
        "jaxlib": reported.get("jaxlib"),
        "matmul_precision": reported.get("matmul_precision"),
        "numerics": env.get("DLPY_NUMERICS"),
        "determinism": {
            "xla_gpu_deterministic_ops":
                "--xla_gpu_deterministic_ops=true" in flags,
            "jax_enable_x64": reported.get("x64"),
            "PYTHONHASHSEED": env.get("PYTHONHASHSEED"),
        },
    }


def device_mismatch(task: Task, expected: devices.GPU | None,
                    reported: dict[str, Any] | None) -> Failure | None:
    """A failure when the kernel's JAX ran somewhere else than the page was
    sent to (a page sent to a GPU whose JAX has no CUDA, or cannot see the
    card, would otherwise run on the CPU and record the GPU)."""
    if not reported:
        return None  # the page never imported JAX
    if "platform" not in reported:
        return Failure(
            task.page, task.source, None, "",
            f"DeviceUnknown: {task.source} imported JAX, but jax.devices() "
            f"failed after its last cell: {reported.get('error')}", "")
    want = "gpu" if expected else "cpu"
    got = "gpu" if reported["platform"] in ("gpu", "cuda", "rocm") \
        else reported["platform"]
    if got == want:
        return None
    sent = (f"GPU {expected.index} ({expected.name}, {expected.uuid})"
            if expected else "the CPU")
    ran = f"{reported['platform']} ({reported.get('model')})"
    return Failure(
        task.page, task.source, None, "",
        f"DeviceMismatch: {task.source} was sent to {sent} but its JAX ran "
        f"on {ran}",
        "The page's kernel reported jax.devices() = "
        f"{reported.get('devices')}. A page sent to a GPU never falls back "
        "to the CPU: install JAX's CUDA build (make venv on the GPU "
        "machine), or hide the GPUs from the whole build "
        "(CUDA_VISIBLE_DEVICES=) for a CPU build.")


# --------------------------------------------------------------------------
# Running the kernel
# --------------------------------------------------------------------------


async def _run(nb: Any, task: Task, env: dict[str, str], cwd: Path,
               kernels: Kernels) -> tuple[Failure | None, JSON, Kernel]:
    """Run ``nb``'s cells in a fresh kernel from ``kernels``, then the
    epilogue; the failure (or ``None``), what the epilogue reported (empty
    after a failure) and the kernel, which is being shut down."""
    from nbclient import NotebookClient
    from nbclient.exceptions import (CellControlSignal, CellExecutionError,
                                     DeadKernelError)

    preludes = [_PROLOGUE]
    if task.setup:
        module, _, function = task.setup.partition(":")
        preludes.append(
            "import importlib as __bookengine_importlib\n"
            f"getattr(__bookengine_importlib.import_module({module!r}),"
            f" {function!r})()\n"
            "del __bookengine_importlib\n")
    kernel = await kernels.take(key_of(env, cwd, tuple(preludes)))
    try:
        if kernel.language_info is not None:
            nb.metadata["language_info"] = kernel.language_info
        client = NotebookClient(
            nb, km=kernel.km, timeout=task.timeout,
            allow_errors=task.allow_errors, record_timing=False,
            resources={"metadata": {"path": str(cwd)}})
        client.kc = kernel.kc
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
                return Failure(task.page, task.source, number, cell.source,
                               f"{err.ename}: {err.evalue}",
                               ANSI.sub("", trace)), {}, kernel
            except (CellControlSignal, DeadKernelError,
                    TimeoutError) as err:
                tail = kernel.log_tail()
                return Failure(task.page, task.source, number, cell.source,
                               f"{type(err).__name__}: {err}",
                               "kernel output:\n" + tail if tail else ""
                               ), {}, kernel
        report = kernel.workdir / "opened.json"
        await silent(client, _EPILOGUE.replace(
            "REPORT_PATH", repr(str(report))))
        client.set_widgets_metadata()
        return None, json.loads(report.read_text()), kernel
    finally:
        kernels.retire(kernel)


def _inputs(data: JSON, root: Path, ignored: list[str],
            started_ns: int) -> dict[str, JSON]:
    """Hash the files that count as the page's inputs (``data``: what the
    epilogue reported)."""
    opened: dict[str, str] = data["opened"]
    names = {p for p, kind in opened.items()
             if kind in ("read", "missing", "listed", "stat")}
    # What installed libraries checked: inputs only inside the project
    # (Matplotlib looking for ./matplotlibrc), not in their own folders.
    names |= {p for p, kind in opened.items() if kind == "stat-lib"
              and provenance.is_project_path(provenance.record_path(
                  Path(os.path.realpath(p)), root))}
    names |= {p for p in data["modules"] if opened.get(p) not in (
        "written", "read-then-written")}
    files = {}
    for path in sorted(names):
        if not provenance.is_recorded_input(path, ignored):
            continue
        exists_only = opened.get(path) in ("stat", "stat-lib") and \
            os.path.isdir(path)
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


def execute_page(task: Task, worker: str = "local",
                 kernels: Kernels | None = None) -> Result:
    """Execute ``task``'s notebook in a fresh kernel (from ``kernels``, the
    build's, which may have started it ahead; else one started for it);
    never raises for a failing cell (the :class:`Failure` is in the
    result).

    The time and device recorded are those the page itself showed its
    reader (``dlpy.runtime.Run.summary()``, the execution line) when it
    showed one, so the page, the build record and the terminal agree;
    ``kernel_seconds`` is the kernel's whole life (start-up included, what
    the scheduler plans with)."""
    if kernels is None:
        with Kernels() as own:
            return execute_page(task, worker, own)
    import nbformat

    root = Path(os.environ.get("BOOKENGINE_ROOT") or task.root).resolve()
    nb = nbformat.reads(  # type: ignore[no-untyped-call]
        task.notebook, as_version=4)
    env, device, expected = kernel_environment(task, root)
    cwd = (root / task.source).parent
    started = datetime.now(timezone.utc)
    t0 = time.perf_counter()
    failure, data, kernel = kernels.run(_run(nb, task, env, cwd, kernels))
    seconds = time.perf_counter() - t0
    ignored = [*provenance.environment_dirs(), str(kernel.workdir),
               *task.ignored_dirs]
    if task.cache_dir:
        ignored.append(task.cache_dir)
    # Whatever the kernel read since it started (ahead of the page,
    # perhaps) and was modified since is "changed during the run".
    files = _inputs(data, root, ignored, kernel.started_ns) if data else {}
    unobserved = sorted(set(data.get("unobserved", [])))
    cpu = data.get("cpu_seconds")
    reported = data.get("device")
    if failure is None:
        failure = device_mismatch(task, expected, reported)
    page = data.get("page") or {}
    shown = page.get("seconds")
    return Result(
        page=task.page, source=task.source,
        notebook=nbformat.writes(nb),  # type: ignore[no-untyped-call]
        failure=failure, files=files,
        environment=provenance.environment(
            {k: v for k, v in env.items() if k not in task.variables}, root),
        device=device,
        run={"host": socket.gethostname(), "worker": worker,
             "started": started.isoformat(timespec="seconds"),
             # the page's own, unrounded: shown to one decimal everywhere
             "seconds": shown if shown is not None else round(seconds, 2),
             "kernel_seconds": round(seconds, 2),
             # the kernel process's CPU time: above ``seconds`` when the
             # page's libraries ran on several cores at once
             "cpu_seconds": None if cpu is None else round(cpu, 2),
             "device": device_record(expected, reported, env),
             "page": page or None},
        executed_root=str(root), unobserved=unobserved)
