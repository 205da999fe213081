"""What the engine promises and no other test checked: the execution
modes, pages left out of execution, limits on a cell, a kernel that dies,
two pages the cache cannot tell apart, ``render`` on stale pages, and a
build that waits for the store another build directory is using."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.slow


def failure_summary(output: str) -> str:
    assert "BUILD FAILED" in output, output[-5000:]
    return output[output.index("BUILD FAILED"):]


def set_execute(book, key: str, value: str) -> None:
    """Set one key of ``execute:`` in the test book's ``_config.yml``."""
    book.edit("_config.yml", "execute:\n", f"execute:\n  {key}: {value}\n")


# --------------------------------------------------------------------------
# Modes
# --------------------------------------------------------------------------


@pytest.mark.built
def test_force_mode_executes_every_page_on_every_build(book) -> None:
    book.edit("_config.yml", "execute_notebooks: cache",
              "execute_notebooks: force")
    for builds in (2, 3):
        output, _ = book.build_ok()
        assert "book/alpha.md: stale: execute_notebooks is force" in output
        assert book.executions() == sorted(["alpha", "beta", "gamma"]
                                           * builds)


def test_off_mode_executes_nothing(book) -> None:
    """``off`` (as Jupyter Book): no page executes, even one never
    executed; pages show their code without outputs. (Unquoted, YAML reads
    ``off`` as false.)"""
    book.edit("_config.yml", "execute_notebooks: cache",
              "execute_notebooks: off")
    # Without outputs there is nothing to glue.
    book.edit("book/alpha.md", "{glue:text}`value:d`", "VALUE")
    book.edit("book/beta.md", "{glue:text}`alpha.md::value:d`", "VALUE")
    output, _ = book.build_ok()
    assert book.executions() == []
    assert "stale" not in output
    gamma = book.html("gamma")
    assert "import otherpkg" in gamma and "other unset" not in gamma


def test_excluded_pages_are_never_executed(book) -> None:
    set_execute(book, "exclude_patterns", "['book/gamma.md']")
    output, _ = book.build_ok()
    assert book.executions() == ["alpha", "beta"]
    assert "book/gamma.md" not in output
    code, status, _ = book.run("status")
    assert code == 0 and "book/gamma.md" not in status
    assert "2 executed page(s): 2 fresh, 0 stale" in status
    gamma = book.html("gamma")
    assert "import otherpkg" in gamma       # the code is shown ...
    assert "other unset" not in gamma       # ... without its output


# --------------------------------------------------------------------------
# Limits and faults of a page
# --------------------------------------------------------------------------


def test_a_cell_over_its_time_limit_fails_the_build(book) -> None:
    # The page's own limit (front matter), far below the book's 120 s.
    book.edit("book/alpha.md", "language: python\n---\n",
              "language: python\nexecution:\n  timeout: 3\n---\n")
    book.edit("book/alpha.md", "The package says",
              "```{code-cell} ipython3\nimport time\ntime.sleep(300)\n"
              "```\n\nThe package says")
    code, output, elapsed = book.build()
    assert code != 0
    summary = failure_summary(output)
    assert "book/alpha.md: code cell 2" in summary, summary
    assert "time.sleep(300)" in summary and "timed out" in summary
    assert elapsed < 200, f"the build took {elapsed:.0f} s"
    assert not (book.root / "_build/.engine/records/book/alpha.json").exists()


def test_a_kernel_that_dies_fails_the_build_and_names_the_cell(book) -> None:
    book.edit("book/beta.md", "# Beta\n",
              "# Beta\n\n```{code-cell} ipython3\nimport os\nos._exit(3)\n"
              "```\n")
    code, output, _ = book.build()
    assert code != 0
    summary = failure_summary(output)
    assert "book/beta.md: code cell 1" in summary, summary
    assert "os._exit(3)" in summary and "DeadKernelError" in summary
    # The other pages executed and were stored; the next build retries
    # only the failed one.
    book.edit("book/beta.md", "os._exit(3)", "pass")
    output, _ = book.build_ok()
    assert "book/alpha.md: stale" not in output
    assert book.executions() == ["alpha", "beta", "gamma"]


