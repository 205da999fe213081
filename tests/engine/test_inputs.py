"""What counts as a page's input, and when its outputs may be used: inputs
changed during execution, inputs the audit hook cannot see, old records,
and edits that leave a file's size and timestamp as they were."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from bookengine.provenance import RECORD_VERSION

pytestmark = pytest.mark.slow


def _wait_for(path: Path, proc: subprocess.Popen, timeout: float = 300
              ) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, proc.communicate()[0]
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def test_input_changed_during_execution_is_not_published(book,
                                                         tmp_path) -> None:
    """The page has read its data file; the file changes before the page
    ends (the page waits for the test's signal). The outputs must not go
    live in that build, and the next build re-executes the page."""
    signals = tmp_path / "signals"
    signals.mkdir()
    book.edit("book/gamma.md", "import otherpkg\n",
              "import otherpkg\n"
              "text = pathlib.Path('data/greeting.txt').read_text()\n"
              "signals = pathlib.Path(os.environ['TESTBOOK_SIGNALS'])\n"
              "(signals / 'started').write_text('')\n"
              "while not (signals / 'go').exists():\n"
              "    time.sleep(0.02)\n"
              "print('gamma read:', text)\n")
    proc = subprocess.Popen(
        book.command("build", "--formats", "html", "--jobs", "1"),
        env=dict(book.env, TESTBOOK_SIGNALS=str(signals)),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    _wait_for(signals / "started", proc)
    (book.root / "book/data/greeting.txt").write_text("edited meanwhile\n")
    (signals / "go").write_text("")
    output, _ = proc.communicate(timeout=600)
    assert proc.returncode != 0, output
    summary = output[output.index("BUILD FAILED"):]
    assert ("book/data/greeting.txt changed while the page was executing"
            in summary)
    assert not (book.root / "_build/html/index.html").exists()

    output, _ = book.build_ok(env={"TESTBOOK_SIGNALS": str(signals)})
    assert "book/gamma.md: stale" in output
    assert "gamma read: edited meanwhile" in book.html("gamma")


def test_old_record_version_is_stale(book) -> None:
    """A record made by an engine that counted inputs differently (here:
    one from before records had a version) is not trusted."""
    book.build_ok()
    path = book.root / "_build/.engine/records/book/alpha.json"
    record = json.loads(path.read_text())
    assert record["version"] == RECORD_VERSION
    del record["version"]
    path.write_text(json.dumps(record))
    code, status, _ = book.run("status")
    assert code == 0
    assert ("book/alpha.md  stale: it was recorded by another version of "
            f"the engine (record version 0, now {RECORD_VERSION})") in status
    assert "book/beta.md   fresh" in status
    book.build_ok()
    assert book.executions() == ["alpha", "alpha", "beta", "gamma"]


# --------------------------------------------------------------------------
# What the audit hook cannot see
# --------------------------------------------------------------------------


def test_subprocess_makes_the_page_always_stale_until_inputs_declared(
        book) -> None:
    book.edit("book/gamma.md", "import otherpkg\n",
              "import otherpkg\nimport subprocess\n"
              "print(subprocess.run(['cat', 'data/greeting.txt'],\n"
              "      capture_output=True, text=True).stdout)\n")
    book.build_ok()
    code, status, _ = book.run("status")
    assert ("book/gamma.md  stale: it used what the engine cannot observe "
            "(subprocess.Popen cat data/greeting.txt)") in status
    assert "inputs: [...]" in status
    assert "book/alpha.md  fresh" in status
    book.build_ok()
    assert book.executions() == ["alpha", "beta", "gamma", "gamma"]

    book.edit("book/gamma.md", "resources:\n",
              "inputs: [data/greeting.txt]\nresources:\n")
    output, _ = book.build_ok()
    assert "book/gamma.md: stale: its declared inputs changed" in output
    code, status, _ = book.run("status")
    assert "book/gamma.md  fresh" in status, status
    (book.root / "book/data/greeting.txt").write_text("changed\n")
    code, status, _ = book.run("status")
    assert "book/gamma.md  stale: book/data/greeting.txt changed" in status


def test_sqlite_makes_the_page_always_stale(book) -> None:
    db = book.root / "book/data/numbers.db"
    with contextlib.closing(sqlite3.connect(db)) as con, con:
        con.execute("CREATE TABLE t (x INTEGER)")
        con.execute("INSERT INTO t VALUES (41)")
    book.edit("book/gamma.md", "import otherpkg\n",
              "import otherpkg\nimport sqlite3\n"
              "con = sqlite3.connect('data/numbers.db')\n"
              "print(con.execute('SELECT x + 1 FROM t').fetchone())\n"
              "con.close()\n")
    book.build_ok()
    code, status, _ = book.run("status")
    assert ("book/gamma.md  stale: it used what the engine cannot observe "
            "(sqlite3.connect data/numbers.db)") in status, status


def test_os_path_exists_is_an_input(book) -> None:
    book.edit("book/gamma.md", "import otherpkg\n",
              "import otherpkg\n"
              "print('flag:', os.path.exists('data/flag.txt'))\n")
    book.build_ok()
    assert "flag: False" in book.html("gamma")
    code, status, _ = book.run("status")
    assert "book/gamma.md  fresh" in status
    (book.root / "book/data/flag.txt").write_text("")
    code, status, _ = book.run("status")
    assert "book/gamma.md  stale: book/data/flag.txt appeared" in status
    assert "book/beta.md   fresh" in status
    book.build_ok()
    assert "flag: True" in book.html("gamma")
