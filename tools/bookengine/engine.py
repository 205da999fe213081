"""The two stages, put together: status, execute, render, build.

:class:`Engine` decides page by page what is stale (the reasons come from
:func:`bookengine.provenance.reasons_stale`), executes only that, stores the
results, then renders. One build at a time per build directory
(:func:`build_lock`); the store is shared between build directories and has
its own lock.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from pathlib import Path
from typing import Callable, Iterator

from . import bundle, devices, kernel, provenance
from .provenance import JSON
from .records import Result, Task
from .problems import BuildError, Problem
from .project import Page, Project, SourceIndex
from .render import Renderer
from .schedule import run_dask, run_local
from .files import locked, write_atomic
from .store import Store


#: The engine's progress messages; :func:`bookengine.cli.main` shows them
#: on stdout as ``[book] ...``.
logger = logging.getLogger("bookengine")


def log(message: str) -> None:
    logger.info(message)


@contextlib.contextmanager
def build_lock(build_dir: Path, say: Callable[[str], None] = log
               ) -> Iterator[None]:
    """Hold ``<build_dir>/.lock``: a second build waits, and says so."""
    def waiting(holder: str) -> None:
        say(f"another build is running in {build_dir} ({holder}); "
            "waiting for it to finish ...")

    with locked(build_dir / ".lock", True, waiting, f"pid {os.getpid()}"):
        yield


class Engine:
    def __init__(self, root: Path, build_dir: Path | None = None,
                 say: Callable[[str], None] = log, numerics: str = "native"):
        self.project = Project.load(root, build_dir, numerics)
        self.store = Store(self.project.store_dir, say)
        self.say = say
        #: Kernels per GPU (``--gpu-slots``, else ``[tool.bookengine]
        #: gpu_slots``, else from each card's memory).
        self.gpu_slots: int | None = self.project.settings.get("gpu_slots")
        # Settings every page's kernel gets, also set for Sphinx's autodoc.
        for key, value in kernel.kernel_settings(self.project.root).items():
            os.environ.setdefault(key, value)

    # ------------------------------------------------------------ the state
    def pages(self) -> list[Page]:
        index = SourceIndex(self.project.store_dir / "sources.json",
                            self.project)
        pages = self.project.pages(index)
        index.save()
        seen: dict[str, str] = {}
        for page in pages:
            if page.code in seen:
                raise BuildError(
                    f"{page.source} and {seen[page.code]} have identical code "
                    "cells; the execution cache cannot tell them apart. Make "
                    "one of them differ (a comment is enough).")
            seen[page.code] = page.source
        return pages

    def distributions(self) -> dict[str, str]:
        """The installed distributions, recomputed only when a site
        directory changed."""
        key = provenance.site_key()
        path = self.project.store_dir / "distributions.json"
        with contextlib.suppress(OSError, ValueError, KeyError):
            data = json.loads(path.read_text())
            if data["key"] == key:
                found: dict[str, str] = data["distributions"]
                return found
        dists = provenance.distributions()
        write_atomic(path, json.dumps({"key": key, "distributions": dists}))
        return dists

    def environment(self) -> tuple[str, JSON]:
        env = provenance.environment(
            kernel.base_environment(self.project.root,
                                    self.policy_variables()),
            self.project.root,
            dists=self.distributions())
        return self.store.save_environment(env), env

    def current(self, pages: list[Page], scheduler: str | None
                ) -> provenance.Current:
        digest, env = self.environment()
        gpus = [] if scheduler else devices.visible_gpus()
        wanted: dict[str, str | None] = {
            page.docname: None if scheduler else
            devices.page_device(page.gpu, gpus) for page in pages}
        environments = {digest: env}
        for record in self.store.records().values():
            if record.environment not in environments:
                environments[record.environment] = \
                    self.store.environment(record.environment)
        return provenance.Current(
            self.project.root, {p.docname: p.code for p in pages}, digest,
            environments, wanted,
            settings={p.docname: self.settings(p) for p in pages},
            declared={p.docname: list(p.inputs) for p in pages})

    def settings(self, page: Page) -> JSON:
        """Execution settings that can change a page's outputs: whether
        cells may raise, and the numerics policy (the matmul precision the
        page asks for; whether a GPU's TF32 is emulated)."""
        return {"allow_errors": bool(self.project.execute_settings.get(
                    "allow_errors", False)),
                "matmul_precision": page.matmul_precision,
                "numerics": self.project.numerics}

    def variables(self, page: Page) -> dict[str, str]:
        """What the numerics policy sets in the page's kernel."""
        found = {}
        if page.matmul_precision != "default":
            found["JAX_DEFAULT_MATMUL_PRECISION"] = page.matmul_precision
        if self.project.numerics != "native":
            found[self.numerics_variable] = self.project.numerics
        return found

    @property
    def numerics_variable(self) -> str:
        """The variable that tells the book's code to emulate numerics
        (``[tool.bookengine] numerics_variable``)."""
        return str(self.project.settings.get("numerics_variable",
                                             "BOOKENGINE_NUMERICS"))

    def policy_variables(self) -> tuple[str, ...]:
        """Variables the engine owns in every kernel: the shell's values
        never reach a page (its settings say what it ran with)."""
        return ("JAX_DEFAULT_MATMUL_PRECISION", self.numerics_variable)

    def reasons(self, pages: list[Page], scheduler: str | None = None
                ) -> dict[str, list[str]]:
        """Page -> why it must execute (empty list: it is fresh)."""
        if self.project.mode == "off":
            return {page.docname: [] for page in pages}
        now = self.current(pages, scheduler)
        records = self.store.records()
        found = {}
        for page in pages:
            record = records.get(page.docname)
            if record is None:
                found[page.docname] = ["it has no stored outputs yet"]
            elif self.project.mode == "force":
                found[page.docname] = ["execute_notebooks is force"]
            else:
                found[page.docname] = provenance.reasons_stale(record, now)
        return found

    # ------------------------------------------------------------- commands
    def status(self) -> list[tuple[Page, list[str]]]:
        with self.store.lock(exclusive=False):
            pages = self.pages()
            reasons = self.reasons(pages)
        return [(page, reasons[page.docname]) for page in pages]

    def obsolete(self) -> list[str]:
        """The sources of stored pages that are no longer executed pages of
        the book (removed from the TOC, renamed): the next build drops
        them, and the render stage never uses them."""
        with self.store.lock(exclusive=False):
            current = {page.docname for page in self.pages()}
            return sorted(r.source for page, r in self.store.records().items()
                          if page not in current)

    def execute(self, jobs: int, scheduler: str | None = None,
                retry_here: bool = False) -> list[Problem]:
        """Execute every stale page; store each success as it arrives.

        A page whose failure elsewhere was imported with a bundle (a GPU
        box's ``run-pack``) fails the build, naming the page and the device,
        unless ``retry_here``: then it is executed on this machine."""
        problems: list[Problem] = []
        with self.store.lock(exclusive=True):
            self.store.check()
            pages = self.pages()
            for record in self.store.forget_pages_except(
                    {page.docname for page in pages}):
                self.say(f"{record.source}: no longer an executed page of "
                         "the book; its stored outputs were dropped")
            reasons = self.reasons(pages, scheduler)
            failed = bundle.read_failures(self.project.store_dir)
            for page in pages:
                entry = failed.get(page.docname)
                if entry is None:
                    continue
                if retry_here:
                    reasons[page.docname] = [
                        f"it failed on {bundle.failure_where(entry)}; "
                        "re-executing it here (--retry-failed-here)"]
                else:
                    problems.append(bundle.failure_problem(entry))
                    reasons[page.docname] = []
            stale = [p for p in pages if reasons[p.docname]]
            if not stale:
                if not problems:
                    self.say(f"execute: all {len(pages)} executed page(s) "
                             "are fresh")
                return problems
            for page in stale:
                self.say(f"{page.source}: stale: "
                         + "; ".join(reasons[page.docname]))
            history = self.durations()
            gpus = [] if scheduler else devices.visible_gpus()

            def expected(page: Page) -> float:
                # Pages never timed on this device go first: they may well
                # be the slow ones.
                device = devices.page_device(page.gpu, gpus)
                return history.get(page.docname, {}).get(device,
                                                          float("inf"))

            # Longest first, so the slowest page does not start last.
            stale.sort(key=lambda p: -expected(p))
            tasks = [self.task(page) for page in stale]
            started = time.perf_counter()
            if scheduler:
                results = run_dask(
                    tasks, scheduler, self.project.root,
                    self.project.settings.get("worker_sources", ["src"]),
                    self.say)
            else:
                results = run_local(tasks, jobs, self.say, gpus,
                                    self.gpu_slots)
            by_page = {page.docname: page for page in stale}
            retried = 0
            for result in results:
                page = by_page[result.page]
                if result.failure is not None:
                    problems.append(Problem.from_failure(result.failure))
                    self._keep_failed(result)
                    self.say(f"{page.source}: FAILED on {result.device} "
                             f"({result.failure.error})")
                    continue
                elsewhere = result.run.get("worker", "local") != "local"
                differs = self.differing_inputs(result.files) \
                    if elsewhere else []
                if differs:
                    problems.append(Problem(
                        "execute", page.source,
                        f"{', '.join(differs)} differ(s) between Dask worker "
                        f"{result.run.get('worker')} and this checkout; the "
                        "page's outputs were not used. Give the worker the "
                        "same files (or list them in worker_sources)."))
                    self.say(f"{page.source}: executed with other inputs "
                             f"({', '.join(differs)}); outputs discarded")
                    continue
                changed = sorted(
                    name for name, state in result.files.items()
                    if state.get("sha256") == provenance.CHANGED_DURING_RUN)
                if changed:
                    # Its outputs may predate the change: never used, not
                    # even in this build (the old record, if any, stays and
                    # is stale, so the next build executes the page).
                    problems.append(Problem(
                        "execute", page.source,
                        f"{', '.join(changed)} changed while the page was "
                        "executing; its outputs may predate the change and "
                        "were not used. Build again."))
                    self.say(f"{page.source}: {', '.join(changed)} changed "
                             "during its execution; outputs discarded")
                    continue
                before = failed.pop(result.page, None)
                if before is not None:
                    result.run["retried_after"] = {
                        k: before.get(k) for k in ("device", "host",
                                                   "bundle")}
                    retried += 1
                self.store.put(result.page, result.source,
                               result.notebook or "",
                               self.with_declared(page, result.files),
                               result.environment, result.device,
                               result.run, self.settings(page),
                               unobserved=result.unobserved,
                               declared=list(page.inputs))
                if before is not None:
                    bundle.write_failures(self.project.store_dir, failed)
                history.setdefault(result.page, {})[result.device] = \
                    result.run.get("kernel_seconds", result.run["seconds"])
                write_atomic(self.history_path, json.dumps(history))
                self.say(f"{page.source}: {result.summary()}"
                         + (" (re-executed here after failing on "
                            f"{bundle.failure_where(before)})"
                            if before is not None else ""))
            self.say(f"execute: {len(stale)} page(s) in "
                     f"{time.perf_counter() - started:.1f} s "
                     f"({len(problems)} failed)")
        return problems

    @property
    def history_path(self) -> Path:
        """How long each page took when it last executed: kept outside the
        store, so the order of a cold build is informed too."""
        return self.project.root / "_build" / ".durations.json"

    def durations(self) -> dict[str, dict[str, float]]:
        """Page -> device -> seconds its kernel took there last time (a
        page on an H100 and on a laptop's CPU take different times)."""
        try:
            data = json.loads(self.history_path.read_text())
        except (OSError, ValueError):
            return {}
        return {page: times for page, times in data.items()
                if isinstance(times, dict)}  # older files: per page only

    def differing_inputs(self, files: dict[str, JSON]) -> list[str]:
        """The project files among ``files`` (inputs recorded elsewhere: a
        Dask worker, a bundle) whose content here differs."""
        differs = []
        for name, data in sorted(files.items()):
            old = provenance.FileState.from_json(data)
            if not provenance.is_project_path(name) or \
                    old.sha256 == provenance.CHANGED_DURING_RUN:
                continue
            now = provenance.FileState.of(
                provenance.resolve_path(name, self.project.root),
                kind=old.kind)
            if now.sha256 != old.sha256:
                differs.append(name)
        return differs

    def with_declared(self, page: Page, files: dict[str, JSON]
                      ) -> dict[str, JSON]:
        """A result's inputs plus those its page declares (hashed here)."""
        found = dict(files)
        for name in page.inputs:
            found[name] = provenance.FileState.of(
                self.project.root / name).to_json()
        return found

    def task(self, page: Page) -> Task:
        import nbformat

        nb = self.project.read_notebook(self.project.root / page.source)
        notebook = nbformat.writes(nb)  # type: ignore[no-untyped-call]
        return Task(page.docname, page.source, notebook,
                    str(self.project.root), timeout=page.timeout,
                    allow_errors=self.settings(page)["allow_errors"],
                    gpu=page.gpu,
                    gpu_slots=self.gpu_slots,
                    cache_dir=str(self.compile_cache),
                    ignored_dirs=(str(self.project.store_dir),
                                  str(self.project.build_dir)),
                    variables=self.variables(page),
                    unset_env=self.policy_variables(),
                    setup=self.project.settings.get("kernel_setup"))

    @property
    def compile_cache(self) -> Path:
        """JAX's persistent compilation cache, shared by the kernels of a
        build and across builds (see :func:`kernel.compilation_cache`)."""
        return self.project.root / "_build" / ".xla-cache"

    def _keep_failed(self, result: Result) -> None:
        """The partly executed notebook, for inspection."""
        if result.notebook:
            path = (self.project.build_dir / "render" / "failed"
                    / f"{result.page}.ipynb")
            write_atomic(path, result.notebook)
            self.say(f"  its partly executed notebook: {path}")

    def render(self, formats: list[str]) -> list[Problem]:
        with self.store.lock(exclusive=False):
            digest, _ = self.environment()
            pages = [page.docname for page in self.pages()]
            return Renderer(self.project, self.store, self.say).render(
                formats, digest, pages)

    def not_up_to_date(self, formats: list[str]) -> list[str]:
        """The formats whose published output a build would render again
        (a stale page, or anything the render reads changed since)."""
        from .project import git_commit

        with self.store.lock(exclusive=False):
            pages = self.pages()
            if any(self.reasons(pages).values()):
                return list(formats)
            digest, _ = self.environment()
            renderer = Renderer(self.project, self.store, self.say)
            renderer.use_pages([page.docname for page in pages])
            commit = git_commit(self.project.root)
            return [fmt for fmt in formats if not renderer.up_to_date(
                fmt, renderer.stamps(fmt, digest, commit)[0])]

    def build(self, formats: list[str], jobs: int,
              scheduler: str | None = None,
              retry_here: bool = False) -> list[Problem]:
        problems = self.execute(jobs, scheduler, retry_here)
        if problems:
            return problems
        return self.render(formats)
