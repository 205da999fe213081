"""Changes to third-party internals the render stage relies on, in one place.

Each function below replaces a private (or undocumented) function of Sphinx,
MyST-NB or pybtex. Private APIs change without notice, so each patch names
the distribution and the versions it was written against
(:data:`TESTED`), and :func:`apply_all` refuses to run, loudly, when an
installed version is outside them or when the patched attribute is gone:
after an upgrade, read the patch against the new code, then widen
:data:`TESTED`. Each patch is applied once per process.

* :func:`refuse_execution` (MyST-NB): never execute; a page without stored
  outputs stops the build (:class:`NotExecuted`).
* :func:`collect_warnings_from_the_start` (Sphinx): hand the new
  application to the warning collector as soon as Sphinx sets up its
  logging, before configuration and extensions can warn.
* :func:`memoize_numref_targets`, :func:`highlight_each_block_once`,
  :func:`find_bibtex_plugins_once`, :func:`viewcode_without_imports`:
  speed, with identical output.
"""

from __future__ import annotations

import importlib.util
from importlib import metadata
from typing import Any, Callable

#: distribution -> the version prefixes (``major.minor``) the patches were
#: checked against.
TESTED: dict[str, tuple[str, ...]] = {
    "sphinx": ("7.4",),
    "myst-nb": ("1.4",),
    "pybtex": ("0.26",),
}


class NotExecuted(RuntimeError):
    """The render stage met a page with no executed outputs."""


class UntestedVersion(RuntimeError):
    """An installed distribution is newer (or older) than the patches."""


def check_version(distribution: str) -> None:
    """Fail unless ``distribution`` is at a version :data:`TESTED` lists."""
    try:
        installed = metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return  # optional (pybtex): its patch is skipped
    if not any(installed == v or installed.startswith(v + ".")
               for v in TESTED[distribution]):
        raise UntestedVersion(
            f"bookengine.sphinx_patches replaces private functions of "
            f"{distribution}, written for version(s) "
            f"{', '.join(TESTED[distribution])}; installed: {installed}. "
            "Check each patch of tools/bookengine/sphinx_patches.py against "
            "the new version, then add it to TESTED.")


def unpatched(function: Any) -> Any:
    """The original of a patched function (itself if not patched)."""
    while getattr(function, "_bookengine_patch", False):
        function = function.__wrapped__
    return function


def _replace(owner: Any, name: str, make: Callable[[Any], Any]) -> None:
    """Replace ``owner.name`` by ``make(original)``, once."""
    original = getattr(owner, name, None)
    if original is None:
        raise UntestedVersion(
            f"bookengine.sphinx_patches: {owner!r} has no attribute {name!r} "
            "any more; the patch of it must be revised.")
    if getattr(original, "_bookengine_patch", False):
        return
    replacement = make(original)
    replacement._bookengine_patch = True
    replacement.__wrapped__ = original
    setattr(owner, name, replacement)


# --------------------------------------------------------------------------
# Correctness
# --------------------------------------------------------------------------


def refuse_execution() -> None:
    """MyST-NB in ``cache`` mode executes a page whose outputs it does not
    find; the render stage must never execute."""
    check_version("myst-nb")
    from jupyter_cache import get_cache
    from myst_nb.core.execute.cache import NotebookClientCache

    def make(original: Callable[[Any], None]) -> Callable[[Any], None]:
        def start_client(self: Any) -> None:
            if not any(cell.cell_type == "code"
                       for cell in self.notebook.cells):
                return  # nothing to execute, nothing to look up
            cache = get_cache(self.nb_config.execution_cache_path)
            try:
                cache.match_cache_notebook(self.notebook)
            except KeyError:
                raise NotExecuted(
                    f"{self.path}: no executed outputs for this page's code "
                    "in the store, and the render stage never executes. Was "
                    "the page edited during the build? Build again.") from None
            # MyST-NB merges the stored outputs into a copy of the notebook,
            # but writes the original to jupyter_execute/ (the .ipynb
            # readers download): put the outputs into the original too.
            notebook = self._notebook
            original(self)
            merged = self._notebook
            notebook.cells[:] = merged.cells
            notebook.metadata.update(merged.metadata)
            self._notebook = notebook
        return start_client

    _replace(NotebookClientCache, "start_client", make)


