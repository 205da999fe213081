"""Run stale pages in parallel: on this machine, or on a Dask cluster.

Both paths hand each page to :func:`bookengine.kernel.execute_page` as one
unit of work and yield :class:`~bookengine.records.Result` records as pages
finish, longest first (from the last recorded durations), so the slowest
page does not start last.

Local (default, no server): ``jobs`` threads, each driving one kernel
process. On a machine with NVIDIA GPUs, a page that declares
``resources: {gpu: 1}`` waits for a free slot on a card and gets that card
through ``CUDA_VISIBLE_DEVICES``; a card has several slots (``gpu_slots``,
by default from its memory, see :func:`bookengine.devices.gpu_slots`), each
kernel limited to its share of the card's memory. Other pages run on the
CPU.

Dask (``--scheduler tcp://host:8786``): each page is one task; a page that
declares a GPU asks for the worker resource ``GPU=1`` (start GPU workers
with ``--resources GPU=<slots>``, e.g. ``GPU=8`` on an 80 GB card, so that a
card holds as many kernels as it has slots). Every worker must run this
project at the same sources and in the same environment:
:func:`worker_identity` is compared with the engine's own, and a worker that
differs is refused by name with what differs, never used. An unreachable
scheduler fails the build with its address; there is no fallback to local
execution.
"""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import os
import subprocess
from pathlib import Path
from typing import Callable, Iterator

from . import ENGINE_HASH, devices, provenance
from .kernel import base_environment, execute_page
from .kernels import Kernels
from .provenance import JSON
from .records import Failure, Result, Task
from .problems import BuildError

#: How long to try reaching a Dask scheduler before failing the build
#: (``BOOKENGINE_CONNECT_TIMEOUT_S`` overrides it).
CONNECT_TIMEOUT_S = 30


