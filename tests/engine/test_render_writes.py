"""The render stage writes a page's HTML only when its output can differ:
a prose edit writes the edited page alone (and the root page, which Sphinx
writes on every build); a changed title, shown in every page's navigation
and in the references to it, writes them all."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

#: The pages of the test book; ``index`` is the root (always written).
PAGES = ("index", "alpha", "beta", "gamma", "prose", "record")
OTHERS = PAGES[1:]


def mtimes(root: Path) -> dict[str, int]:
    """Each page's published HTML file -> its modification time (ns)."""
    site = root / "_build" / "html" / "book"
    return {page: (site / f"{page}.html").stat().st_mtime_ns
            for page in PAGES}


@pytest.mark.built
def test_a_prose_edit_writes_only_the_edited_page(book) -> None:
    before = mtimes(book.root)
    book.edit("book/prose.md", "nothing to execute.",
              "nothing to execute. EDITED-SENTENCE")
    book.build_ok()
    after = mtimes(book.root)
    assert "EDITED-SENTENCE" in book.html("prose")
    assert {p for p in OTHERS if after[p] != before[p]} == {"prose"}
    # A second build changes nothing at all.
    book.build_ok()
    assert mtimes(book.root) == after


@pytest.mark.built
def test_a_changed_title_writes_the_pages_that_show_it(book) -> None:
    before = mtimes(book.root)
    assert "Alpha" in book.html("beta")
    book.edit("book/alpha.md", "# Alpha\n", "# Alpha Renamed\n")
    book.build_ok()
    after = mtimes(book.root)
    # Every page's navigation lists the title; beta's {ref} shows it too.
    assert {p for p in PAGES if after[p] != before[p]} == set(PAGES)
    for page in PAGES:
        assert "Alpha Renamed" in book.html(page), page
    # Then a prose edit elsewhere is back to one page.
    book.edit("book/prose.md", "nothing to execute.",
              "nothing to execute. EDITED-SENTENCE")
    book.build_ok()
    now = mtimes(book.root)
    assert {p for p in OTHERS if now[p] != after[p]} == {"prose"}


def test_the_build_record_is_rewritten_only_when_it_changed(
        tmp_path, monkeypatch) -> None:
    from datetime import datetime, timezone

    from bookengine import build_record
    from bookengine.provenance import Record

    def at(hour: int) -> None:
        class Clock(datetime):
            @classmethod
            def now(cls, tz=None):  # type: ignore[override]
                return datetime(2026, 1, 1, hour, 0, tzinfo=timezone.utc)
        monkeypatch.setattr(build_record, "datetime", Clock)

    def record(seconds: float) -> Record:
        return Record("book/a", "book/a.md", "code", {}, "env", "CPU",
                      {"seconds": seconds, "started": "2026-01-01T09:00"})

    path = tmp_path / "build-record.json"
    at(10)
    build_record.write_build_record(path, [record(1.5)], lambda d: {}, {},
                                    ["book/a"])
    first = path.read_text()
    assert "2026-01-01 10:00 UTC" in first and "| 1.5 |" in first
    # An hour later, the same rows: the file (and its mtime, which Sphinx
    # compares) is left as it was, and so is the page that shows it.
    at(11)
    stat = path.stat()
    build_record.write_build_record(path, [record(1.5)], lambda d: {}, {},
                                    ["book/a"])
    assert path.read_text() == first
    assert path.stat().st_mtime_ns == stat.st_mtime_ns
    # A page ran again: the record, and its date, are new.
    build_record.write_build_record(path, [record(2.5)], lambda d: {}, {},
                                    ["book/a"])
    text = json.loads(path.read_text())["markdown"]
    assert "2026-01-01 11:00 UTC" in text and "| 2.5 |" in text
    # A new commit too.
    build_record.write_build_record(path, [record(2.5)], lambda d: {},
                                    {"commit": "abc123"}, ["book/a"])
    assert "commit `abc123`" in json.loads(path.read_text())["markdown"]


@pytest.mark.built
def test_a_removed_label_is_reported_in_the_page_that_refers_to_it(
        book) -> None:
    book.edit("book/prose.md", "nothing to execute.",
              "nothing to execute. See {ref}`sec-alpha`.")
    book.build_ok()
    assert "See Alpha" in book.html("prose")
    # alpha loses its label; prose, not re-read (it glues nothing from
    # alpha), refers to it: prose is written again, and its broken
    # reference fails the build.
    book.edit("book/alpha.md", "(sec-alpha)=\n", "")
    code, output, _ = book.build()
    assert code != 0
    assert "book/prose.md" in output and "sec-alpha" in output, \
        output[-3000:]


def test_numbered_pages_edited_after_a_full_read_write_one_page(
        tmp_path) -> None:
    """Sphinx numbers sections and figures after reading (the toctree
    collector, at ``env-get-updated``); what pages share must be compared
    after that, or the first edit after a full read writes every page."""
    import os
    import subprocess
    import sys

    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    (src / "conf.py").write_text(
        "extensions = ['bookengine.sphinx_ext']\nnumfig = True\n")
    (src / "index.rst").write_text(
        "Root\n====\n\n.. toctree::\n   :numbered:\n\n   a\n   b\n")
    (src / "a.rst").write_text(
        "A\n=\n\nSome prose.\n\n.. _fig-a:\n\n.. figure:: pic.png\n\n"
        "   A caption.\n")
    (src / "b.rst").write_text("B\n=\n\nSee :numref:`fig-a`.\n")
    (src / "pic.png").write_bytes(b"")

    def build() -> dict[str, int]:
        proc = subprocess.run(
            [sys.executable, "-m", "sphinx", "-b", "html", "-q", str(src),
             str(out)], capture_output=True, text=True,
            env={**os.environ,
                 "PYTHONPATH": str(Path(__file__).parents[2] / "tools")})
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return {p: (out / f"{p}.html").stat().st_mtime_ns
                for p in ("index", "a", "b")}

    first = build()                         # a full read
    assert "Fig. 1.1" in (out / "b.html").read_text()
    (src / "a.rst").write_text((src / "a.rst").read_text().replace(
        "Some prose.", "Some prose, edited."))
    second = build()
    assert second["a"] != first["a"] and second["b"] == first["b"]
    # A new figure before it renumbers fig-a: b, which shows the number,
    # is written again.
    (src / "a.rst").write_text((src / "a.rst").read_text().replace(
        "Some prose, edited.", ".. figure:: pic.png\n\n   First.\n"))
    third = build()
    assert third["b"] != second["b"]
    assert "Fig. 1.2" in (out / "b.html").read_text()
