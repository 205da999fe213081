"""Make the HTML book work offline: no request leaves the site.

Out of the box a Jupyter Book page asks two outside hosts for code:

* MathJax comes from a CDN, so without a network the maths stays raw TeX;
* sphinx-thebe (always loaded by Jupyter Book, even with ``thebe: false``)
  puts its script, and the address of thebe on a CDN (twice), into every
  page.

This extension, for HTML builders only:

1. serves MathJax 3 from ``_static/mathjax/``, copied from the pinned PyPI
   package ``django-static-mathjax`` (its import name is ``mathjax``; it
   has no dependencies). Only the ``tex-mml-chtml`` component, its woff
   fonts, the TeX extensions it may autoload (``\\boldsymbol``,
   ``\\cancel``, ...) and the licence are copied, about 2 MB;
2. drops sphinx-thebe's scripts and style sheet unless the book turns thebe
   on (``launch_buttons: thebe: true``);
3. after the build, warns (an error under ``-W``) about any ``<script>``,
   ``<link>``, ``<img>`` or ``<iframe>`` that still points at another host.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util import logging

logger = logging.getLogger(__name__)

#: Where the MathJax files go, relative to the site's ``_static/``.
MATHJAX_DIR = "mathjax"
#: What is copied from the package's ``es5/`` folder.
MATHJAX_FILES = (
    "tex-mml-chtml.js",
    "output/chtml/fonts/woff-v2",
    "input/tex/extensions",
)
PACKAGE_HINT = "pip install django-static-mathjax==3.2.2.1"

#: An element that makes the browser fetch from another host.
REMOTE = re.compile(
    r"<(?:script|img|iframe|source|audio|video|link)\b[^>]*?"
    r"\s(?:src|href)=[\"']((?:https?:)?//[^\"']+)[\"'][^>]*>",
    re.I,
)


def mathjax_source() -> Path:
    """The ``es5`` folder of the installed MathJax package."""
    spec = importlib.util.find_spec("mathjax")
    if spec is None or not spec.submodule_search_locations:
        raise ExtensionError(
            "offline_assets: the MathJax package is not installed; "
            f"run `{PACKAGE_HINT}`")
    root = Path(list(spec.submodule_search_locations)[0]) / "static/mathjax"
    if not (root / "es5" / MATHJAX_FILES[0]).is_file():
        raise ExtensionError(
            f"offline_assets: {root / 'es5' / MATHJAX_FILES[0]} is missing; "
            f"reinstall with `{PACKAGE_HINT}`")
    return root


def copy_mathjax(app: Sphinx) -> None:
    """Copy the MathJax subset into ``_static/mathjax`` of the output."""
    if app.builder.format != "html":
        return
    root = mathjax_source()
    target = Path(app.outdir) / "_static" / MATHJAX_DIR
    for name in MATHJAX_FILES:
        source = root / "es5" / name
        if source.is_dir():
            shutil.copytree(source, target / name, dirs_exist_ok=True)
        else:
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    shutil.copy2(root / "LICENSE", target / "LICENSE")


def _is_thebe(asset) -> bool:
    filename = str(getattr(asset, "filename", "") or "")
    body = str(getattr(asset, "attributes", {}).get("body", ""))
    return "sphinx-thebe" in filename or "THEBE_JS_URL" in body


def drop_thebe(app: Sphinx, pagename, templatename, context, doctree) -> None:
    """Remove sphinx-thebe's assets from a page when thebe is off."""
    options = app.config.html_theme_options or {}
    if (options.get("launch_buttons") or {}).get("thebe"):
        return
    for key in ("script_files", "css_files"):
        assets = context.get(key)
        if isinstance(assets, list):
            assets[:] = [a for a in assets if not _is_thebe(a)]


def check_no_remote(app: Sphinx, exception: Exception | None) -> None:
    """Warn about any element that would still load from another host."""
    if exception is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    for page in sorted(outdir.rglob("*.html")):
        if "_static" in page.relative_to(outdir).parts:
            continue
        urls = sorted(set(REMOTE.findall(page.read_text(errors="replace"))))
        for url in urls:
            logger.warning("offline_assets: %s loads %s from another host",
                           page.relative_to(outdir), url)


def use_local_mathjax(app: Sphinx, config) -> None:
    """Point ``mathjax_path`` at the copy (Sphinx prefixes ``_static/``)."""
    config.mathjax_path = f"{MATHJAX_DIR}/{MATHJAX_FILES[0]}"


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", use_local_mathjax)
    app.connect("builder-inited", copy_mathjax)
    app.connect("html-page-context", drop_thebe, priority=900)
    app.connect("build-finished", check_no_remote)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
