"""The render stage's side of Sphinx (loaded by :mod:`bookengine.render`).

* **Never execute.** MyST-NB runs in ``cache`` mode against the engine's
  store; if a page has no stored outputs the build stops with an error
  instead of MyST-NB executing it. (And the executed notebook it writes for
  readers to download keeps its outputs.)
* **Structured warnings.** Every warning and error Sphinx logs is written
  as a JSON line (docname, location, type, message) to the file named in the
  plan; the engine decides from those records, not from the log text.
* **Re-read what must be re-read.** Besides Sphinx's own rule (the source
  changed): a page that had a warning last time, a page whose executed
  outputs changed, and a page that glues values from a re-read page.
* **Write what changed.** Sphinx writes the pages it re-read. What a page
  shows of *other* pages (every title and section heading in the navigation,
  the toctree, section and figure numbers, the reference targets and objects
  of every domain) is hashed after reading; when that hash differs from the
  last completed write, every page is written, so a reference into a changed
  page is resolved, or reported, in all of them. A prose edit writes one
  page (and the root page, which Sphinx always writes); a changed title,
  heading, label or number writes all. (Two costs of writing all are cut:
  each page's doctree is unpickled once per build for ``{numref}``, not
  once per reference, and viewcode finds module files without importing
  the modules.)
* **The build record.** ``{build-record}`` renders the provenance the engine
  wrote as JSON.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
from pathlib import Path
from typing import Any, Iterator

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util import logging as sphinx_logging

from .provenance import JSON
from . import sphinx_patches as patches
from .build_record import BuildRecord
from .sphinx_patches import NotExecuted

__all__ = ["NotExecuted", "WarningLog", "collecting", "plan", "setup"]


def plan(app: Sphinx) -> dict[str, Any]:
    """The render stage's plan for this build (outputs, pages to re-read,
    the build record's path)."""
    found: JSON | None = getattr(app, "_bookengine_plan", None)
    if found is None:
        path = app.config.bookengine_plan
        found = json.loads(Path(path).read_text()) if path \
            else {"outputs": {}, "reread": []}
        setattr(app, "_bookengine_plan", found)
    return found


# --------------------------------------------------------------------------
# Structured warnings
# --------------------------------------------------------------------------


class WarningLog:
    """The warnings of one Sphinx build: kept in memory (what the render
    stage reads) and appended to ``path`` as JSON lines (for people)."""

    def __init__(self, path: str | None):
        self.path = path
        self.entries: list[dict[str, Any]] = []
        self.write_errors: list[str] = []

    def add(self, entry: dict[str, Any]) -> None:
        self.entries.append(entry)
        if not self.path:
            return
        try:
            with open(self.path, "a") as f:
                f.write(json.dumps(entry, default=str) + "\n")
        except OSError as err:
            self.write_errors.append(str(err))


#: The log of the Sphinx build now running in this process, if any.
_active: WarningLog | None = None


@contextlib.contextmanager
def collecting(path: str | None) -> Iterator[WarningLog]:
    """Collect every warning of the Sphinx builds started in the block,
    from the moment Sphinx sets up its logging."""
    global _active
    patches.collect_warnings_from_the_start(attach_collector)
    log = WarningLog(path)
    _active = log
    try:
        yield log
    finally:
        _active = None


def attach_collector(app: Sphinx) -> None:
    if _active is not None:
        handler = _Collector(app, _active)
        logging.getLogger(sphinx_logging.NAMESPACE).addHandler(handler)
        setattr(app, "_bookengine_handler", handler)


class _Collector(sphinx_logging.WarningStreamHandler):
    """Turn each warning Sphinx logs into a record.

    A ``WarningStreamHandler`` so that Sphinx treats it like its own warning
    stream: set aside while warnings are held back during reading, handed
    each held-back warning once when they are released. A warning is never
    dropped: if its details cannot be worked out, it is recorded with its
    message alone."""

    def __init__(self, app: Sphinx, log: WarningLog):
        super().__init__()
        self.setLevel(logging.WARNING)
        self.app = app
        self.log = log
        self.addFilter(sphinx_logging.WarningSuppressor(app))

    def _docname(self, record: logging.LogRecord) -> str | None:
        env = getattr(self.app, "env", None)
        location = getattr(record, "location", None)
        if isinstance(location, tuple):
            return str(location[0])
        if env is None:
            return None
        if isinstance(location, nodes.Node):
            source = sphinx_logging.get_node_location(location) or ""
            return env.path2doc(source.rsplit(":", 1)[0]) if source else None
        if isinstance(location, str) and location:
            path = location.rsplit(":", 1)[0]
            return env.path2doc(path) if ("/" in path or "." in path) \
                else location
        found = env.temp_data.get("docname")
        return str(found) if found else None

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = logging.LogRecord.getMessage(record)
        except Exception as err:  # noqa: BLE001 - a bad format string
            message = f"{record.msg!r} (unformattable: {err})"
        entry: dict[str, Any] = {
            "level": record.levelname.lower(), "type": None,
            "subtype": None, "docname": None, "location": None,
            # The message alone (Sphinx's record class would prefix the
            # location and "WARNING:").
            "message": message}
        try:
            entry["docname"] = self._docname(record)
            sphinx_logging.WarningLogRecordTranslator(self.app).filter(
                record)  # type: ignore[arg-type] # location -> "path:line"
            entry.update(type=getattr(record, "type", None),
                         subtype=getattr(record, "subtype", None),
                         location=getattr(record, "location", None))
        except Exception as err:  # noqa: BLE001 - the message still counts
            entry["message"] += f" (its location is unknown: {err})"
        self.log.add(entry)


