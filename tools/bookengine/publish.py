"""Publication: every requested format goes live in one step, or none does.

The render stage builds each format in ``<build>/render/`` (the staging
area). Only once all of them succeeded, :func:`publish` assembles one new
*edition* in ``<build>/.published/<id>/``::

    html/            the site (this build's, or the last published one)
    html/<pdf dir>/  the PDFs its pages link to (``site_pdf_dir``)
    latex/           the PDFs (this build's, or the last published ones)

and then switches the symbolic link ``<build>/current`` to it with one
atomic rename. ``<build>/html`` and ``<build>/latex`` are fixed links into
``current``, so the site and the PDFs always come from the same edition: a
reader never sees a new site with old PDFs, and a build that fails at any
point (a LaTeX error after a good HTML build) leaves the last edition
untouched. The edition is flushed to disk (every file and folder) before
it is renamed into place, and each rename is flushed too, so that even a
crash of the machine cannot leave a live edition with empty files. Older
editions are removed afterwards.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

from .files import fsync_path, fsync_tree

#: The link to the live edition, and the links into it.
CURRENT = "current"
LINKS = ("html", "latex")


def _swap_link(link: Path, target: str) -> None:
    """Point ``link`` at ``target`` atomically (replacing a folder an
    older engine published there)."""
    if link.is_symlink() and os.readlink(link) == target:
        return
    tmp = link.with_name(f".{link.name}-{uuid.uuid4().hex}")
    tmp.symlink_to(target)
    if link.is_dir() and not link.is_symlink():
        shutil.rmtree(link)
    os.replace(tmp, link)
    fsync_path(link.parent)


def published_pdfs(build_dir: Path) -> list[Path]:
    """The PDFs of the live edition."""
    latex = build_dir / "latex"
    return sorted(latex.glob("*.pdf")) if latex.is_dir() else []


def publish(build_dir: Path, site: Path | None, pdfs: list[Path] | None,
            site_pdf_dir: str = "_pdf") -> Path:
    """Make a new edition live; returns its folder.

    ``site``: this build's site (``None``: keep the published one);
    ``pdfs``: this build's PDFs (``None``: keep the published ones).
    """
    editions = build_dir / ".published"
    edition = editions / uuid.uuid4().hex[:12]
    staging = editions / f".{edition.name}.partial"
    staging.mkdir(parents=True)
    try:
        live_site = build_dir / "html"
        source = site if site is not None else (
            live_site if (live_site / "index.html").exists() else None)
        latex = staging / "latex"
        latex.mkdir()
        for pdf in (published_pdfs(build_dir) if pdfs is None else pdfs):
            shutil.copy2(pdf, latex / pdf.name)
        if source is not None:
            shutil.copytree(source.resolve(), staging / "html", symlinks=True)
            folder = staging / "html" / site_pdf_dir
            if folder.exists():
                shutil.rmtree(folder)
            built = sorted(latex.glob("*.pdf"))
            if built:
                folder.mkdir()
                for pdf in built:
                    try:
                        os.link(pdf, folder / pdf.name)
                    except OSError:
                        shutil.copy2(pdf, folder / pdf.name)
        fsync_tree(staging)
        os.replace(staging, edition)
        fsync_path(editions)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _swap_link(build_dir / CURRENT, str(edition.relative_to(build_dir)))
    for name in LINKS:
        _swap_link(build_dir / name, f"{CURRENT}/{name}")
    for old in editions.iterdir():
        if old != edition:
            shutil.rmtree(old, ignore_errors=True)
    return edition
