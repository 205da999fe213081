#!/usr/bin/env python3
"""Render PDF pages to PNG for a person to look at (not a test: nothing in
a picture is checked).

Writes ``_build/pdf-pages/``: the book's first four pages and its first
page with both a figure and a listing (80 dpi), and the title page,
contents and first page of every other PDF in ``<build>/latex``
(``chapters/``, 60 dpi). Needs poppler-utils (``make browser``).

Usage: ``python tools/pdf_pages.py [BUILD_DIR]`` (default ``_build``).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def run(*command: str) -> str:
    return subprocess.run(command, check=True, capture_output=True,
                          text=True).stdout


def pages_with_images(pdf: Path) -> list[int]:
    rows = run("pdfimages", "-list", str(pdf)).splitlines()[2:]
    return [int(row.split()[0]) for row in rows if row.split()[2] == "image"]


def main(build: Path) -> None:
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    target = config["latex"]["latex_documents"]["targetname"]
    latex = build / "latex"
    book = latex / (Path(target).stem + ".pdf")
    out = ROOT / "_build" / "pdf-pages"
    (out / "chapters").mkdir(parents=True, exist_ok=True)
    for old in out.rglob("*.png"):
        old.unlink()
    run("pdftoppm", "-r", "80", "-png", "-f", "1", "-l", "4", str(book),
        str(out / "first"))
    text = run("pdftotext", "-enc", "UTF-8", str(book), "-").split("\f")
    listing = {i + 1 for i, page in enumerate(text)
               if re.search(r"Listing \d", page)}
    images = set(pages_with_images(book))
    chosen = sorted(images & listing) or sorted(images)
    if chosen:
        page = str(chosen[0])
        run("pdftoppm", "-r", "80", "-png", "-f", page, "-l", page,
            str(book), str(out / "figure-and-listing"))
    for pdf in sorted(latex.glob("*.pdf")):
        if pdf != book:
            run("pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "3",
                str(pdf), str(out / "chapters" / pdf.stem))
    print(f"{len(list(out.rglob('*.png')))} pages as PNG in {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "_build")
