"""What counts as a page's input, and when its outputs may be used: inputs
changed during execution, inputs the audit hook cannot see, old records,
and edits that leave a file's size and timestamp as they were."""

from __future__ import annotations

import json
import os
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
