"""The whole engine on the test book: what executes, what renders, what
fails, and what survives faults. Each test starts from a fresh copy."""

from __future__ import annotations

import os
import re
import shutil
import signal
import sqlite3
import subprocess

import pytest

pytestmark = pytest.mark.slow


# --------------------------------------------------------------------------
# What executes
# --------------------------------------------------------------------------


@pytest.mark.built
def test_first_build_executes_every_page(book) -> None:
    assert book.executions() == ["alpha", "beta", "gamma"]
    assert "The package says 1." in book.html("alpha")
    assert "Glued from the other page: 1." in book.html("beta")
    assert "hello from the data file" in book.html("beta")


def test_unchanged_rebuild_executes_nothing_and_starts_no_sphinx(book) -> None:
    """Observed, not timed (``make bench-build`` times it): every Sphinx
    run rewrites its log, and this build leaves the logs untouched."""
    book.build_ok("html,pdf")
    logs = sorted((book.root / "_build/render").glob("*-build.log"))
    assert [p.name for p in logs] == ["html-build.log", "pdf-build.log"]
    before = [p.stat().st_mtime_ns for p in logs]
    output, _ = book.build_ok("html,pdf")
    assert book.executions() == ["alpha", "beta", "gamma"]
    assert "html: up to date" in output and "pdf: up to date" in output
    assert "rendering" not in output
    assert [p.stat().st_mtime_ns for p in logs] == before


@pytest.mark.built
def test_prose_edit_reexecutes_nothing(book) -> None:
    book.edit("book/alpha.md", "PROSE-MARKER", "EDITED-PROSE")
    output, _ = book.build_ok()
    assert book.executions() == ["alpha", "beta", "gamma"]
    assert "EDITED-PROSE" in book.html("alpha")
    assert "html: rendered" in output


@pytest.mark.built
def test_module_edit_reexecutes_only_the_pages_that_imported_it(book) -> None:
    book.edit("src/tinypkg/__init__.py", "VALUE = 1", "VALUE = 2")
    code, status, _ = book.run("status")
    assert code == 0
    assert "book/alpha.md  stale: src/tinypkg/__init__.py changed" in status
    assert "book/beta.md   fresh" in status
    output, _ = book.build_ok()
    assert "book/alpha.md: stale: src/tinypkg/__init__.py changed" in output
    assert book.executions() == ["alpha", "alpha", "beta", "gamma"]
    assert "The package says 2." in book.html("alpha")
    # Beta did not execute, yet the value it glues from alpha is current.
    assert "Glued from the other page: 2." in book.html("beta")

    book.edit("src/otherpkg/__init__.py", '"other"', '"renamed"')
    book.build_ok()
    assert book.executions() == ["alpha", "alpha", "beta", "gamma", "gamma"]
    assert "renamed" in book.html("gamma")


@pytest.mark.built
def test_data_file_edit_reexecutes_only_the_page_that_read_it(book) -> None:
    (book.root / "book/data/greeting.txt").write_text("new greeting\n")
    output, _ = book.build_ok()
    assert "book/beta.md: stale: book/data/greeting.txt changed" in output
    assert book.executions() == ["alpha", "beta", "beta", "gamma"]
    assert "new greeting" in book.html("beta")


def test_a_listed_folder_gaining_a_file_reexecutes_the_page(book) -> None:
    book.edit("book/gamma.md", "import otherpkg\n",
              "import otherpkg\nprint(sorted(os.listdir('data')))\n")
    book.build_ok()
    (book.root / "book/data/second.txt").write_text("another\n")
    output, _ = book.build_ok()
    assert "book/gamma.md: stale: book/data/ changed" in output
    assert "second.txt" in book.html("gamma")
    assert book.executions() == ["alpha", "beta", "gamma", "gamma"]


@pytest.mark.built
def test_environment_change_reexecutes_what_ran_in_it(book) -> None:
    output, _ = book.build_ok(env={"XLA_FLAGS": "--xla_dump_to=/dev/null"})
    assert "environment variable XLA_FLAGS: (none) -> " in output
    assert book.executions() == ["alpha", "alpha", "beta", "beta", "gamma",
                                 "gamma"]


def test_kernel_config_file_is_an_input(book) -> None:
    """A config file that a library the page imports looks for (Matplotlib
    reads ``matplotlibrc`` from the working directory when imported; the
    page never opens it) re-executes the page when it appears: the site
    shows the setting it holds."""
    book.edit("book/alpha.md", "import tinypkg\n",
              "import tinypkg\nimport matplotlib\n"
              "print('line width', matplotlib.rcParams['lines.linewidth'])\n")
    book.build_ok()
    assert "line width 1.5" in book.html("alpha")  # Matplotlib's default
    (book.root / "book" / "matplotlibrc").write_text("lines.linewidth: 3\n")
    book.build_ok()
    assert book.executions() == ["alpha", "alpha", "beta", "gamma"]
    assert "line width 3.0" in book.html("alpha")


