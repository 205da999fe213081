"""Offer every executed page as a Jupyter notebook (``.ipynb``) download.

sphinx-book-theme lists a ``.ipynb`` in its download menu only when a
launch service (Binder, JupyterHub, Colab, thebe) is configured; this book
has none, so its readers could only download the MyST ``.md`` text. For each
page with a kernel, this copies the notebook MyST-NB wrote to
``_build/jupyter_execute/`` into the site's ``_sources/`` and hands it to
the theme, which then adds the ``.ipynb`` entry to the download menu.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from sphinx.application import Sphinx


def offer_notebook(app: Sphinx, pagename, templatename, context,
                   doctree) -> None:
    """Copy ``pagename``'s notebook into ``_sources/`` (notebook pages)."""
    if app.builder.format != "html" or context.get("ipynb_source"):
        return
    if "kernelspec" not in app.env.metadata.get(pagename, {}):
        return
    outdir = Path(app.outdir)
    notebook = outdir.parent / "jupyter_execute" / f"{pagename}.ipynb"
    if not notebook.is_file():
        return
    target = outdir / "_sources" / f"{pagename}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(notebook, target)
    context["ipynb_source"] = f"{pagename}.ipynb"


def setup(app: Sphinx) -> dict:
    # Before sphinx-book-theme builds its header buttons (priority 501).
    app.connect("html-page-context", offer_notebook, priority=450)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
