"""Executed pages as one archive: execute on one machine, render on another.

A **bundle** (``export``/``import``) holds executed notebooks with their
provenance records. Imported pages are stored like local ones; the usual
staleness rule then decides whether they are used. By default that rule
includes the environment, which makes a bundle a cache CI can keep between
runs. ``--keep-environment`` is for pages that ran somewhere else on purpose
(a GPU box with another Python): they stay in use while the project's own
files and their code cells are unchanged, and the build record says where
they ran.

A **pack** (``pack``/``run-pack``) is the other direction: the unexecuted
pages, already read from MyST Markdown into notebooks here, so the machine
that executes them needs only this package, nbclient and a kernel (no
Sphinx, MyST-NB, jupyter-cache or TeX)::

    here:        tools/book pack pages.tar.gz
    GPU machine: python3 tools/book run-pack pages.tar.gz executed.tar.gz
    here:        tools/book import executed.tar.gz --keep-environment
                 tools/book build

A page that fails there travels back as a failure (page, device, host,
cell, traceback) in the bundle. ``import`` keeps it, and every later
``build`` fails naming the page and the device until the page succeeds (a
new bundle from that machine) or the user asks for it to be executed here
(``build --retry-failed-here``; its record then says that it failed there
and ran here). A GPU failure never turns into a silent CPU execution.
"""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import socket
import tarfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TYPE_CHECKING

from .problems import BuildError, Problem
from .files import atomic_path, write_atomic
from .provenance import JSON
from .records import Failure

if TYPE_CHECKING:
    from .engine import Engine

BUNDLE_FORMAT = "bookengine-bundle/1"
PACK_FORMAT = "bookengine-pack/1"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _add(tar: tarfile.TarFile, name: str, text: str) -> None:
    data = text.encode()
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(time.time())
    tar.addfile(info, io.BytesIO(data))


def _write_bundle(path: Path, pages: list[JSON], notebooks: dict[str, str],
                  environments: dict[str, JSON],
                  failures: list[JSON] | None = None,
                  execution: JSON | None = None) -> None:
    with atomic_path(path) as tmp, tarfile.open(tmp, "w:gz") as tar:
        _add(tar, "bundle.json", json.dumps({
            "format": BUNDLE_FORMAT, "created": _now(),
            "host": socket.gethostname(), "pages": pages,
            "environments": environments, "failures": failures or [],
            "execution": execution}, indent=1))
        for page, text in notebooks.items():
            _add(tar, f"notebooks/{page}.ipynb", text)


def _read(path: Path, member: str, fmt: str) -> tuple[JSON, tarfile.TarFile]:
    try:
        tar = tarfile.open(path, "r:*")
        data = json.loads(tar.extractfile(member).read())  # type: ignore[union-attr]
    except (OSError, tarfile.TarError, KeyError, ValueError,
            AttributeError) as err:
        raise BuildError(f"{path} is not a readable {fmt} archive: "
                         f"{err}") from err
    if data.get("format") != fmt:
        raise BuildError(f"{path}: expected format {fmt}, found "
                         f"{data.get('format')!r}")
    return data, tar


# --------------------------------------------------------------------------
# export / import
# --------------------------------------------------------------------------


def export(engine: Engine, path: Path) -> list[Problem]:
    """Every page with stored outputs, fresh or not, with its provenance."""
    store = engine.store
    with store.lock(exclusive=False):
        records = store.records()
        pages, notebooks, environments = [], {}, {}
        for record in records.values():
            entry = record.to_json()
            entry.pop("cache")
            pages.append(entry)
            notebooks[record.page] = store.notebook(record)
            environments[record.environment] = store.environment(
                record.environment)
        _write_bundle(path, pages, notebooks, environments)
    engine.say(f"exported {len(pages)} executed page(s) to {path}")
    return []


