"""The book as the engine sees it: its settings and its executable pages.

A page is executable when its source is a notebook (``.ipynb``, or MyST
Markdown with ``jupytext`` front matter) with a kernel and at least one code
cell. Reading a MyST page into a notebook goes through MyST-NB's own reader,
and its code hash through jupyter-cache's, so they agree with what the render
stage looks up. Both are only recomputed for files whose size or
modification time changed (:class:`SourceIndex`), which keeps a no-op build
free of those imports.

A page may declare what it needs in its front matter::

    resources:
      gpu: 1          # give this page a GPU when one is present
    numerics:
      matmul_precision: highest   # this page's float32 matrix products
                                  # (default: _config.yml's execute:
                                  # matmul_precision, else JAX's default)
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import time
import tomllib
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from .files import write_atomic
from .problems import BuildError
from .provenance import JSON, racy

SUFFIXES = (".md", ".ipynb")


@dataclasses.dataclass(frozen=True)
class Page:
    """An executable page."""

    docname: str               # "book/ch02/tensors"
    source: str                # "book/ch02/tensors.md"
    code: str                  # jupyter-cache hash of its code cells
    gpu: bool = False
    timeout: int | None = None
    inputs: tuple[str, ...] = ()   # declared in its front matter
    matmul_precision: str = "default"   # front matter ``numerics:``


#: What a book or a page may ask of JAX's float32 matrix products
#: (``JAX_DEFAULT_MATMUL_PRECISION``): ``default`` is JAX's own choice
#: (TF32 on NVIDIA GPUs of compute capability 8.0 and newer, full float32
#: on CPUs), ``high`` and ``highest`` as in ``jax.default_matmul_precision``.
MATMUL_PRECISIONS = ("default", "high", "highest")

#: ``--numerics``: ``native`` computes as the machine does; ``tf32`` has
#: every kernel round matrix-product operands as an NVIDIA GPU does (the
#: book's ``[tool.bookengine] numerics_variable`` tells its code).
NUMERICS = ("native", "tf32")


@dataclasses.dataclass
class Project:
    """A book root: its configuration, pages and build directories."""

    root: Path
    config: JSON
    settings: JSON
    build_dir: Path
    numerics: str = "native"

    @classmethod
    def load(cls, root: Path, build_dir: Path | None = None,
             numerics: str = "native") -> "Project":
        root = root.resolve()
        with (root / "_config.yml").open() as f:
            config = yaml.safe_load(f) or {}
        settings: JSON = {}
        if (root / "pyproject.toml").exists():
            with (root / "pyproject.toml").open("rb") as f:
                settings = tomllib.load(f).get("tool", {}).get(
                    "bookengine", {})
        if numerics not in NUMERICS:
            raise BuildError(f"--numerics must be one of {', '.join(NUMERICS)}"
                             f"; got {numerics!r}")
        default = root / "_build" / (
            "" if numerics == "native" else f"numerics-{numerics}")
        build = (build_dir or default)
        build = build if build.is_absolute() else root / build
        project = cls(root, config, settings, build.resolve(), numerics)
        project.matmul_precision("_config.yml execute:",
                                 project.execute_settings)
        return project

    # ----------------------------------------------------------------- paths
    @property
    def store_dir(self) -> Path:
        """Executed pages and their provenance: shared by every build
        directory of this root (``make test`` renders elsewhere but reuses
        what ``make book`` executed)."""
        # Pages executed with emulated numerics are kept apart: switching
        # --numerics never discards the native build's outputs.
        suffix = "" if self.numerics == "native" else f"-{self.numerics}"
        return self.root / "_build" / f".engine{suffix}"

    def matmul_precision(self, where: str, settings: dict[str, Any]) -> str:
        """The ``matmul_precision`` that ``settings`` (the book's execute
        settings, or a page's ``numerics:`` front matter) asks for; the
        book's own when a page says nothing."""
        value = settings.get("matmul_precision")
        if value is None:
            return "default" if settings is self.execute_settings else \
                self.matmul_precision("_config.yml execute:",
                                      self.execute_settings)
        if value not in MATMUL_PRECISIONS:
            raise BuildError(
                f"{where} matmul_precision must be one of "
                f"{', '.join(MATMUL_PRECISIONS)}; got {value!r}")
        return str(value)

    @property
    def execute_settings(self) -> JSON:
        return self.config.get("execute") or {}

    @property
    def mode(self) -> str:
        """``cache`` (default): execute what is stale; ``force``: execute
        everything on every build; ``off``: execute nothing."""
        mode = self.execute_settings.get("execute_notebooks", "cache")
        if mode is False:  # YAML reads an unquoted ``off`` as false
            return "off"
        if mode in ("auto", "cache"):
            return "cache"
        if mode not in ("force", "off"):
            raise ValueError(f"_config.yml: execute.execute_notebooks must be "
                             f"cache, force or off. Received: {mode!r}")
        return str(mode)

    def latex_target(self) -> str:
        """The ``.tex`` file named in ``_config.yml`` (latex_documents)."""
        docs = (self.config.get("latex") or {}).get("latex_documents") or {}
        return docs.get("targetname") or "book.tex"

    # ----------------------------------------------------------------- pages
    def docnames(self) -> list[str]:
        """Every page of the table of contents, in reading order."""
        from sphinx_external_toc.parsing import parse_toc_yaml

        site_map = parse_toc_yaml(str(self.root / "_toc.yml"))
        return list(site_map)

    def source_of(self, docname: str) -> Path | None:
        for suffix in SUFFIXES:
            path = self.root / (docname + suffix)
            if path.is_file():
                return path
        return None

    def excluded(self, source: str) -> bool:
        patterns = self.execute_settings.get("exclude_patterns") or []
        return any(PurePosixPath(source).match(p) for p in patterns)

    def pages(self, index: "SourceIndex") -> list[Page]:
        """The executable pages, in reading order."""
        pages = []
        for docname in self.docnames():
            path = self.source_of(docname)
            if path is None:
                continue
            rel = path.relative_to(self.root).as_posix()
            if self.excluded(rel):
                continue
            entry = index.get(self, path)
            if entry is None:
                continue
            pages.append(Page(
                docname, rel, entry["code"], gpu=bool(entry["gpu"]),
                timeout=entry["timeout"],
                inputs=tuple(entry.get("inputs", ())),
                matmul_precision=self.matmul_precision(
                    f"{rel}: numerics:", entry.get("numerics") or {})))
        return pages

    # ------------------------------------------------------------- notebooks
    def read_notebook(self, path: Path) -> Any:
        """The page as an unexecuted notebook (``None``: not a notebook)."""
        import nbformat

        text = path.read_text(encoding="utf8")
        if path.suffix == ".ipynb":
            return nbformat.reads(text, as_version=4)  # type: ignore[no-untyped-call]
        from myst_nb.core.read import (is_myst_markdown_notebook,
                                       read_myst_markdown_notebook)

        if not is_myst_markdown_notebook(text):
            return None
        return read_myst_markdown_notebook(
            text, config=self.md_config(), add_source_map=True,
            path=str(path))

    def md_config(self) -> Any:
        from myst_parser.config.main import MdParserConfig

        parse = self.config.get("parse") or {}
        fields = {f.name for f in dataclasses.fields(MdParserConfig)}
        kwargs = {k[len("myst_"):]: v for k, v in parse.items()
                  if k.startswith("myst_") and k[len("myst_"):] in fields}
        if "enable_extensions" in kwargs:
            kwargs["enable_extensions"] = set(kwargs["enable_extensions"])
        return MdParserConfig(**kwargs)

    def default_timeout(self) -> int | None:
        timeout = self.execute_settings.get("timeout", 30)
        return None if timeout in (None, -1) else int(timeout)


def declared_inputs(value: object, source: str) -> list[str]:
    """A page's ``inputs:`` front matter (paths relative to the page, as
    its code opens them) as root-relative names."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(
            isinstance(v, str) and v for v in value):
        raise ValueError(f"{source}: inputs must be a list of paths "
                         f"relative to the page. Received: {value!r}")
    folder = PurePosixPath(source).parent
    found = []
    for name in value:
        path = os.path.normpath(str(folder / name))
        if path.startswith(".." + os.sep) or os.path.isabs(name):
            raise ValueError(f"{source}: inputs must lie inside the book. "
                             f"Received: {name!r}")
        found.append(PurePosixPath(path).as_posix())
    return sorted(set(found))


def code_hash(nb: Any) -> str:
    """The hash jupyter-cache (and so MyST-NB) files the page under."""
    from jupyter_cache.cache.main import JupyterCacheBase

    return str(JupyterCacheBase.create_hashed_notebook(None, nb)[1])


class SourceIndex:
    """Per source file: its code hash and declarations, recomputed only when
    the file's size or modification time changed."""

    VERSION = 2

    def __init__(self, path: Path, project: Project):
        self.path = path
        # Entries depend on how pages are parsed and on the default timeout.
        self.key = json.dumps([self.VERSION, project.config.get("parse"),
                               project.execute_settings], sort_keys=True,
                              default=str)
        self.entries: dict[str, JSON] = {}
        self.changed = False
        try:
            data = json.loads(path.read_text())
            if data.get("key") == self.key:
                self.entries = data["entries"]
        except (OSError, ValueError, KeyError):
            pass

    def get(self, project: Project, path: Path) -> JSON | None:
        checked = time.time_ns()
        st = path.stat()
        key = path.relative_to(project.root).as_posix()
        stat = [st.st_size, st.st_mtime_ns]
        entry = self.entries.get(key)
        if entry is not None and entry["stat"] == stat:
            found: JSON | None = entry["page"]
            return found
        # A file modified within the racy window of this read may change
        # again without changing its stat: its entry is never trusted.
        trusted = not racy(st.st_mtime_ns, checked)
        nb = project.read_notebook(path)
        page = None
        if nb is not None and nb.metadata.get("kernelspec") and any(
                c.cell_type == "code" for c in nb.cells):
            resources = nb.metadata.get("resources") or {}
            execution = nb.metadata.get("execution") or {}
            page = {"code": code_hash(nb),
                    "numerics": dict(nb.metadata.get("numerics") or {}),
                    "gpu": int(resources.get("gpu", 0) or 0) > 0,
                    "timeout": execution.get("timeout",
                                             project.default_timeout()),
                    "inputs": declared_inputs(nb.metadata.get("inputs"),
                                              key)}
        self.entries[key] = {"stat": stat if trusted else None, "page": page}
        self.changed = True
        return page

    def save(self) -> None:
        if not self.changed:
            return
        write_atomic(self.path, json.dumps({"key": self.key,
                                            "entries": self.entries}))


def git_commit(root: Path) -> dict[str, object]:
    """The commit the sources come from, and whether they differ from it."""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root,
                              capture_output=True, text=True, timeout=20)
        dirty = subprocess.run(["git", "status", "--porcelain",
                                "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return {"commit": None, "modified": None}
    if head.returncode != 0:
        return {"commit": None, "modified": None}
    return {"commit": head.stdout.strip(),
            "modified": bool(dirty.stdout.strip())}
