"""The PDFs as they would be printed: the whole book and each chapter PDF
(front matter, chapter 1, chapter 2), each with every title of its pages,
resolved references, links that land, embedded fonts and all its figures;
a chapter PDF opens with its own title page and is linked from its pages
on the website. (Pages to look at, as PNG: ``tools/pdf_pages.py``.)
"""

from __future__ import annotations

import json
import re
import subprocess
import unicodedata
import urllib.parse
import urllib.request

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


def titles(book, pages) -> list[tuple[str, str]]:
    """(page, title) for every ``#`` and ``##`` heading of ``pages``."""
    found = []
    for page in pages:
        for line in book.markdown_lines(book.source_of(page).read_text()):
            match = re.match(r"(#{1,2}) +(.+?)\s*#*\s*$", line)
            if match:
                found.append((page, plain_title(match.group(2))))
    return found


@pytest.fixture(scope="module")
def document_text(document) -> str:
    return run("pdftotext", "-enc", "UTF-8", str(document.path), "-")


def test_every_chapter_and_section_title_is_printed(book, document,
                                                    document_text):
    printed = squash(document_text)
    heads = titles(book, document.pages)
    assert heads, "no headings found in the sources"
    missing = [f"{page}: {title}" for page, title in heads
               if squash(title) not in printed]
    assert not missing, f"titles not in {document.pdf}:\n" + "\n".join(
        missing)


def test_no_unresolved_references(document, document_text):
    lines = [line for line in document_text.splitlines() if "??" in line]
    assert not lines, f"unresolved references (??) in {document.pdf}:\n" \
        + "\n".join(lines[:20])


def test_numbered_references_read_as_on_the_website(book, document,
                                                     document_text):
    """"Fig. 2.14", "Section 2.4", "Listing 2.6": every numbered reference
    on the document's pages is printed as the website prints it, whether
    its target is in the PDF (a link) or not (text)."""
    printed = squash(document_text)
    missing = []
    for page_name in document.pages:
        html = (book.html / f"{page_name}.html").read_text()
        article = html.split('<article class="bd-article"', 1)[1]
        for text in set(re.findall(
                r'<span class="std std-numref">([^<]+)</span>', article)):
            if squash(text) not in printed:
                missing.append(f"{page_name}: {text}")
    assert "%s" not in document_text
    assert not missing, (f"{document.pdf} prints these references "
                         "differently:\n" + "\n".join(sorted(missing)))


def test_every_font_is_embedded(document):
    rows = run("pdffonts", str(document.path)).splitlines()[2:]
    assert rows, "pdffonts lists no font"
    # name type... emb sub uni object-number generation
    not_embedded = [row for row in rows if row.split()[-5] != "yes"]
    assert not not_embedded, f"fonts not embedded in {document.pdf}:\n" \
        + "\n".join(not_embedded)


def test_every_internal_link_lands(document):
    """Each link inside the PDF goes to a destination the PDF has."""
    from pypdf import PdfReader

    reader = PdfReader(str(document.path))
    named = set(reader.named_destinations)
    links, broken = 0, []
    for number, page in enumerate(reader.pages, 1):
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            if annot.get("/Subtype") != "/Link":
                continue
            action = annot.get("/A")
            action = action.get_object() if action is not None else {}
            target = annot.get("/Dest") or (
                action.get("/D") if action.get("/S") == "/GoTo" else None)
            if target is None:
                continue
            links += 1
            if isinstance(target, str) and target not in named:
                broken.append(f"page {number}: {target}")
    assert links, f"{document.pdf} has no internal link"
    assert not broken, f"{document.pdf}: links to missing destinations:\n" \
        + "\n".join(broken[:20])


def images_by_page(pdf) -> list[int]:
    """The page of each image drawn in the PDF (alpha masks excluded)."""
    rows = run("pdfimages", "-list", str(pdf)).splitlines()[2:]
    return [int(row.split()[0]) for row in rows if row.split()[2] == "image"]


