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
* **Write everything.** Every page is written on every render, so a
  reference into a changed page is resolved, or reported, in all of them.
  (Two costs of doing so are cut: each page's doctree is unpickled once per
  build for ``{numref}``, not once per reference, and viewcode finds module
  files without importing the modules.)
* **The build record.** ``{build-record}`` renders the provenance the engine
  wrote as JSON.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util import logging as sphinx_logging
from sphinx.util.docutils import SphinxDirective


class NotExecuted(RuntimeError):
    """The render stage met a page with no executed outputs."""


def _plan(app: Sphinx) -> dict:
    if not hasattr(app, "_bookengine_plan"):
        path = app.config.bookengine_plan
        app._bookengine_plan = json.loads(Path(path).read_text()) \
            if path else {"outputs": {}, "reread": []}
    return app._bookengine_plan


# --------------------------------------------------------------------------
# Never execute
# --------------------------------------------------------------------------


def _refuse_execution() -> None:
    from jupyter_cache import get_cache
    from myst_nb.core.execute.cache import NotebookClientCache

    if getattr(NotebookClientCache, "_bookengine_guarded", False):
        return
    original = NotebookClientCache.start_client

    def start_client(self):
        if not any(cell.cell_type == "code" for cell in self.notebook.cells):
            return  # nothing to execute, nothing to look up
        cache = get_cache(self.nb_config.execution_cache_path)
        try:
            cache.match_cache_notebook(self.notebook)
        except KeyError:
            raise NotExecuted(
                f"{self.path}: no executed outputs for this page's code in "
                "the store, and the render stage never executes. Was the "
                "page edited during the build? Build again.") from None
        # MyST-NB merges the stored outputs into a copy of the notebook, but
        # writes the original to jupyter_execute/ (the .ipynb readers
        # download): put the outputs into the original too.
        notebook = self._notebook
        original(self)
        merged = self._notebook
        notebook.cells[:] = merged.cells
        notebook.metadata.update(merged.metadata)
        self._notebook = notebook

    NotebookClientCache.start_client = start_client
    NotebookClientCache._bookengine_guarded = True


def _memoize_numref_targets() -> None:
    """Sphinx resolves each ``{numref}`` by unpickling the whole doctree of
    the target's page, once per reference (about half of a prose edit's
    render time in this book). During the write phase those doctrees do not
    change, so each is unpickled once per build and then only read."""
    from sphinx.domains.std import StandardDomain

    if getattr(StandardDomain, "_bookengine_memoized", False):
        return
    original = StandardDomain._resolve_numref_xref

    def resolve(self, env, fromdocname, builder, *args):
        memo = builder.__dict__.setdefault("_bookengine_doctrees", {})
        read = env.get_doctree

        def cached(docname: str):
            if docname not in memo:
                memo[docname] = read(docname)
            return memo[docname]

        env.get_doctree = cached
        try:
            return original(self, env, fromdocname, builder, *args)
        finally:
            del env.get_doctree

    StandardDomain._resolve_numref_xref = resolve
    StandardDomain._bookengine_memoized = True


def _highlight_each_block_once() -> None:
    """The book's PDF and every chapter's PDF hold the same code blocks, and
    Sphinx's LaTeX writer makes a new highlighter for each: Pygments ran
    twice over every block of a chapter. The result depends only on the
    block, its options and the highlighter's settings."""
    from sphinx.highlighting import PygmentsBridge

    if getattr(PygmentsBridge, "_bookengine_memoized", False):
        return
    original = PygmentsBridge.highlight_block
    memo: dict[tuple, str] = {}

    def highlight_block(self, source, lang, opts=None, force=False,
                        location=None, **kwargs):
        if self.dest != "latex":
            return original(self, source, lang, opts, force, location,
                            **kwargs)
        key = (repr(self.formatter_args), getattr(self, "latex_engine", None),
               source, lang, repr(opts), force, repr(sorted(kwargs.items())))
        if key not in memo:
            memo[key] = original(self, source, lang, opts, force, location,
                                 **kwargs)
        return memo[key]

    PygmentsBridge.highlight_block = highlight_block
    PygmentsBridge._bookengine_memoized = True


def _find_bibtex_plugins_once() -> None:
    """pybtex finds a style or backend among the installed distributions'
    entry points every time a citation is resolved (about 100 scans of every
    distribution's metadata per PDF render: a second). What is installed
    does not change during a build; plugins registered at run time are
    still looked up first, by pybtex itself."""
    try:
        import pybtex.plugin as plugin
    except ImportError:
        return
    if getattr(plugin, "_bookengine_memoized", False):
        return
    scan = plugin.entry_points
    memo: dict[tuple[str, str], tuple] = {}

    def entry_points(*, group: str, name: str) -> tuple:
        if (group, name) not in memo:
            memo[group, name] = tuple(scan(group=group, name=name))
        return memo[group, name]

    plugin.entry_points = entry_points
    plugin._bookengine_memoized = True


def _viewcode_without_imports() -> None:
    """viewcode decides whether a module's source page is out of date by
    *importing* the module to learn its file name (``dlpy.training`` brings
    in Keras and JAX: seconds, on every render). Finding the module's spec
    gives the same file name without running it."""
    import importlib.util

    from sphinx.ext import viewcode

    def get_module_filename(app: Sphinx, modname: str) -> str | None:
        if app.emit_firstresult("viewcode-find-source", modname):
            return None
        try:
            spec = importlib.util.find_spec(modname)
        except (ImportError, ValueError):
            return None
        return spec.origin if spec is not None and spec.has_location \
            else None

    viewcode.get_module_filename = get_module_filename