def _stop_collecting(app: Sphinx, exception: BaseException | None) -> None:
    handler = getattr(app, "_bookengine_handler", None)
    if handler is not None:
        logging.getLogger(sphinx_logging.NAMESPACE).removeHandler(handler)


# --------------------------------------------------------------------------
# What to re-read, what to write
# --------------------------------------------------------------------------


def _state(env: BuildEnvironment, name: str) -> JSON:
    if not hasattr(env, name):
        setattr(env, name, {})
    found: JSON = getattr(env, name)
    return found


def _outdated(app: Sphinx, env: BuildEnvironment, added: set[str],
              changed: set[str], removed: set[str]) -> list[str]:
    the_plan = plan(app)
    seen = _state(env, "bookengine_outputs")
    found = env.found_docs
    reread = {d for d in the_plan.get("reread", []) if d in found}
    for doc, output in the_plan.get("outputs", {}).items():
        if doc in found and seen.get(doc) != output:
            reread.add(doc)
    updated = reread | set(added) | set(changed)
    glue_from = _state(env, "bookengine_glue_from")
    for doc in found:
        if set(glue_from.get(doc, ())) & updated:
            reread.add(doc)
    return sorted(reread - set(added) - set(changed))


def _note_read(app: Sphinx, doctree: nodes.document) -> None:
    """After a page is read: which outputs it was read with, and which
    pages it glues values from."""
    from myst_nb.ext.glue.utils import PendingGlueReference

    env = app.env
    _state(env, "bookengine_outputs")[env.docname] = plan(app).get(
        "outputs", {}).get(env.docname)
    sources = {node.refdoc for node in doctree.findall(PendingGlueReference)}
    _state(env, "bookengine_glue_from")[env.docname] = sorted(sources)


def _purge(app: Sphinx, env: BuildEnvironment, docname: str) -> None:
    for name in ("bookengine_outputs", "bookengine_glue_from"):
        _state(env, name).pop(docname, None)


#: Where the hash of what pages show of each other is kept between builds
#: (in the doctree folder; written only after a build wrote its pages).
SHARED_FILE = "bookengine-shared.sha256"


def _plain(value: Any, within: frozenset[int] = frozenset(),
           unordered: bool = False) -> Any:
    """``value`` as JSON whose text does not depend on set order or on
    where objects happen to sit in memory (``within``: the containers
    being converted, so that a cycle ends instead of recursing;
    ``unordered``: lists, not tuples, are sorted too, for data whose order
    is the order pages happened to be read in)."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, nodes.Node):
        return value.astext()
    if id(value) in within:
        return f"<cycle: {type(value).__qualname__}>"
    inner = within | {id(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v, inner, unordered) for k, v in sorted(
            value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple)):  # a tuple is a record: in order
        items = [_plain(v, inner, unordered) for v in value]
        return sorted(items, key=json.dumps) \
            if unordered and isinstance(value, list) else items
    if isinstance(value, (set, frozenset)):
        return sorted((_plain(v, inner, unordered) for v in value),
                      key=json.dumps)
    # Other objects (a C++ domain's symbol tree): their attributes.
    attributes = getattr(value, "__dict__", None)
    if attributes is not None:
        return [type(value).__qualname__, _plain(
            {k: v for k, v in attributes.items() if not callable(v)},
            inner, unordered)]
    return repr(value)


def shared_state(env: BuildEnvironment) -> str:
    """The hash of everything a page may show of other pages: titles and
    section headings (the navigation, ``{doc}`` and ``{ref}`` texts), the
    toctree, section and figure numbers (``{numref}``) and the data of
    every domain (labels, citations, equations, objects)."""
    state = {
        "docs": sorted(env.found_docs),
        "titles": env.titles,
        "tocs": env.tocs,
        "toctree": env.toctree_includes,
        "secnumbers": env.toc_secnumbers,
        "fignumbers": env.toc_fignumbers,
    }
    # A domain's lists (citations, index entries) are in the order pages
    # were read: one page re-read moves its entries to the end.
    plain = [_plain(state), _plain(env.domaindata, unordered=True)]
    return hashlib.sha256(json.dumps(plain).encode()).hexdigest()


def _write_what_changed(app: Sphinx, env: BuildEnvironment) -> list[str]:
    """(``env-get-updated``, after the numbering.) Every page when what
    pages show of each other changed (or when the last build did not
    finish writing), else none beyond those Sphinx writes anyway (the
    pages it re-read, their parents in the toctree and the root page)."""
    path = Path(app.doctreedir) / SHARED_FILE
    now = shared_state(env)
    setattr(app, "_bookengine_shared", now)
    try:
        before = path.read_text()
    except OSError:
        before = None
    if before == now:
        return []
    path.unlink(missing_ok=True)   # until this build has written them all
    return sorted(env.found_docs)


def _wrote(app: Sphinx, exception: BaseException | None) -> None:
    shared = getattr(app, "_bookengine_shared", None)
    if exception is None and shared is not None:
        from .files import write_atomic

        write_atomic(Path(app.doctreedir) / SHARED_FILE, shared)


def setup(app: Sphinx) -> JSON:
    # rebuild="" : the plan's path never invalidates the environment.
    app.add_config_value("bookengine_plan", "", "")
    patches.apply_all()
    app.connect("build-finished", _stop_collecting)
    app.connect("env-get-outdated", _outdated)
    app.connect("doctree-read", _note_read)
    app.connect("env-purge-doc", _purge)
    # After the toctree collector (priority 500) has numbered sections and
    # figures, which it does after every read, in the same event.
    app.connect("env-get-updated", _write_what_changed, priority=900)
    app.connect("build-finished", _wrote)
    app.add_directive("build-record", BuildRecord)
    return {"parallel_read_safe": False, "parallel_write_safe": True}
