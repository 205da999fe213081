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
"""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import os
import socket
import tarfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from .problems import BuildError, Problem
from .provenance import JSON

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
                  environments: dict[str, JSON]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with tarfile.open(tmp, "w:gz") as tar:
            _add(tar, "bundle.json", json.dumps({
                "format": BUNDLE_FORMAT, "created": _now(),
                "host": socket.gethostname(), "pages": pages,
                "environments": environments}, indent=1))
            for page, text in notebooks.items():
                _add(tar, f"notebooks/{page}.ipynb", text)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


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
    engine.say(f"imported {imported} of {len(data['pages'])} page(s) from "
               f"{path} (made on {data['host']}, {data['created']})")
    return problems


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
        entries.append({"code": page.code, "task": task})
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as tar:
        _add(tar, "pack.json", json.dumps({"format": PACK_FORMAT,
                                           "created": _now(),
                                           "pages": entries}))
    engine.say(f"packed {len(entries)} page(s) into {path}")
    return []


def run_pack(pack_path: Path, bundle_path: Path, jobs: int,
             root: Path | None = None) -> int:
    """Execute a pack on this machine; write the successes as a bundle."""
    from .kernel import Task
    from .provenance import (CHANGED_DURING_RUN, RECORD_VERSION,
                             sha256_json)
    from .schedule import run_local

    say = logging.getLogger("bookengine").info

    data, tar = _read(pack_path, "pack.json", PACK_FORMAT)
    tar.close()
    base = (root or Path.cwd()).resolve()
    tasks = [Task(root=str(base), ignored_dirs=(str(base / "_build"),),
                  **entry["task"]) for entry in data["pages"]]
    codes = {entry["task"]["page"]: entry["code"] for entry in data["pages"]}
    entry_allow = {entry["task"]["page"]: entry["task"]["allow_errors"]
                   for entry in data["pages"]}
    pages: list[JSON] = []
    notebooks: dict[str, str] = {}
    environments: dict[str, JSON] = {}
    failed = 0
    started = time.perf_counter()
    for result in run_local(tasks, jobs, say):
        if result.failure is not None:
            failed += 1
            say(f"{result.source}: FAILED: {result.failure.error}\n"
                f"{result.failure.traceback}")
            continue
        changed = sorted(n for n, st in result.files.items()
                         if st.get("sha256") == CHANGED_DURING_RUN)
        if changed:
            failed += 1
            say(f"{result.source}: FAILED: {', '.join(changed)} changed "
                "while the page was executing")
            continue
        digest = sha256_json(result.environment)
        environments[digest] = result.environment
        pages.append({"page": result.page, "source": result.source,
                      "code": codes[result.page],
                      "files": result.files, "environment": digest,
                      "device": result.device, "run": result.run,
                      "settings": {"allow_errors": entry_allow[result.page]},
                      "origin": None, "version": RECORD_VERSION,
                      "unobserved": result.unobserved})
        notebooks[result.page] = result.notebook or ""
        say(f"{result.source}: {result.summary()}")
    _write_bundle(bundle_path, pages, notebooks, environments)
    say(f"run-pack: {len(pages)} page(s) executed, {failed} failed, in "
        f"{time.perf_counter() - started:.1f} s; bundle: {bundle_path}")
    return 1 if failed else 0