# --------------------------------------------------------------------------
# Structured warnings
# --------------------------------------------------------------------------


class _Collector(sphinx_logging.WarningStreamHandler):
    """Write each warning Sphinx logs as one JSON line.

    A ``WarningStreamHandler`` so that Sphinx treats it like its own warning
    stream: set aside while warnings are held back during reading, handed
    each held-back warning once when they are released."""

    def __init__(self, app: Sphinx, path: str):
        super().__init__()
        self.setLevel(logging.WARNING)
        self.app = app
        self.path = path
        self.addFilter(sphinx_logging.WarningSuppressor(app))

    def _docname(self, record: logging.LogRecord) -> str | None:
        env = self.app.env
        location = getattr(record, "location", None)
        if isinstance(location, tuple):
            return location[0]
        if isinstance(location, nodes.Node):
            source = sphinx_logging.get_node_location(location) or ""
            return env.path2doc(source.rsplit(":", 1)[0]) if source else None
        if isinstance(location, str) and location:
            path = location.rsplit(":", 1)[0]
            return env.path2doc(path) if ("/" in path or "." in path) \
                else location
        return env.temp_data.get("docname") if env else None

    def emit(self, record: logging.LogRecord) -> None:
        try:
            docname = self._docname(record)
            sphinx_logging.WarningLogRecordTranslator(self.app).filter(
                record)  # location -> "path:line"
            entry = {"level": record.levelname.lower(),
                     "type": getattr(record, "type", None),
                     "subtype": getattr(record, "subtype", None),
                     "docname": docname,
                     "location": getattr(record, "location", None),
                     # The message alone (Sphinx's record class would
                     # prefix the location and "WARNING:").
                     "message": logging.LogRecord.getMessage(record)}
            with open(self.path, "a") as f:
                f.write(json.dumps(entry) + "\n")
        except Exception:  # noqa: BLE001 - a handler must never raise
            self.handleError(record)


def _collect_warnings(app: Sphinx, config) -> None:
    path = _plan(app).get("warnings")
    if path:
        handler = _Collector(app, path)
        logging.getLogger(sphinx_logging.NAMESPACE).addHandler(handler)
        app._bookengine_handler = handler


def _stop_collecting(app: Sphinx, exception) -> None:
    handler = getattr(app, "_bookengine_handler", None)
    if handler is not None:
        logging.getLogger(sphinx_logging.NAMESPACE).removeHandler(handler)


# --------------------------------------------------------------------------
# What to re-read, what to write
# --------------------------------------------------------------------------


def _state(env, name: str) -> dict:
    if not hasattr(env, name):
        setattr(env, name, {})
    return getattr(env, name)


def _outdated(app: Sphinx, env, added, changed, removed) -> list[str]:
    plan = _plan(app)
    seen = _state(env, "bookengine_outputs")
    found = env.found_docs
    reread = {d for d in plan.get("reread", []) if d in found}
    for doc, output in plan.get("outputs", {}).items():
        if doc in found and seen.get(doc) != output:
            reread.add(doc)
    updated = reread | set(added) | set(changed)
    glue_from = _state(env, "bookengine_glue_from")
    for doc in found:
        if set(glue_from.get(doc, ())) & updated:
            reread.add(doc)
    return sorted(reread - set(added) - set(changed))


def _note_read(app: Sphinx, doctree) -> None:
    """After a page is read: which outputs it was read with, and which
    pages it glues values from."""
    from myst_nb.ext.glue.utils import PendingGlueReference

    env = app.env
    _state(env, "bookengine_outputs")[env.docname] = _plan(app).get(
        "outputs", {}).get(env.docname)
    sources = {node.refdoc for node in doctree.findall(PendingGlueReference)}
    _state(env, "bookengine_glue_from")[env.docname] = sorted(sources)


def _purge(app: Sphinx, env, docname: str) -> None:
    for name in ("bookengine_outputs", "bookengine_glue_from"):
        _state(env, name).pop(docname, None)


def _write_everything(app: Sphinx, env) -> list[str]:
    return sorted(env.found_docs)


# --------------------------------------------------------------------------
# The build record
# --------------------------------------------------------------------------


class BuildRecord(SphinxDirective):
    """Render the provenance of this build (see ``render.build_record``)."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        path = _plan(self.env.app).get("record")
        if not path or not Path(path).exists():
            raise self.error("build-record: no build record; build the book "
                             "with `make book` (tools/bookengine)")
        self.env.note_dependency(path)
        text = Path(path).read_text()
        record = json.loads(text)
        container = nodes.container(classes=["build-record"])
        self.state.nested_parse(StringList(record["markdown"].splitlines()),
                                self.content_offset, container)
        return [container]


def setup(app: Sphinx) -> dict:
    # rebuild="" : the plan's path never invalidates the environment.
    app.add_config_value("bookengine_plan", "", "")
    _refuse_execution()
    _memoize_numref_targets()
    _viewcode_without_imports()
    _highlight_each_block_once()
    _find_bibtex_plugins_once()
    app.connect("config-inited", _collect_warnings)
    app.connect("build-finished", _stop_collecting)
    app.connect("env-get-outdated", _outdated)
    app.connect("doctree-read", _note_read)
    app.connect("env-purge-doc", _purge)
    app.connect("env-updated", _write_everything)
    app.add_directive("build-record", BuildRecord)
    return {"parallel_read_safe": False, "parallel_write_safe": True}
