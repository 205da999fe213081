"""The PDF as it would be printed: every title, resolved references,
embedded fonts, all the figures. Pages to look at are rendered to
``_build/pdf-pages/`` (80 dpi PNG).
"""

from __future__ import annotations

import json
import re
import subprocess
import unicodedata

import pytest

#: Figures in the sources: glued figures, plain figures, Markdown images.
FIGURE = re.compile(r"^\s*(`{3,}|:{3,})\{(?:glue:figure|figure)\}"
                    r"|!\[[^\]]*\]\([^)]+\)", re.M)


def run(*command: str) -> str:
    return subprocess.run(command, check=True, capture_output=True,
                          text=True).stdout


def squash(text: str) -> str:
    """Lower case letters and digits only: survives line breaks,
    hyphenation, ligatures, upper-cased chapter heads and punctuation."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"[^0-9a-z]+", "", text)


def plain_title(heading: str) -> str:
    """A MyST heading as it is printed: no roles, markup or labels."""
    heading = re.sub(r"\{[\w:-]+\}`([^`<]*?)(?:\s*<[^>]*>)?`", r"\1",
                     heading)  # {role}`text <target>` -> text
    heading = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # links
    return heading.replace("`", "").replace("*", "")


def titles(book) -> list[tuple[str, str]]:
    """(page, title) for every ``#`` and ``##`` heading of the TOC pages."""
    found = []
    for page in book.pages:
        for line in book.markdown_lines(book.source_of(page).read_text()):
            match = re.match(r"(#{1,2}) +(.+?)\s*#*\s*$", line)
            if match:
                found.append((page, plain_title(match.group(2))))
    return found


@pytest.fixture(scope="module")
def pdf_text(pdf) -> str:
    return run("pdftotext", "-enc", "UTF-8", str(pdf), "-")


def test_every_chapter_and_section_title_is_printed(book, pdf_text):
    printed = squash(pdf_text)
    heads = titles(book)
    assert heads, "no headings found in the sources"
    missing = [f"{page}: {title}" for page, title in heads
               if squash(title) not in printed]
    assert not missing, "titles not in the PDF:\n" + "\n".join(missing)


def test_no_unresolved_references(pdf_text):
    lines = [line for line in pdf_text.splitlines() if "??" in line]
    assert not lines, "unresolved references (??):\n" + "\n".join(lines[:20])


def test_every_font_is_embedded(pdf):
    rows = run("pdffonts", str(pdf)).splitlines()[2:]
    assert rows, "pdffonts lists no font"
    # name type... emb sub uni object-number generation
    not_embedded = [row for row in rows if row.split()[-5] != "yes"]
    assert not not_embedded, "fonts not embedded:\n" + "\n".join(
        not_embedded)


def images_by_page(pdf) -> list[int]:
    """The page of each image drawn in the PDF (alpha masks excluded)."""
    rows = run("pdfimages", "-list", str(pdf)).splitlines()[2:]
    return [int(row.split()[0]) for row in rows if row.split()[2] == "image"]


def solution_images(book) -> int:
    """Images that worked solutions show as plain cell outputs (an answer's
    picture, not a numbered figure), read from the executed notebooks."""
    count = 0
    executed = book.build / "render" / "jupyter_execute"
    for path in sorted(executed.rglob("*.ipynb")):
        inside = False
        for cell in json.loads(path.read_text())["cells"]:
            source = "".join(cell["source"])
            if cell["cell_type"] == "markdown":
                inside = ("{solution-start}" in source or inside) and \
                    "{solution-end}" not in source.split(
                        "{solution-start}")[-1]
            elif inside:
                count += sum(1 for out in cell.get("outputs", [])
                             if "image/png" in out.get("data", {})
                             and "scrapbook" not in out.get("metadata", {}))
    return count


def test_every_figure_is_in_the_pdf(book, pdf):
    figures = sum(len(FIGURE.findall(book.source_of(p).read_text()))
                  for p in book.pages)
    answers = solution_images(book)
    pages = images_by_page(pdf)
    assert len(pages) == figures + answers, (
        f"{len(pages)} images in the PDF (on pages {pages}), but the "
        f"sources have {figures} figure directives and the solutions show "
        f"{answers} images; a cell that also displays its figure (e.g. a "
        "last line that returns the Figure) prints it twice")


def test_render_pages_for_review(book, pdf, pdf_text):
    """First pages, and a page with a figure and a listing, as PNG."""
    out = book.pdf_pages
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.png"):
        old.unlink()
    run("pdftoppm", "-r", "80", "-png", "-f", "1", "-l", "4", str(pdf),
        str(out / "first"))
    pages_text = pdf_text.split("\f")
    with_listing = {i + 1 for i, text in enumerate(pages_text)
                    if re.search(r"Listing \d", text)}
    with_image = set(images_by_page(pdf))
    chosen = sorted(with_image & with_listing) or sorted(with_image)
    assert chosen, "no page with a figure"
    page = str(chosen[0])
    run("pdftoppm", "-r", "80", "-png", "-f", page, "-l", page, str(pdf),
        str(out / "figure-and-listing"))
    rendered = sorted(p.name for p in out.glob("*.png"))
    assert len(rendered) >= 2, rendered
