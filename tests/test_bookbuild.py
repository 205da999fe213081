"""The build pipeline (tools/bookbuild.py) on a tiny test book.

Each test copies ``tests/testbook`` to a temporary directory and builds it
through the same wrapper ``make book`` uses. Whether a page was executed is
observed from outside: every executed page appends a line to a counter file.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TEMPLATE = Path(__file__).resolve().parent / "testbook"
BOOKBUILD = REPO / "tools" / "bookbuild.py"

pytestmark = pytest.mark.slow


class Book:
    """A copy of the test book and a way to build it."""

    def __init__(self, root: Path):
        self.root = root
        self.counter = root / "executions.txt"
        self.counter.touch()

    def build(self, formats: str = "html") -> tuple[int, str, float]:
        env = dict(os.environ, TESTBOOK_COUNTER=str(self.counter))
        started = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, str(BOOKBUILD), "--root", str(self.root),
             "--formats", formats],
            capture_output=True, text=True, env=env, timeout=600)
        elapsed = time.perf_counter() - started
        return proc.returncode, proc.stdout + proc.stderr, elapsed

    def build_ok(self, formats: str = "html") -> tuple[str, float]:
        code, output, elapsed = self.build(formats)
        assert code == 0, output[-4000:]
        return output, elapsed

    def executions(self) -> list[str]:
        return self.counter.read_text().split()

    def html(self, page: str) -> str:
        """The page's text, tags removed (glued values sit in <span>s)."""
        html = (self.root / "_build" / "html" / "book" /
                f"{page}.html").read_text()
        return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))

    def edit(self, relpath: str, old: str, new: str) -> None:
        path = self.root / relpath
        text = path.read_text()
        assert old in text, f"{old!r} not in {relpath}"
        path.write_text(text.replace(old, new))


@pytest.fixture
def book(tmp_path: Path) -> Book:
    root = tmp_path / "testbook"
    shutil.copytree(TEMPLATE, root)
    return Book(root)


def test_first_build_executes_every_page(book: Book) -> None:
    book.build_ok()
    assert sorted(book.executions()) == ["alpha", "beta"]
    assert "The package says 1." in book.html("alpha")
    assert "Glued from the other page: 1." in book.html("beta")


def test_unchanged_rebuild_executes_nothing_and_takes_seconds(
        book: Book) -> None:
    book.build_ok()
    output, elapsed = book.build_ok()
    assert sorted(book.executions()) == ["alpha", "beta"]
    assert "executed 0 page(s), 2 from cache" in output
    assert elapsed < 30, f"unchanged rebuild took {elapsed:.1f} s"


def test_prose_edit_reexecutes_nothing(book: Book) -> None:
    book.build_ok()
    book.edit("book/alpha.md", "PROSE-MARKER", "EDITED-PROSE")
    book.build_ok()
    assert sorted(book.executions()) == ["alpha", "beta"]
    assert "EDITED-PROSE" in book.html("alpha")


def test_package_edit_reexecutes_and_updates_outputs(book: Book) -> None:
    book.build_ok()
    book.edit("src/tinypkg/__init__.py", "VALUE = 1", "VALUE = 2")
    output, _ = book.build_ok()
    assert "src/tinypkg/__init__.py" in output  # the reason is reported
    assert sorted(book.executions()) == ["alpha", "alpha", "beta", "beta"]
    assert "The package says 2." in book.html("alpha")
    # The value glued into the other page is not stale either.
    assert "Glued from the other page: 2." in book.html("beta")


def test_execution_settings_change_reexecutes(book: Book) -> None:
    book.build_ok()
    book.edit("_config.yml", "timeout: 120", "timeout: 121")
    book.build_ok()
    assert sorted(book.executions()) == ["alpha", "alpha", "beta", "beta"]


def test_cell_error_fails_first_and_every_later_build(book: Book) -> None:
    book.edit("book/beta.md", "# Beta\n", "# Beta\n\n```{code-cell} "
              "ipython3\nrows = []\nrows[3]\n```\n")
    for attempt in (1, 2):
        code, output, _ = book.build()
        assert code != 0, f"build {attempt} passed despite a failing cell"
        summary = output[output.index("BUILD FAILED"):]
        # The page, the cell's number among the page's code cells, the error.
        assert "beta.md: code cell 1 raised IndexError" in summary
        assert "rows[3]" in summary  # the failing cell's source
        assert "Traceback" in output  # the traceback, in the terminal


def test_cell_tagged_raises_exception_may_raise(book: Book) -> None:
    book.edit("book/beta.md", "# Beta\n", "# Beta\n\n```{code-cell} "
              "ipython3\n:tags: [raises-exception]\n[][3]\n```\n")
    book.build_ok()


def test_unresolved_reference_fails(book: Book) -> None:
    book.edit("book/beta.md", "{ref}`sec-alpha`", "{ref}`sec-nowhere`")
    code, output, _ = book.build()
    assert code != 0
    assert "sec-nowhere" in output[output.index("BUILD FAILED"):]


def test_missing_glue_key_fails(book: Book) -> None:
    book.edit("book/alpha.md", "{glue:text}`value:d`",
              "{glue:text}`no_such_key`")
    code, output, _ = book.build()
    assert code != 0
    assert "no_such_key" in output[output.index("BUILD FAILED"):]


def test_pdf_is_built_with_the_same_pipeline(book: Book) -> None:
    book.build_ok("html,pdf")
    pdf = book.root / "_build" / "latex" / "testbook.pdf"
    assert pdf.stat().st_size > 1000
    # The LaTeX builder read the executed pages from the cache.
    assert sorted(book.executions()) == ["alpha", "beta"]


def test_pdf_fails_on_a_missing_glyph(book: Book) -> None:
    # U+1F600 is in none of the fonts the PDF uses: the build must say so
    # rather than silently printing nothing.
    book.edit("book/alpha.md", "PROSE-MARKER", "PROSE-MARKER \U0001F600")
    code, output, _ = book.build("html,pdf")
    assert code != 0
    assert "missing glyphs" in output