def collect_warnings_from_the_start(attach: Callable[[Any], None]) -> None:
    """Call ``attach(app)`` right after Sphinx's ``logging.setup`` (which
    removes every handler it finds): the earliest moment a handler can be
    added, before the configuration is read and extensions are set up (a
    misspelt option warns then, before ``config-inited``)."""
    check_version("sphinx")
    from sphinx.util import logging as sphinx_logging

    def make(original: Callable[..., None]) -> Callable[..., None]:
        def setup(app: Any, status: Any, warning: Any) -> None:
            original(app, status, warning)
            attach(app)
        return setup

    _replace(sphinx_logging, "setup", make)


# --------------------------------------------------------------------------
# Speed (identical output)
# --------------------------------------------------------------------------


def memoize_numref_targets() -> None:
    """Sphinx resolves each ``{numref}`` by unpickling the whole doctree of
    the target's page, once per reference (about half of a prose edit's
    render time in this book). During the write phase those doctrees do not
    change, so each is unpickled once per build and then only read."""
    check_version("sphinx")
    from sphinx.domains.std import StandardDomain

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def resolve(self: Any, env: Any, fromdocname: str, builder: Any,
                    *args: Any) -> Any:
            memo = builder.__dict__.setdefault("_bookengine_doctrees", {})
            read = env.get_doctree

            def cached(docname: str) -> Any:
                if docname not in memo:
                    memo[docname] = read(docname)
                return memo[docname]

            env.get_doctree = cached
            try:
                return original(self, env, fromdocname, builder, *args)
            finally:
                del env.get_doctree
        return resolve

    _replace(StandardDomain, "_resolve_numref_xref", make)


def highlight_each_block_once() -> None:
    """The book's PDF and every chapter's PDF hold the same code blocks, and
    Sphinx's LaTeX writer makes a new highlighter for each: Pygments ran
    twice over every block of a chapter. The result depends only on the
    block, its options and the highlighter's settings."""
    check_version("sphinx")
    from sphinx.highlighting import PygmentsBridge

    memo: dict[tuple[Any, ...], str] = {}

    def make(original: Callable[..., str]) -> Callable[..., str]:
        def highlight_block(self: Any, source: str, lang: str,
                            opts: Any = None, force: bool = False,
                            location: Any = None, **kwargs: Any) -> str:
            if self.dest != "latex":
                return original(self, source, lang, opts, force, location,
                                **kwargs)
            key = (repr(self.formatter_args),
                   getattr(self, "latex_engine", None), source, lang,
                   repr(opts), force, repr(sorted(kwargs.items())))
            if key not in memo:
                memo[key] = original(self, source, lang, opts, force,
                                     location, **kwargs)
            return memo[key]
        return highlight_block

    _replace(PygmentsBridge, "highlight_block", make)


def find_bibtex_plugins_once() -> None:
    """pybtex finds a style or backend among the installed distributions'
    entry points every time a citation is resolved (about 100 scans of every
    distribution's metadata per PDF render: a second). What is installed
    does not change during a build; plugins registered at run time are
    still looked up first, by pybtex itself."""
    if importlib.util.find_spec("pybtex") is None:
        return
    check_version("pybtex")
    import pybtex.plugin as plugin

    memo: dict[tuple[str, str], tuple[Any, ...]] = {}

    def make(scan: Callable[..., Any]) -> Callable[..., Any]:
        def entry_points(*, group: str, name: str) -> tuple[Any, ...]:
            if (group, name) not in memo:
                memo[group, name] = tuple(scan(group=group, name=name))
            return memo[group, name]
        return entry_points

    _replace(plugin, "entry_points", make)


def viewcode_without_imports() -> None:
    """viewcode decides whether a module's source page is out of date by
    *importing* the module to learn its file name (``dlpy.training`` brings
    in Keras and JAX: seconds, on every render). Finding the module's spec
    gives the same file name without running it."""
    check_version("sphinx")
    from sphinx.ext import viewcode

    def make(_: Callable[..., Any]) -> Callable[..., Any]:
        def get_module_filename(app: Any, modname: str) -> str | None:
            if app.emit_firstresult("viewcode-find-source", modname):
                return None
            try:
                spec = importlib.util.find_spec(modname)
            except (ImportError, ValueError):
                return None
            return spec.origin if spec is not None and spec.has_location \
                else None
        return get_module_filename

    _replace(viewcode, "get_module_filename", make)


def apply_all() -> None:
    """Every patch but :func:`collect_warnings_from_the_start` (which the
    render stage applies before Sphinx starts); each checks its versions
    first."""
    refuse_execution()
    memoize_numref_targets()
    viewcode_without_imports()
    highlight_each_block_once()
    find_bibtex_plugins_once()