def import_(engine: Engine, path: Path, keep_environment: bool) -> list[Problem]:
    """Store the bundle's pages whose code cells match this checkout."""
    data, tar = _read(path, "bundle.json", BUNDLE_FORMAT)
    store = engine.store
    with tar, store.lock(exclusive=True):
        store.check()
        current = {page.docname: page for page in engine.pages()}
        failed = read_failures(engine.project.store_dir)
        imported = 0
        problems: list[Problem] = []
        for entry in data["pages"]:
            page = current.get(entry["page"])
            if page is None:
                engine.say(f"skipping {entry['source']}: not a page of this "
                           "book")
                continue
            if page.code != entry["code"]:
                engine.say(f"skipping {entry['source']}: its code cells "
                           "changed since it was executed")
                continue
            differs = engine.differing_inputs(entry["files"])
            if differs:
                message = (f"{', '.join(differs)} differ(s) between the "
                           "machine that executed it and this checkout")
                engine.say(f"skipping {entry['source']}: {message}")
                if keep_environment:  # results wanted from elsewhere
                    problems.append(Problem("import", entry["source"],
                                            message))
                continue
            notebook = tar.extractfile(f"notebooks/{entry['page']}.ipynb")
            store.put(entry["page"], entry["source"],
                      notebook.read().decode(),  # type: ignore[union-attr]
                      engine.with_declared(page, entry["files"]),
                      data["environments"][entry["environment"]],
                      entry["device"], entry["run"],
                      entry.get("settings", {}),
                      origin={"bundle": path.name, "imported": _now(),
                              "keep_environment": keep_environment},
                      version=int(entry.get("version", 0)),
                      unobserved=entry.get("unobserved", []),
                      declared=list(page.inputs))
            imported += 1
            failed.pop(entry["page"], None)
        for entry in data.get("failures", []):
            if entry["page"] not in current:
                engine.say(f"skipping the failure of {entry['source']}: not "
                           "a page of this book")
                continue
            failed[entry["page"]] = {**entry, "bundle": path.name,
                                     "imported": _now()}
            engine.say(f"{entry['source']}: FAILED on "
                       f"{failure_where(failed[entry['page']])}: "
                       f"{entry['failure']['error']}")
        write_failures(engine.project.store_dir, failed)
    engine.say(f"imported {imported} of {len(data['pages'])} page(s) from "
               f"{path} (made on {data['host']}, {data['created']})"
               + (f"; {len(data['failures'])} page(s) failed there: the "
                  "next build fails until they pass there, or are executed "
                  "here with `build --retry-failed-here`"
                  if data.get("failures") else ""))
    return problems


# --------------------------------------------------------------------------
# Failures imported from another machine
# --------------------------------------------------------------------------


def _failures_path(store_dir: Path) -> Path:
    return store_dir / "imported-failures.json"


def read_failures(store_dir: Path) -> dict[str, dict[str, Any]]:
    """Page -> its failure on another machine, as imported (see
    :func:`import_`); kept until the page succeeds."""
    try:
        found: dict[str, dict[str, Any]] = json.loads(
            _failures_path(store_dir).read_text())
        return found
    except FileNotFoundError:
        return {}
    except ValueError as err:
        raise BuildError(f"{_failures_path(store_dir)} is damaged ({err}); "
                         "import the bundle again") from err


def write_failures(store_dir: Path, failures: dict[str, dict[str, Any]]) -> None:
    path = _failures_path(store_dir)
    if failures:
        write_atomic(path, json.dumps(failures, indent=1))
    elif path.exists():
        path.unlink()


def failure_where(entry: dict[str, Any]) -> str:
    """``NVIDIA H100 80GB HBM3 at gpu-box (executed.tar.gz)``."""
    return (f"{entry.get('device') or 'an unknown device'} at "
            f"{entry.get('host', '?')} ({entry.get('bundle', 'a bundle')})")


def failure_problem(entry: dict[str, Any]) -> Problem:
    """The build's problem for a page that failed on another machine."""
    problem = Problem.from_failure(Failure.from_json(entry["failure"]))
    problem.message = (f"failed on {failure_where(entry)}: "
                       + problem.message)
    problem.detail += ("\n" if problem.detail else "") + (
        "Fix the page and execute it there again, or execute it on this "
        "machine with `tools/book build --retry-failed-here` "
        "(make book RETRY_HERE=1).")
    return problem


# --------------------------------------------------------------------------
# pack / run-pack
# --------------------------------------------------------------------------