def test_pages_with_identical_code_cells_are_refused(book) -> None:
    """jupyter-cache files outputs under the hash of the code cells: two
    pages with the same code would share (and overwrite) one entry."""
    twin = book.root / "book/twin.md"
    twin.write_text((book.root / "book/alpha.md").read_text().replace(
        "(sec-alpha)=\n# Alpha", "# Twin").replace("PROSE-MARKER", ""))
    book.edit("_toc.yml", "  - file: book/prose\n",
              "  - file: book/prose\n  - file: book/twin\n")
    code, output, _ = book.build()
    assert code != 0
    summary = failure_summary(output)
    assert "book/twin.md and book/alpha.md have identical code cells" \
        in summary, summary
    assert book.executions() == []
    # A comment is enough to tell them apart.
    book.edit("book/twin.md", "import os\n", "import os  # the twin\n")
    book.build_ok()
    assert book.executions() == ["alpha", "alpha", "beta", "gamma"]


# --------------------------------------------------------------------------
# Render, and two build directories
# --------------------------------------------------------------------------


@pytest.mark.built
def test_render_refuses_stale_pages(book) -> None:
    book.edit("src/tinypkg/__init__.py", "VALUE = 1", "VALUE = 2")
    code, output, _ = book.run("render", "--formats", "html")
    assert code != 0
    summary = failure_summary(output)
    assert "these pages are stale" in summary and "book/alpha.md" in summary
    assert "book/beta.md" not in summary
    assert book.executions() == ["alpha", "beta", "gamma"]
    assert "The package says 1." in book.html("alpha")  # still published


@pytest.mark.built
def test_render_of_fresh_pages_executes_nothing(book) -> None:
    book.edit("book/alpha.md", "PROSE-MARKER", "EDITED-PROSE")
    code, output, _ = book.run("render", "--formats", "html")
    assert code == 0, output[-5000:]
    assert book.executions() == ["alpha", "beta", "gamma"]
    assert "EDITED-PROSE" in book.html("alpha")


def test_a_build_waits_for_the_store_another_build_directory_uses(
        book, gate, spawn) -> None:
    """Two build directories of one checkout share its executed pages:
    the second waits while the first executes, then executes nothing."""
    first = spawn(book, "build", "--formats", "html", env=gate.env)
    try:
        gate.wait_started(1)          # the first holds the store
        other = spawn(book, "--build-dir", "_build/other", "build",
                      "--formats", "html", env=gate.env)
        other.wait_for("waiting for another build that is using")
        assert "another build is running" not in "".join(other.lines)
    finally:
        gate.release()
    code, output = first.finish()
    assert code == 0, output[-5000:]
    code, output = other.finish()
    assert code == 0, output[-5000:]
    assert "all 3 executed page(s) are fresh" in output
    assert book.executions() == ["alpha", "beta", "gamma"]
    other_site = book.root / "_build/other/html/book/alpha.html"
    assert "The package says 1." in re.sub(r"<[^>]+>", "",
                                            other_site.read_text())


@pytest.mark.built
def test_render_check_says_whether_the_published_build_is_current(
        book) -> None:
    """``render --check`` (the site tests' question): renders nothing."""
    def check(formats: str) -> int:
        code, output, _ = book.run("render", "--formats", formats,
                                   "--check")
        assert "rendering" not in output
        return code

    assert check("html") == 0
    assert check("html,pdf") == 1          # no PDF was ever built
    book.edit("book/alpha.md", "PROSE-MARKER", "EDITED-PROSE")
    assert check("html") == 1              # a source changed
    book.build_ok()
    assert check("html") == 0
    book.edit("src/tinypkg/__init__.py", "VALUE = 1", "VALUE = 2")
    assert check("html") == 1              # a page is stale
    assert book.executions() == ["alpha", "beta", "gamma"]
