"""Pages that leave the book, and publication: a removed or renamed page
never breaks a build, and nothing goes live until every requested format
was built."""

from __future__ import annotations

import filecmp

import pytest
from pypdf import PdfReader

pytestmark = pytest.mark.slow


def _remove_from_toc(book, page: str) -> None:
    toc = book.root / "_toc.yml"
    lines = toc.read_text().splitlines(keepends=True)
    toc.write_text("".join(line for line in lines
                           if f"book/{page}\n" not in line))


def test_removed_page_is_dropped_not_rendered(book) -> None:
    book.build_ok()
    _remove_from_toc(book, "gamma")
    (book.root / "book/gamma.md").unlink()
    code, status, _ = book.run("status")
    assert code == 0
    assert ("book/gamma.md  no longer a page of the book: its stored outputs "
            "are dropped by the next build") in status
    for attempt in (1, 2):
        output, _ = book.build_ok()
        if attempt == 1:
            assert ("book/gamma.md: no longer an executed page of the book; "
                    "its stored outputs were dropped") in output
    assert not (book.root / "_build/.engine/records/book/gamma.json").exists()
    record = (book.root / "_build/html/book/record.html").read_text()
    assert "alpha.html" in record and "gamma.html" not in record
    assert book.executions() == ["alpha", "beta", "gamma"]


def test_renamed_page(book) -> None:
    book.build_ok()
    (book.root / "book/gamma.md").rename(book.root / "book/delta.md")
    toc = book.root / "_toc.yml"
    toc.write_text(toc.read_text().replace("book/gamma", "book/delta"))
    output, _ = book.build_ok()
    assert "book/gamma.md: no longer an executed page" in output
    assert "book/delta.md: stale: it has no stored outputs yet" in output
    assert "other" in book.html("delta")
    record = (book.root / "_build/html/book/record.html").read_text()
    assert "delta.html" in record and "gamma.html" not in record
    # The renamed page's outputs survive the next build (its cache entry
    # is not the dropped page's).
    output, _ = book.build_ok()
    assert "execute: all 3 executed page(s) are fresh" in output
    assert (book.root / "_build/.engine/records/book/delta.json").exists()


def test_latex_failure_after_good_html_publishes_nothing(book) -> None:
    book.build_ok("html,pdf")
    site = (book.root / "_build/html").resolve()
    pdf = book.root / "_build/latex/testbook.pdf"
    old_pdf = pdf.read_bytes()
    site_pdf = book.root / "_build/html/_pdf/testbook.pdf"
    assert filecmp.cmp(site_pdf, pdf, shallow=False)

    # New prose the HTML builder renders well, and LaTeX that fails.
    book.edit("book/alpha.md", "PROSE-MARKER",
              "NEW-PROSE\n\n```{raw} latex\n\\nosuchcommand\n```\n")
    code, output, _ = book.build("html,pdf")
    assert code != 0, output
    assert "latexmk failed" in output
    assert "nothing was published" in output
    assert (book.root / "_build/html").resolve() == site
    assert "NEW-PROSE" not in book.html("alpha")
    assert pdf.read_bytes() == old_pdf

    # Fixed: both go live together, the site's PDF is the new one.
    book.edit("book/alpha.md", "\\nosuchcommand", "\\relax")
    book.build_ok("html,pdf")
    assert "NEW-PROSE" in book.html("alpha")
    text = "".join(p.extract_text() for p in PdfReader(pdf).pages)
    assert "NEW-PROSE" in text
    assert filecmp.cmp(book.root / "_build/html/_pdf/testbook.pdf", pdf,
                       shallow=False)

    # An HTML-only build keeps the published PDFs in the new site.
    book.edit("book/alpha.md", "NEW-PROSE", "NEWER-PROSE")
    book.build_ok("html")
    assert "NEWER-PROSE" in book.html("alpha")
    assert filecmp.cmp(book.root / "_build/html/_pdf/testbook.pdf", pdf,
                       shallow=False)


def test_misspelt_sphinx_option_fails(book) -> None:
    """Sphinx warns about an unknown option before ``config-inited``."""
    book.edit("_config.yml", "nb_merge_streams: true",
              "nb_merge_streams: true\n    nb_merge_stream: true")
    code, output, _ = book.build()
    assert code != 0, output
    summary = output[output.index("BUILD FAILED"):]
    assert "unknown config value 'nb_merge_stream'" in summary
    assert not (book.root / "_build/html/index.html").exists()
