"""A failure on another machine never hides: run-pack carries it in the
bundle, import keeps it, the next build fails naming the page and the
device until the page is executed here on request."""

from __future__ import annotations

import json
import socket
import tarfile

import pytest

pytestmark = pytest.mark.slow


def test_a_failure_travels_back_and_fails_the_build(book, make_book,
                                                    tmp_path) -> None:
    pack = tmp_path / "pack.tar.gz"
    code, output, _ = book.run("pack", str(pack), "--all")
    assert code == 0, output

    # The "GPU box": its checkout of tinypkg is broken, so alpha fails
    # there (and only there).
    box = make_book("gpu-box")
    box.edit("src/tinypkg/__init__.py", "VALUE = 1",
             "raise RuntimeError('broken on the box')")
    bundle = tmp_path / "executed.tar.gz"
    code, output, _ = box.run("run-pack", str(pack), str(bundle))
    assert code == 1, output
    assert "run-pack: 2 page(s) executed, 1 failed" in output, output
    with tarfile.open(bundle) as tar:
        data = json.loads(tar.extractfile("bundle.json").read())
    [failure] = data["failures"]
    assert failure["source"] == "book/alpha.md"
    assert failure["device"] == "CPU"
    assert failure["host"] == socket.gethostname()
    assert failure["failure"]["cell"] == 1
    assert failure["failure"]["error"] == \
        "RuntimeError: broken on the box"
    assert "broken on the box" in failure["failure"]["traceback"]
    assert data["execution"]["wall_seconds"] > 0

    code, output, _ = book.run("import", str(bundle), "--keep-environment")
    assert code == 0, output
    assert "book/alpha.md: FAILED on CPU at" in output
    code, status, _ = book.run("status")
    assert "book/alpha.md  FAILED on CPU at" in status, status

    # The build fails, naming page and device, and executes nothing there.
    code, output, _ = book.build()
    assert code == 1, output
    assert ("[execute] book/alpha.md: failed on CPU at "
            f"{socket.gethostname()} (executed.tar.gz): code cell 1 raised "
            "RuntimeError: broken on the box") in output, output
    assert "--retry-failed-here" in output
    assert book.executions() == []
    code, output, _ = book.build()
    assert code == 1  # and again: it does not go away by itself

    # Asked to, this machine executes it; the record says so.
    output, _ = book.build_ok("html", "--retry-failed-here")
    assert book.executions() == ["alpha"]
    assert "re-executed here after failing on CPU at" in output
    # The published record names no host (see build_record.where).
    assert "re-executed here after failing on CPU elsewhere" in \
        book.html("record")
    code, output, _ = book.build()
    assert code == 0 and book.executions() == ["alpha"], output


def test_a_later_success_there_clears_the_failure(book, make_book,
                                                  tmp_path) -> None:
    pack = tmp_path / "pack.tar.gz"
    book.run("pack", str(pack), "--all")
    box = make_book("gpu-box")
    box.edit("src/tinypkg/__init__.py", "VALUE = 1",
             "raise RuntimeError('broken on the box')")
    failed = tmp_path / "failed.tar.gz"
    box.run("run-pack", str(pack), str(failed))
    book.run("import", str(failed), "--keep-environment")

    box.edit("src/tinypkg/__init__.py",
             "raise RuntimeError('broken on the box')", "VALUE = 1")
    fixed = tmp_path / "fixed.tar.gz"
    code, output, _ = box.run("run-pack", str(pack), str(fixed))
    assert code == 0, output
    code, output, _ = book.run("import", str(fixed), "--keep-environment")
    assert code == 0, output
    book.build_ok()
    assert book.executions() == []
