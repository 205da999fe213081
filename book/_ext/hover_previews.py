"""Hover previews of cross-references, served by the site itself.

A reader who rests the pointer on "Fig. 2.14", "section 2.4", a listing, an
exercise, a citation, a glossary term or a link into the API reference (or
reaches it with Tab) sees a small preview of its target: the figure with its
caption, the section's first paragraph, the listing's first lines. The
script, ``static/previews.js``, is ours (its docstring says what it shows
for each kind of target); it uses tippy.js and Popper, from the npm packages
pinned in ``package-lock.json`` (``make npm`` installs them into
``node_modules/``), copied into the site's ``_static/vendor/`` with their
licences, never loaded from a CDN. ``static/previews.css`` styles the card
in the theme's colours, so it follows light and dark mode.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError

HERE = Path(__file__).parent
#: Where the copies go, relative to the site's ``_static/``.
VENDOR_DIR = "vendor"
#: (package, file in the package, name in _static/vendor/)
VENDOR_FILES = (
    ("@popperjs/core", "dist/umd/popper.min.js", "popper.min.js"),
    ("@popperjs/core", "LICENSE.md", "popper-LICENSE.md"),
    ("tippy.js", "dist/tippy.umd.min.js", "tippy.umd.min.js"),
    ("tippy.js", "dist/tippy.css", "tippy.css"),
    ("tippy.js", "LICENSE", "tippy-LICENSE"),
)
HINT = "run `make npm` (npm ci installs the versions in package-lock.json)"


def node_modules(app: Sphinx) -> Path:
    """``node_modules/`` next to ``_config.yml`` (the repository root)."""
    return Path(app.confdir) / "node_modules"


def copy_vendor_files(app: Sphinx) -> None:
    if app.builder.format != "html":
        return
    source = node_modules(app)
    target = Path(app.outdir) / "_static" / VENDOR_DIR
    target.mkdir(parents=True, exist_ok=True)
    for package, name, copy in VENDOR_FILES:
        path = source / package / name
        if not path.is_file():
            raise ExtensionError(f"hover_previews: {path} is missing; {HINT}")
        shutil.copy2(path, target / copy)


def add_static_path(app: Sphinx, config) -> None:
    static = str(HERE / "static")
    if static not in config.html_static_path:
        config.html_static_path.append(static)


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", add_static_path)
    app.connect("builder-inited", copy_vendor_files)
    app.add_css_file(f"{VENDOR_DIR}/tippy.css")
    app.add_css_file("previews.css")
    for script in (f"{VENDOR_DIR}/popper.min.js",
                   f"{VENDOR_DIR}/tippy.umd.min.js", "previews.js"):
        app.add_js_file(script, loading_method="defer")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