@pytest.mark.built
def test_execution_settings_change_reexecutes(book) -> None:
    book.edit("_config.yml", "allow_errors: false", "allow_errors: true")
    output, _ = book.build_ok()
    assert "execution settings changed (allow_errors)" in output
    assert book.executions() == ["alpha", "alpha", "beta", "beta", "gamma",
                                 "gamma"]


def test_parallel_execution_overlaps_pages(book, gate, spawn) -> None:
    """With ``--jobs 3`` the three pages execute at once: each is held at
    the gate until all three have started (one at a time, the first would
    wait for ever and the gate would time out)."""
    proc = spawn(book, "build", "--formats", "html", "--jobs", "3",
                 env=gate.env)
    try:
        assert gate.wait_started(3, timeout=180) == ["alpha", "beta",
                                                      "gamma"]
    finally:
        gate.release()
    code, output = proc.finish()
    assert code == 0, output[-5000:]
    assert book.executions() == ["alpha", "beta", "gamma"]


# --------------------------------------------------------------------------
# What fails, and keeps failing until it is fixed
# --------------------------------------------------------------------------


@pytest.mark.built
def test_cell_error_fails_every_build_and_keeps_the_last_good_site(
        book) -> None:
    good = (book.root / "_build/html").resolve()
    book.edit("book/beta.md", "# Beta\n",
              "# Beta\n\n```{code-cell} ipython3\nrows = []\nrows[3]\n```\n")
    for attempt in (1, 2):
        code, output, _ = book.build()
        assert code != 0, f"build {attempt} passed despite a failing cell"
        summary = output[output.index("BUILD FAILED"):]
        assert ("book/beta.md: code cell 1 raised IndexError: list index "
                "out of range") in summary
        assert "rows[3]" in summary  # the failing cell's source
        assert "Traceback" in summary
        assert (book.root / "_build/html").resolve() == good
        assert "rows[3]" not in book.html("beta")
    book.edit("book/beta.md", "rows[3]", "rows")
    book.build_ok()


def test_cell_tagged_raises_exception_may_raise(book) -> None:
    book.edit("book/beta.md", "# Beta\n", "# Beta\n\n```{code-cell} "
              "ipython3\n:tags: [raises-exception]\n[][3]\n```\n")
    book.build_ok()


@pytest.mark.built
def test_unresolved_reference_fails_every_build_until_fixed(book) -> None:
    book.edit("book/beta.md", "{ref}`sec-alpha`", "{ref}`sec-nowhere`")
    for _ in range(2):
        code, output, _ = book.build()
        assert code != 0
        summary = output[output.index("BUILD FAILED"):]
        assert "book/beta.md:" in summary and "sec-nowhere" in summary
    book.edit("book/beta.md", "{ref}`sec-nowhere`", "{ref}`sec-alpha`")
    book.build_ok()


def test_missing_glue_key_fails(book) -> None:
    book.edit("book/alpha.md", "{glue:text}`value:d`",
              "{glue:text}`no_such_key`")
    code, output, _ = book.build()
    assert code != 0
    assert "no_such_key" in output[output.index("BUILD FAILED"):]


@pytest.mark.built
def test_renamed_label_fails_in_the_unchanged_page_that_uses_it(book) -> None:
    """Only alpha changes, but beta's reference to it must be checked."""
    book.edit("book/alpha.md", "(sec-alpha)=", "(sec-first)=")
    code, output, _ = book.build()
    assert code != 0
    assert "book/beta.md" in output[output.index("BUILD FAILED"):]


def test_pdf_from_the_named_tex_in_a_clean_folder(book) -> None:
    book.build_ok("html,pdf")
    stale = book.root / "_build/render/latex/aaa-stale.tex"
    stale.write_text("\\documentclass{article}\\begin{document}stale"
                     "\\end{document}")
    book.edit("book/alpha.md", "PROSE-MARKER", "PDF-EDIT")
    book.build_ok("html,pdf")
    assert not stale.exists()
    pdf = book.root / "_build/latex/testbook.pdf"
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "PDF-EDIT" in text and "Glued from the other page: 1." in text
    assert book.executions() == ["alpha", "beta", "gamma"]


def test_pdf_fails_on_a_missing_glyph(book) -> None:
    # U+1F600 is in none of the fonts the PDF uses.
    book.edit("book/alpha.md", "PROSE-MARKER", "PROSE-MARKER \U0001F600")
    code, output, _ = book.build("html,pdf")
    assert code != 0
    assert "missing glyphs" in output


# --------------------------------------------------------------------------
# Faults and load
# --------------------------------------------------------------------------


def test_a_second_build_waits_for_the_first(book, gate, spawn) -> None:
    """The second build starts while the first is executing a page (held
    at the gate), says it waits, and then finds every page fresh."""
    first = spawn(book, "build", "--formats", "html", env=gate.env)
    try:
        gate.wait_started(1)          # the first build holds the lock
        second = spawn(book, "build", "--formats", "html", env=gate.env)
        second.wait_for("another build is running")
    finally:
        gate.release()
    code, output = first.finish()
    assert code == 0, output[-5000:]
    code, output = second.finish()
    assert code == 0, output[-5000:]
    assert "all 3 executed page(s) are fresh" in output
    assert book.executions() == ["alpha", "beta", "gamma"]