def usable_cpus() -> int:
    """The CPUs this process may use: its affinity mask, capped by a
    cgroup CPU quota (a container's ``--cpus``), not the machine's count."""
    try:
        count = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        count = os.cpu_count() or 1
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()
        if quota != "max":
            count = min(count, max(1, int(quota) // int(period)))
    except (OSError, ValueError):
        pass
    return max(1, count)


def connect_timeout() -> float:
    return float(os.environ.get("BOOKENGINE_CONNECT_TIMEOUT_S",
                                CONNECT_TIMEOUT_S))


def _crashed(task: Task, err: BaseException) -> Result:
    """A result for a page whose execution raised inside the engine."""
    failure = Failure(task.page, task.source, None, "",
                      f"{type(err).__name__}: {err}", "")
    return Result(task.page, task.source, None, failure, {}, {}, "", {})


def run_local(tasks: list[Task], jobs: int, log: Callable[[str], None],
              gpus: list[devices.GPU] | None = None,
              slots: int | None = None) -> Iterator[Result]:
    """Execute ``tasks`` with ``jobs`` kernels at a time on this machine;
    ``gpus``: the cards to share (default: the visible ones), ``slots``
    kernels per card (default: from each card's memory)."""
    if gpus is None:
        gpus = devices.visible_gpus()
    capacity = {g.uuid: devices.gpu_slots(g, slots) for g in gpus}
    in_use = {g.uuid: 0 for g in gpus}
    pending = list(tasks)
    waiting: set[str] = set()
    # Exits after the pool: every page has its kernel by then, and the
    # spares nobody took are shut down.
    with Kernels(expected=len(tasks), ahead=max(1, jobs)) as kernels, \
            cf.ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        running: dict[cf.Future[Result], Task] = {}
        while pending or running:
            index = 0
            while len(running) < jobs and index < len(pending):
                task = pending[index]
                where = ""
                if task.gpu and gpus:
                    free = [g for g in gpus
                            if in_use[g.uuid] < capacity[g.uuid]]
                    if not free:
                        if task.page not in waiting:
                            waiting.add(task.page)
                            log(f"{task.source} waits for a GPU slot (all "
                                f"{sum(capacity.values())} in use)")
                        index += 1
                        continue
                    gpu = min(free, key=lambda g: in_use[g.uuid]
                              / capacity[g.uuid])
                    in_use[gpu.uuid] += 1
                    task = dataclasses.replace(
                        task, gpu_index=gpu.uuid,
                        gpu_slots=capacity[gpu.uuid])
                    where = (f" on GPU {gpu.index} (slot {in_use[gpu.uuid]} "
                             f"of {capacity[gpu.uuid]})")
                pending.pop(index)
                log(f"executing {task.source}{where}")
                running[pool.submit(execute_page, task, "local",
                                    kernels)] = task
            done, _ = cf.wait(running, return_when=cf.FIRST_COMPLETED)
            for future in done:
                task = running.pop(future)
                if task.gpu_index is not None:
                    in_use[task.gpu_index] -= 1
                try:
                    yield future.result()
                except Exception as err:  # noqa: BLE001 - reported as a page failure
                    yield _crashed(task, err)


# --------------------------------------------------------------------------
# Dask
# --------------------------------------------------------------------------


def _dask_process_settings() -> tuple[str, ...]:
    """Variables a Dask nanny sets for its worker process only (e.g.
    OMP_NUM_THREADS=1); a page's kernel gets the machine's own values."""
    import dask

    spawn = dask.config.get("distributed.nanny.pre-spawn-environ", {})
    return tuple(k for k, v in spawn.items()
                 if os.environ.get(k) == str(v))


def git_tracked(base: Path, sources: list[str]) -> list[str] | None:
    """The files git tracks under ``sources`` (``None``: not a git
    checkout): what a worker's identity is built from, so that generated
    and ignored files (``*.egg-info``, caches) never refuse a worker."""
    try:
        out = subprocess.run(["git", "ls-files", "-z", "--", *sources],
                             cwd=base, capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    return sorted({n for n in out.stdout.decode().split("\0") if n})


def worker_identity(root: str, sources: list[str],
                    dask_worker: object = None) -> JSON:
    """What must match between the engine and a worker: the interpreter,
    every installed distribution, the watched environment variables, the
    engine's code and the project's sources (``[tool.bookengine]
    worker_sources``). ``dask_worker`` is given by ``Client.run``."""
    base = Path(os.environ.get("BOOKENGINE_ROOT") or root).resolve()
    files: dict[str, str | None] = {}
    tracked = git_tracked(base, sources)
    for entry in sources:
        path = base / entry
        if tracked is not None and (path.is_dir() or not path.exists()):
            for name in tracked:
                if name == entry or name.startswith(entry.rstrip("/") + "/"):
                    file = base / name
                    files[name] = provenance.sha256_file(file) \
                        if file.is_file() else None
            if not path.exists():
                files.setdefault(entry, None)
            continue
        candidates = sorted(path.rglob("*")) if path.is_dir() else [path]
        for file in candidates:
            if file.is_file() and "__pycache__" not in file.parts:
                files[file.relative_to(base).as_posix()] = \
                    provenance.sha256_file(file)
            elif not file.exists():
                files[entry] = None
    variables = provenance.watched_variables(
        base_environment(base, _dask_process_settings()
                         if dask_worker is not None else ()), base)
    return {"python": provenance.interpreter().split(" /")[0],
            "distributions": provenance.distributions(),
            "variables": variables, "engine": ENGINE_HASH, "files": files}


def identity_differences(mine: JSON, theirs: JSON, limit: int = 4) -> list[str]:
    """What differs between two identities, in words."""
    found = []
    if mine["python"] != theirs.get("python"):
        found.append(f"Python {theirs.get('python')} (here {mine['python']})")
    if mine["engine"] != theirs.get("engine"):
        found.append("the engine's code (tools/bookengine) differs")
    for kind, label in (("distributions", "package"),
                        ("variables", "environment variable")):
        a, b = mine[kind], theirs.get(kind, {})
        for name in sorted(set(a) | set(b)):
            if a.get(name) != b.get(name):
                found.append(f"{label} {name}={b.get(name, '(none)')} "
                             f"(here {a.get(name, '(none)')})")
    a, b = mine["files"], theirs.get("files", {})
    for name in sorted(set(a) | set(b)):
        if a.get(name) != b.get(name):
            found.append(f"{name} differs" if name in a and name in b
                         else f"{name} is {'missing' if name in a else 'extra'}"
                         " there")
    if len(found) > limit:
        found = found[:limit] + [f"and {len(found) - limit} more"]
    return found


def _dask_execute(task: Task) -> Result:
    from distributed import get_worker

    task = dataclasses.replace(
        task, unset_env=task.unset_env + _dask_process_settings())
    return execute_page(task, worker=get_worker().address)


def _has_engine(_: object = None) -> bool:
    import importlib.util

    return importlib.util.find_spec("bookengine") is not None


def run_dask(tasks: list[Task], address: str, root: Path,
             sources: list[str],
             log: Callable[[str], None]) -> Iterator[Result]:
    """Execute ``tasks`` on the Dask cluster at ``address``."""
    try:
        from distributed import Client, as_completed
    except ImportError as err:
        raise BuildError("--scheduler needs dask.distributed: "
                         f"{err}") from err
    log(f"connecting to the Dask scheduler at {address} ...")
    timeout = connect_timeout()
    try:
        client = Client(address, timeout=f"{timeout}s",
                        set_as_default=False)
    except (OSError, TimeoutError) as err:
        raise BuildError(
            f"cannot reach the Dask scheduler at {address} (gave up after "
            f"{timeout:g} s): {err}. Nothing was executed; start "
            "the scheduler or drop SCHEDULER to execute locally.") from err
    with client:
        workers = client.scheduler_info()["workers"]
        if not workers:
            raise BuildError(f"the Dask scheduler at {address} has no "
                             "workers")
        mine = worker_identity(str(root), sources)
        usable = []
        found = client.run(_has_engine)
        for addr, ok in sorted(found.items()):
            if not ok:
                log(f"refusing worker {addr}: it cannot import bookengine "
                    "(start it from the project with PYTHONPATH=tools)")
        theirs = client.run(worker_identity, str(root), sources,
                            workers=[a for a, ok in found.items() if ok])
        for addr, identity in sorted(theirs.items()):
            differences = identity_differences(mine, identity)
            if differences:
                log(f"refusing worker {addr}: it does not run this project "
                    "as checked out here: " + "; ".join(differences))
            else:
                usable.append(addr)
        if not usable:
            raise BuildError(
                f"no worker of the Dask cluster at {address} runs this "
                "project's sources in this environment (see the refusals "
                "above); nothing was executed")
        gpu_workers = [a for a in usable
                       if workers[a].get("resources", {}).get("GPU")]
        log(f"executing {len(tasks)} page(s) on {len(usable)} Dask "
            f"worker(s) ({len(gpu_workers)} with a GPU)")
        futures = {}
        for task in tasks:
            needs_gpu = task.gpu and bool(gpu_workers)
            if task.gpu and not gpu_workers:
                log(f"{task.source} asks for a GPU but no worker offers the "
                    "resource GPU; it runs on a CPU worker")
            future = client.submit(
                _dask_execute, task, pure=False,
                key=f"page-{task.page.replace('/', '-')}-{os.urandom(4).hex()}",
                workers=gpu_workers if needs_gpu else usable,
                allow_other_workers=False,
                resources={"GPU": 1} if needs_gpu else None)
            futures[future] = task
        for future in as_completed(list(futures), loop=client.loop):
            task = futures[future]
            try:
                yield future.result()
            except Exception as err:  # noqa: BLE001 - reported as a page failure
                if "deserialization of the task graph" in str(err):
                    err = BuildError(
                        f"the Dask scheduler at {address} cannot import the "
                        "engine: start it from the project checkout with "
                        f"PYTHONPATH=tools ({err})")
                yield _crashed(task, err)
