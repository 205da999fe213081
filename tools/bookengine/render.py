"""The render stage: Sphinx (through Jupyter Book's configuration), in this
process, incrementally, strictly, and never executing a cell.

Per format (``html``, ``pdf``):

1. **Skip** when nothing it reads changed: the sources (``render_inputs`` in
   ``[tool.bookengine]``, by size and modification time), the executed
   outputs of every page, the environment and the commit. A no-op build
   does not start Sphinx.
2. **Sphinx** works in ``<build>/render/`` with its own doctrees per
   builder, so only changed pages are read (plus the pages
   :mod:`bookengine.sphinx_ext` adds) and every page is written. Warnings
   arrive as JSON records; any warning fails the build.
3. **PDF**: the LaTeX folder is emptied first; latexmk builds the ``.tex``
   named in ``_config.yml`` (auxiliary files from the last good run are put
   back so TeX skips passes it does not need); a character no font has fails
   the build.
4. **Publish** only on success: ``<build>/html`` is a symbolic link swapped
   atomically to a fresh copy of the site, and the PDF is replaced
   atomically in ``<build>/latex/``. A failed build leaves the last good
   site and PDF in place; its output stays in ``<build>/render/`` for
   inspection.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from .problems import Problem
from .project import Project
from .provenance import Record
from .store import Store, write_atomic

#: Auxiliary TeX files worth keeping between PDF builds (not the .tex).
TEX_AUX = (".aux", ".toc", ".idx", ".ind", ".ilg", ".out", ".fls",
           ".fdb_latexmk", ".lof", ".lot", ".bbl", ".blg", ".xdv")

#: What latexmk needs besides TeX itself (Debian package names).
TEX_PACKAGES = ("texlive-xetex texlive-latex-recommended texlive-latex-extra "
                "texlive-fonts-recommended latexmk xindy fonts-freefont-otf")


class Renderer:
    def __init__(self, project: Project, store: Store,
                 log: Callable[[str], None]):
        self.project = project
        self.store = store
        self.log = log
        self.work = project.build_dir / "render"
        self.state_path = self.work / "state.json"
        try:
            self.state = json.loads(self.state_path.read_text())
        except (OSError, ValueError):
            self.state = {}

    # ------------------------------------------------------------- the stamp
    def input_files(self) -> list[Path]:
        root = self.project.root
        entries = self.project.settings.get(
            "render_inputs", ["_config.yml", "_toc.yml", "book"])
        files = []
        for entry in entries:
            path = root / entry
            if path.is_dir():
                files += [p for p in path.rglob("*") if p.is_file()
                          and "__pycache__" not in p.parts]
            elif path.exists():
                files.append(path)
        return sorted(files)

    def stamp(self, fmt: str, environment: str, commit: dict) -> str:
        from .provenance import sha256_json

        root = self.project.root
        files = {}
        for path in self.input_files():
            st = path.stat()
            files[path.relative_to(root).as_posix()] = [st.st_size,
                                                         st.st_mtime_ns]
        outputs = {page: record.cache.get("id")
                   for page, record in sorted(self.store.records().items())}
        return sha256_json({"format": fmt, "files": files,
                            "outputs": outputs, "environment": environment,
                            "commit": commit,
                            "target": str(self.project.build_dir)})

    def up_to_date(self, fmt: str, stamp: str) -> bool:
        state = self.state.get(fmt, {})
        published = (self.project.build_dir / "html" / "index.html"
                     if fmt == "html" else self.pdf_path())
        return state.get("stamp") == stamp and published.exists()

    def save_state(self, fmt: str, **values) -> None:
        self.state.setdefault(fmt, {}).update(values)
        write_atomic(self.state_path, json.dumps(self.state, indent=1))

    def pdf_path(self) -> Path:
        name = Path(self.project.latex_target()).with_suffix(".pdf").name
        return self.project.build_dir / "latex" / name

    # ---------------------------------------------------------------- Sphinx
    def _plan(self, fmt: str, record_json: Path) -> tuple[Path, Path]:
        warnings = self.work / f"{fmt}-warnings.jsonl"
        warnings.unlink(missing_ok=True)
        plan = {
            "outputs": {page: r.cache.get("id")
                        for page, r in self.store.records().items()},
            "reread": self.state.get(fmt, {}).get("reread", []),
            "warnings": str(warnings),
            "record": str(record_json),
        }
        path = self.work / f"{fmt}-plan.json"
        write_atomic(path, json.dumps(plan, indent=1))
        return path, warnings

    def sphinx(self, fmt: str, record_json: Path) -> list[Problem]:
        """Run one Sphinx build; the problems it reported."""
        from jupyter_book.config import get_final_config
        from jupyter_book.sphinx import build_sphinx

        root = self.project.root
        builder = "html" if fmt == "html" else "latex"
        outdir = self.work / builder
        if builder == "latex" and outdir.exists():
            shutil.rmtree(outdir)  # a clean LaTeX folder, every time
        plan, warnings = self._plan(fmt, record_json)
        overrides = {
            "external_toc_path": (root / "_toc.yml").as_posix(),
            "latex_individualpages": False,
            "nitpicky": True,
            "nb_execution_mode": ("off" if self.project.mode == "off"
                                  else "cache"),
            "nb_execution_cache_path": str(self.store.cache_dir),
            "bookengine_plan": str(plan),
        }
        config, _ = get_final_config(user_yaml=root / "_config.yml",
                                     cli_config=dict(overrides),
                                     sourcedir=root)
        overrides["extensions"] = [*config["extensions"],
                                   "bookengine.sphinx_ext"]
        src = str(root / "src")
        if src not in sys.path:
            sys.path.insert(0, src)
        log_path = self.work / f"{fmt}-build.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with log_path.open("w") as out, contextlib.redirect_stdout(out), \
                contextlib.redirect_stderr(out):
            result = build_sphinx(
                str(root), str(outdir), noconfig=True,
                path_config=str(root / "_config.yml"),
                confoverrides=overrides, builder=builder,
                doctreedir=str(self.work / f"doctrees-{builder}"),
                freshenv=False, keep_going=True, verbosity=0)
        problems = []
        reread = set()
        if warnings.exists():
            for line in warnings.read_text().splitlines():
                entry = json.loads(line)
                if entry.get("docname"):
                    reread.add(entry["docname"])
                kind = "/".join(k for k in (entry.get("type"),
                                            entry.get("subtype")) if k)
                where = (entry.get("location") or "Sphinx").replace(
                    f"{root}{os.sep}", "")
                problems.append(Problem(
                    f"render:{fmt}", where,
                    entry["message"] + (f" [{kind}]" if kind and f"[{kind}"
                                        not in entry["message"].replace(
                                            ".", "/") else "")))
        if isinstance(result, BaseException):
            problems.append(Problem(
                f"render:{fmt}", "Sphinx",
                f"{type(result).__name__}: {result}",
                f"full log: {log_path}"))
        elif result and not problems:
            problems.append(Problem(f"render:{fmt}", "Sphinx",
                                    f"exited with status {result}",
                                    f"full log: {log_path}"))
        self.save_state(fmt, reread=sorted(reread))
        return problems

    # ----------------------------------------------------------------- TeX
    def latex(self) -> list[Problem]:
        """latexmk on the named ``.tex``; the problems it found."""
        latex_dir = self.work / "latex"
        tex = latex_dir / self.project.latex_target()
        if not tex.exists():
            return [Problem("render:pdf", str(tex), "the LaTeX builder did "
                            "not write the .tex named in _config.yml")]
        if shutil.which("latexmk") is None or shutil.which("xelatex") is None:
            return [Problem("render:pdf", "latexmk", "latexmk/xelatex not "
                            f"found: install {TEX_PACKAGES} (`make tex` does "
                            "it as root)")]
        aux = self.work / "latex-aux"
        for path in aux.glob("*"):
            shutil.copy2(path, latex_dir / path.name)
        command = ["latexmk", "-xelatex", "-interaction=nonstopmode",
                   "-halt-on-error", "-file-line-error", tex.name]
        # The index goes through xindy with the options of Sphinx's own
        # LaTeX Makefile (latexmk alone gives it none).
        env = dict(os.environ, XINDYOPTS="-L english -C utf8 -M sphinx.xdy")
        proc = subprocess.run(command, cwd=latex_dir, capture_output=True,
                              text=True, env=env)
        tex_log = tex.with_suffix(".log")
        log_text = tex_log.read_text(errors="replace") \
            if tex_log.exists() else ""
        if proc.returncode != 0:
            errors = [line for line in log_text.splitlines()
                      if line.startswith("!") or ".tex:" in line]
            return [Problem("render:pdf", tex.name,
                            f"latexmk failed with status {proc.returncode}",
                            "\n".join(errors[:20]) or proc.stdout[-3000:])]
        missing = sorted(set(re.findall(
            r"Missing character: There is no (.+?) \((U\+[0-9A-F]+)\)",
            log_text)))
        if missing:
            return [Problem("render:pdf", tex.name,
                            "LaTeX could not render these characters "
                            "(missing glyphs): " + ", ".join(
                                f"{c} ({code})" for c, code in missing))]
        shutil.rmtree(aux, ignore_errors=True)
        aux.mkdir(parents=True)
        for path in latex_dir.iterdir():
            if path.suffix in TEX_AUX and path.stem == tex.stem:
                shutil.copy2(path, aux / path.name)
        return []

    # -------------------------------------------------------------- publish
    def publish_html(self) -> None:
        build = self.project.build_dir
        sites = build / ".published"
        target = sites / f"html-{uuid.uuid4().hex[:12]}"
        shutil.copytree(self.work / "html", target, symlinks=True)
        link = build / "html"
        tmp = build / f".html-{uuid.uuid4().hex}"
        tmp.symlink_to(target.relative_to(build))
        if link.exists() and not link.is_symlink():
            shutil.rmtree(link)  # a site from an older engine
        os.replace(tmp, link)
        for old in sites.iterdir():
            if old != target:
                shutil.rmtree(old, ignore_errors=True)

    def publish_pdf(self) -> None:
        built = self.work / "latex" / self.pdf_path().name
        target = self.pdf_path()
        target.parent.mkdir(parents=True, exist_ok=True)
        for old in target.parent.iterdir():  # leftovers of an older engine
            if old.suffix != ".pdf":
                shutil.rmtree(old) if old.is_dir() else old.unlink()
        tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}")
        shutil.copy2(built, tmp)
        os.replace(tmp, target)

    # ------------------------------------------------------------------ run
    def render(self, formats: list[str], environment: str) -> list[Problem]:
        commit = git_commit(self.project.root)
        record_json = self.work / "build-record.json"
        wrote_record = False
        for fmt in formats:
            stamp = self.stamp(fmt, environment, commit)
            if self.up_to_date(fmt, stamp):
                self.log(f"{fmt}: up to date (nothing it reads has changed)")
                continue
            if not wrote_record:
                write_build_record(record_json, self.store, commit,
                                   self.project.docnames())
                wrote_record = True
            t0 = time.perf_counter()
            self.log(f"{fmt}: rendering ...")
            problems = self.sphinx(fmt, record_json)
            if not problems and fmt == "pdf":
                problems = self.latex()
            if problems:
                self.save_state(fmt, stamp=None)
                where = self.work / ("html" if fmt == "html" else "latex")
                self.log(f"{fmt}: failed; the failed build's output is in "
                         f"{where}, the last good one is still published")
                return problems
            if fmt == "html":
                self.publish_html()
            else:
                self.publish_pdf()
            self.save_state(fmt, stamp=stamp)
            self.log(f"{fmt}: rendered and published in "
                     f"{time.perf_counter() - t0:.1f} s")
        return []


# --------------------------------------------------------------------------
# The build record
# --------------------------------------------------------------------------


def git_commit(root: Path) -> dict:
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


def _where(record: Record) -> str:
    run = record.run
    where = run.get("host", "?")
    worker = run.get("worker")
    if worker and worker != "local":
        where += f" (Dask worker {worker})"
    if record.origin:
        where += f", imported from {record.origin.get('bundle')}"
    return where


def write_build_record(path: Path, store: Store, commit: dict,
                       order: list[str]) -> None:
    """The build record page's content, as MyST Markdown inside JSON; pages
    in reading order (``order``: the table of contents)."""
    position = {page: number for number, page in enumerate(order)}
    records = sorted(store.records().values(),
                     key=lambda r: (position.get(r.page, len(order)), r.page))
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    sha = commit.get("commit")
    lines = [
        f"This edition was rendered on {now} from "
        + (f"commit `{sha[:12]}`" if sha else "sources outside git")
        + (" with uncommitted changes" if commit.get("modified") else "")
        + ". Every executed page below ran in a fresh kernel; its outputs "
        "are reused only while everything it read is unchanged.", "",
        "| Page | Where it ran | Device | Seconds | When (UTC) |",
        "| --- | --- | --- | ---: | --- |"]
    for r in records:
        when = r.run.get("started", "").replace("T", " ")[:16]
        lines.append(f"| {{doc}}`/{r.page}` | {_where(r)} | {r.device} | "
                     f"{r.run.get('seconds', 0):.1f} | {when} |")
    environments: dict[str, list[str]] = {}
    for r in records:
        environments.setdefault(r.environment, []).append(r.page)
    for number, (digest, pages) in enumerate(environments.items(), 1):
        env = store.environment(digest)
        lines += ["", f"**Environment {number}** (used by "
                  f"{len(pages)} page(s)): {env.get('python', '?')}.", "",
                  "Installed packages: " + ", ".join(
                      f"`{name}` {version}" for name, version in
                      env.get("distributions", {}).items()) + "."]
        variables = env.get("variables", {})
        if variables:
            lines += ["", "Environment variables: " + ", ".join(
                f"`{k}={v}`" for k, v in variables.items()) + "."]
    write_atomic(path, json.dumps({"markdown": "\n".join(lines)}))