def test_kill_during_execution_leaves_a_buildable_state(book, gate) -> None:
    """Killed (SIGKILL) when one page is stored and the next is executing:
    the next build executes exactly the pages that were not stored, and
    the site it publishes is whole."""
    records = book.root / "_build/.engine/records/book"
    proc = subprocess.Popen(book.command("build", "--jobs", "1"),
                            env={**book.env, **gate.env},
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        (first,) = gate.wait_started(1)
        gate.release(first)
        gate.wait(lambda: (records / f"{first}.json").exists(),
                  f"{first} to be stored")
        (second,) = set(gate.wait_started(2)) - {first}
        assert not (records / f"{second}.json").exists()
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        gate.release()  # an orphaned kernel finishes its cell and exits
    assert sorted(p.stem for p in records.glob("*.json")) == [first]
    output, _ = book.build_ok()
    assert f"book/{first}.md: stale" not in output
    assert f"book/{second}.md: stale: it has no stored outputs yet" in output
    assert book.executions() == sorted(["alpha", "beta", "gamma", second])
    assert "The package says 1." in book.html("alpha")
    assert "Glued from the other page: 1." in book.html("beta")


@pytest.mark.built
def test_damaged_cache_database_is_discarded_and_rebuilt(book) -> None:
    db = book.root / "_build/.engine/jupyter_cache/global.db"
    db.write_bytes(b"this is not a database" * 100)
    output, _ = book.build_ok()
    assert "is damaged" in output and "discarding it" in output
    assert book.executions() == ["alpha", "alpha", "beta", "beta", "gamma",
                                 "gamma"]


@pytest.mark.built
def test_cache_entry_without_its_notebook_reexecutes_the_page(book) -> None:
    """jupyter-cache writes its database row before the notebook file; an
    interruption between the two must not break later builds."""
    record = book.record("beta")
    notebook = (book.root / "_build/.engine/jupyter_cache/executed"
                / record["cache"]["hashkey"] / "base.ipynb")
    notebook.unlink()
    output, _ = book.build_ok()
    assert "book/beta.md: its stored outputs are missing" in output
    assert book.executions() == ["alpha", "beta", "beta", "gamma"]


@pytest.mark.built
def test_orphan_cache_rows_are_removed(book) -> None:
    db = book.root / "_build/.engine/jupyter_cache/global.db"
    with sqlite3.connect(db) as con:
        con.execute("INSERT INTO nbcache (hashkey, uri, description, data, "
                    "created, accessed) VALUES ('0ff', 'x', '', '{}', "
                    "'2026-01-01', '2026-01-01')")
    book.build_ok()
    with sqlite3.connect(db) as con:
        keys = [k for (k,) in con.execute("SELECT hashkey FROM nbcache")]
    assert "0ff" not in keys and len(keys) == 3


def test_status_before_any_build(book) -> None:
    code, status, _ = book.run("status")
    assert code == 0 and "it has no stored outputs yet" in status
    assert "3 executed page(s): 0 fresh, 3 stale" in status


def gpu_names() -> list[str]:
    """The GPUs ``nvidia-smi`` lists (none without it), read here, not
    through the engine."""
    if shutil.which("nvidia-smi") is None:
        return []
    proc = subprocess.run(["nvidia-smi", "--query-gpu=name",
                           "--format=csv,noheader"], capture_output=True,
                          text=True)
    return proc.stdout.split("\n")[:-1] if proc.returncode == 0 else []


@pytest.mark.built
def test_status_and_build_record(book) -> None:
    code, status, _ = book.run("status")
    assert "3 executed page(s): 3 fresh, 0 stale" in status
    # The record's table: one row per executed page, in TOC order, with
    # the device each ran on (gamma asks for a GPU; the others never).
    html = (book.root / "_build/html/book/record.html").read_text()
    rows = [[re.sub(r"<[^>]+>", "", cell).strip() for cell in
             re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", html, re.S)]
    rows = [row for row in rows if row]
    gpus = gpu_names()
    assert [(row[0], row[2]) for row in rows] == [
        ("Alpha", "CPU"), ("Beta", "CPU"),
        ("Gamma", gpus[0] if gpus else "CPU")]
    for row in rows:
        seconds = book.record(row[0].lower())["run"]["seconds"]
        assert row[4] == f"{seconds:.1f}", row  # after Matrix products
    record = book.html("record")
    assert "nbclient" in record  # the installed packages are listed


def test_a_failing_hidden_claim_fails_the_build(book) -> None:
    """Claims in the prose are backed by asserts in hidden cells: when the
    claim stops being true, the build says which one."""
    book.edit("book/alpha.md", "The package says",
              "```{code-cell} ipython3\n:tags: [remove-cell]\n"
              "assert tinypkg.VALUE > 1, 'the text says VALUE exceeds 1'\n"
              "```\n\nThe package says")
    code, output, _ = book.build()
    assert code != 0
    summary = output[output.index("BUILD FAILED"):]
    assert ("book/alpha.md: code cell 2 raised AssertionError: the text "
            "says VALUE exceeds 1") in summary
