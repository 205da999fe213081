"""The build record: where and in what environment every executed page ran.

Two halves, kept together: :func:`write_build_record` (the render stage,
before Sphinx starts) writes the record as MyST Markdown inside a JSON file;
the ``{build-record}`` directive (:class:`BuildRecord`, registered by
:mod:`bookengine.sphinx_ext`) renders that file where a page asks for it.

Only pages of the current table of contents are listed (a removed page's
record is never linked). The published record names no host and no local
path: where a page ran is "this machine", a Dask worker or the bundle it
was imported from, and the interpreter is its implementation and version.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective

from .files import write_atomic
from .provenance import JSON, Record
from .records import shown_device


def where(record: Record) -> str:
    """Where a page ran, without host names."""
    worker = record.run.get("worker")
    text = ("a Dask worker" if worker and worker != "local"
            else "this machine" if not record.origin else "another machine")
    if record.origin:
        text += f", imported from {record.origin.get('bundle')}"
    retried = record.run.get("retried_after")
    if retried:
        text += (f", re-executed here after failing on "
                 f"{retried.get('device')} elsewhere")
    return text


def numerics(record: Record) -> str:
    """The numerics policy a page ran with, in words: the matmul precision
    the build asked JAX for, and whether a GPU's TF32 was emulated (the
    device cell says what JAX then used)."""
    precision = record.settings.get("matmul_precision", "default")
    words = "JAX's default" if precision == "default" else \
        f"precision {precision}"
    if record.settings.get("numerics", "native") != "native":
        words += f", {record.settings['numerics'].upper()} emulated"
    return str(words)


def device(record: Record) -> str:
    """The device cell: what the page showed its reader, then what its
    outputs depend on (compute capability, driver, CUDA, jaxlib, the matmul
    precision JAX used), as the kernel reported them."""
    text = shown_device(record.device, record.run)
    details = record.run.get("device") or {}
    parts = []
    if details.get("compute_capability"):
        parts.append(f"compute capability {details['compute_capability']}, "
                     f"driver {details.get('driver')}, "
                     f"CUDA {details.get('cuda')}")
    if details.get("jaxlib"):
        parts.append(f"jaxlib {details['jaxlib']}")
    if details.get("jax"):  # the page used JAX: the precision it ran with
        precision = details.get("matmul_precision")
        parts.append("matmul precision " + (
            "JAX's default" if precision in (None, "None") else precision))
    return text + (f" ({'; '.join(parts)})" if parts else "")


def python_version(interpreter: str) -> str:
    """``CPython 3.11.7`` out of a recorded interpreter (which may end with
    the executable's path)."""
    return " ".join(interpreter.split(" ")[:2]) if interpreter else "?"


def write_build_record(path: Path, records: Iterable[Record],
                       environment: Callable[[str], JSON],
                       commit: dict[str, object], order: list[str]) -> None:
    """The build record page's content, as MyST Markdown inside JSON;
    left as it is when only the date would change.

    ``records``: the pages to list (those of the table of contents);
    ``environment``: a recorded environment by its hash; ``order``: the
    table of contents, for reading order."""
    position = {page: number for number, page in enumerate(order)}
    rows = sorted(records,
                  key=lambda r: (position.get(r.page, len(order)), r.page))
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    sha = commit.get("commit")
    lines = [
        f"This edition was first rendered on {now} from "
        + (f"commit `{str(sha)[:12]}`" if sha else "sources outside git")
        + (" with uncommitted changes" if commit.get("modified") else "")
        + ". Every executed page below ran in a fresh kernel; its outputs "
        "are reused only while everything it read is unchanged.", "",
        "| Page | Where it ran | Device | Matrix products | Seconds "
        "| When (UTC) |",
        "| --- | --- | --- | --- | ---: | --- |"]
    for r in rows:
        when = str(r.run.get("started", "")).replace("T", " ")[:16]
        lines.append(f"| {{doc}}`/{r.page}` | {where(r)} | {device(r)} | "
                     f"{numerics(r)} | "
                     f"{float(r.run.get('seconds', 0) or 0):.1f} | {when} |")
    environments: dict[str, list[str]] = {}
    for r in rows:
        environments.setdefault(r.environment, []).append(r.page)
    for number, (digest, pages) in enumerate(environments.items(), 1):
        env = environment(digest)
        lines += ["", f"**Environment {number}** (used by "
                  f"{len(pages)} page(s)): "
                  f"{python_version(env.get('python', ''))}.", "",
                  "Installed packages: " + ", ".join(
                      f"`{name}` {version}" for name, version in
                      env.get("distributions", {}).items()) + "."]
        variables = env.get("variables", {})
        if variables:
            lines += ["", "Environment variables: " + ", ".join(
                f"`{k}={v}`" for k, v in variables.items()) + "."]
    # Rewritten only when a row, an environment or the commit changed: the
    # page that shows it is then re-read and written, and no other page
    # (the date says when the record last changed).
    content = "\n".join(lines).replace(now, "")
    try:
        if json.loads(path.read_text()).get("content") == content:
            return
    except (OSError, ValueError, AttributeError):
        pass
    write_atomic(path, json.dumps({"markdown": "\n".join(lines),
                                   "content": content}))


class BuildRecord(SphinxDirective):
    """``{build-record}``: render the file :func:`write_build_record`
    wrote (its path comes from the render stage's plan)."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        from .sphinx_ext import plan

        path = plan(self.env.app).get("record")
        if not path or not Path(path).exists():
            raise self.error("build-record: no build record; build the book "
                             "with `make book` (tools/bookengine)")
        self.env.note_dependency(path)
        record = json.loads(Path(path).read_text())
        container = nodes.container(classes=["build-record"])
        self.state.nested_parse(StringList(record["markdown"].splitlines()),
                                self.content_offset, container)
        return [container]