def solution_images(book, pages) -> int:
    """Images that worked solutions of ``pages`` show as plain cell outputs
    (an answer's picture, not a numbered figure), read from the executed
    notebooks."""
    count = 0
    executed = book.build / "render" / "jupyter_execute"
    for page in pages:
        path = executed / f"{page}.ipynb"
        if not path.is_file():
            continue
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


def test_every_figure_is_in_the_pdf(book, document):
    figures = sum(len(FIGURE.findall(book.source_of(p).read_text()))
                  for p in document.pages)
    answers = solution_images(book, document.pages)
    pages = images_by_page(document.path)
    assert len(pages) == figures + answers, (
        f"{len(pages)} images in {document.pdf} (on pages {pages}), but "
        f"its sources have {figures} figure directives and their solutions "
        f"show {answers} images; a cell that also displays its figure (e.g. "
        "a last line that returns the Figure) prints it twice")


def chapter_title(book, document) -> str:
    """What a chapter PDF's title page names: its title, or "Chapter N: "
    and the first page's title (N from the HTML's section number)."""
    if document.title:
        return document.title
    first = document.pages[0]
    html = (book.html / f"{first}.html").read_text()
    article = html.split('<article class="bd-article"', 1)[1]
    heading = re.search(r"<h1>(.*?)<a class=\"headerlink", article, re.S)
    text = re.sub(r"<[^>]+>", "", heading.group(1)).strip()
    number = re.match(r"(\d+)\.\s+(.*)", text)
    return f"Chapter {number.group(1)}: {number.group(2)}" if number \
        else text


def test_each_pdf_has_its_own_title_page(book, document, document_text):
    """The book's title page names the book; a chapter PDF's names the
    book and the chapter."""
    first_page = squash(document_text.split("\f")[0])
    config_title = book.root.joinpath("_config.yml").read_text()
    book_title = re.search(r'^title: "?([^"\n]+)"?', config_title,
                           re.M).group(1)
    assert squash(book_title) in first_page, first_page
    title = chapter_title(book, document) if document.chapter else \
        book_title
    assert squash(title) in first_page, (title, first_page)
    if not document.chapter:
        assert "chapter" not in first_page, first_page
    pages = int(re.search(r"Pages:\s+(\d+)", run(
        "pdfinfo", str(document.path))).group(1))
    print(f"{document.pdf}: {pages} pages, title page: {book_title} / "
          f"{title}")


def test_chapter_pages_link_their_pdf(site, book, document):
    """Every page of a chapter PDF links it ("Download this chapter as
    PDF"), every page links the whole book, and the links serve them."""
    from pypdf import PdfReader

    wanted = "Download this chapter as PDF" if document.chapter else \
        "Download the book as PDF"
    served = None
    for page_name in document.pages:
        if page_name == "book/bibliography" and document.chapter:
            continue  # appended to chapters that cite; not its own chapter
        html = (book.html / f"{page_name}.html").read_text()
        links = [(href, re.sub(r"<[^>]+>", "", inner).strip())
                 for href, inner in re.findall(
                     r'<a href="([^"]+\.pdf)"(.*?)</a>', html, re.S)]
        hrefs = [href for href, text in links if text.endswith(wanted)]
        assert hrefs, f"{page_name}: no '{wanted}' link ({links})"
        assert hrefs[0].endswith("/" + document.pdf), (page_name, hrefs)
        url = urllib.parse.urljoin(
            urllib.parse.urljoin(site, page_name + ".html"), hrefs[0])
        if served is None:
            with urllib.request.urlopen(url) as response:
                served = response.read()
    assert served is not None and served.startswith(b"%PDF"), url
    assert served == document.path.read_bytes(), (
        f"{url} is not the PDF the build published")
    metadata = PdfReader(document.path).metadata
    assert metadata.title, metadata