def pack(engine: Engine, path: Path, every: bool) -> list[Problem]:
    """The pages to execute elsewhere, as notebooks with their settings."""
    pages = engine.pages()
    if not every:
        with engine.store.lock(exclusive=False):
            reasons = engine.reasons(pages)
        pages = [p for p in pages if reasons[p.docname]]
    entries = []
    for page in pages:
        task = dataclasses.asdict(engine.task(page))
        task.pop("root")
        task.pop("ignored_dirs")
        task.pop("cache_dir")  # the executing machine's own
        entries.append({"code": page.code, "task": task,
                        "settings": engine.settings(page)})
    # Written aside and renamed: an interrupted pack leaves the last one.
    with atomic_path(path) as tmp, tarfile.open(tmp, "w:gz") as tar:
        _add(tar, "pack.json", json.dumps({"format": PACK_FORMAT,
                                           "created": _now(),
                                           "pages": entries}))
    engine.say(f"packed {len(entries)} page(s) into {path}")
    return []


def run_pack(pack_path: Path, bundle_path: Path, jobs: int,
             root: Path | None = None, gpu_slots: int | None = None) -> int:
    """Execute a pack on this machine; write a bundle with the successes
    and the failures (page, device, host, cell, traceback)."""
    from .provenance import (CHANGED_DURING_RUN, RECORD_VERSION,
                             sha256_json)
    from .records import Task
    from .schedule import run_local

    say = logging.getLogger("bookengine").info

    data, tar = _read(pack_path, "pack.json", PACK_FORMAT)
    tar.close()
    base = (root or Path.cwd()).resolve()
    cache = str(base / "_build" / ".xla-cache")
    tasks = []
    for entry in data["pages"]:
        fields = dict(entry["task"], root=str(base), cache_dir=cache,
                      ignored_dirs=(str(base / "_build"),))
        if gpu_slots is not None:
            fields["gpu_slots"] = gpu_slots
        tasks.append(Task(**fields))
    codes = {entry["task"]["page"]: entry["code"] for entry in data["pages"]}
    settings = {entry["task"]["page"]: entry.get(
        "settings", {"allow_errors": entry["task"]["allow_errors"]})
        for entry in data["pages"]}
    pages: list[JSON] = []
    notebooks: dict[str, str] = {}
    environments: dict[str, JSON] = {}
    failures: list[JSON] = []
    started = time.perf_counter()
    for result in run_local(tasks, jobs, say, slots=gpu_slots):
        if result.failure is not None:
            say(f"{result.source}: FAILED on {result.device or '?'}: "
                f"{result.failure.error}\n{result.failure.traceback}")
            failures.append({
                "page": result.page, "source": result.source,
                "code": codes[result.page], "device": result.device,
                "host": result.run.get("host", socket.gethostname()),
                "run": result.run, "failure": result.failure.to_json()})
            continue
        changed = sorted(n for n, st in result.files.items()
                         if st.get("sha256") == CHANGED_DURING_RUN)
        if changed:
            failure = Failure(result.page, result.source, None, "",
                              f"{', '.join(changed)} changed while the page "
                              "was executing", "")
            say(f"{result.source}: FAILED: {failure.error}")
            failures.append({
                "page": result.page, "source": result.source,
                "code": codes[result.page], "device": result.device,
                "host": result.run.get("host", socket.gethostname()),
                "run": result.run, "failure": failure.to_json()})
            continue
        digest = sha256_json(result.environment)
        environments[digest] = result.environment
        pages.append({"page": result.page, "source": result.source,
                      "code": codes[result.page],
                      "files": result.files, "environment": digest,
                      "device": result.device, "run": result.run,
                      "settings": settings[result.page],
                      "origin": None, "version": RECORD_VERSION,
                      "unobserved": result.unobserved})
        notebooks[result.page] = result.notebook or ""
        say(f"{result.source}: {result.summary()}")
    wall = time.perf_counter() - started
    _write_bundle(bundle_path, pages, notebooks, environments, failures,
                  {"wall_seconds": round(wall, 2), "jobs": jobs,
                   "gpu_slots": gpu_slots})
    say(f"run-pack: {len(pages)} page(s) executed, {len(failures)} failed, "
        f"in {wall:.1f} s; bundle: {bundle_path}")
    return 1 if failures else 0
