"""A copy of the tiny test book (``tests/testbook``), built through the
engine's command line exactly as ``make book`` does.

Whether a page executed is observed from outside: every executed page
appends its name to the counter file ``$TESTBOOK_COUNTER``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "tests" / "testbook"
BOOK_CLI = REPO / "tools" / "book"


class Book:
    """A copy of the test book and ways to build and inspect it."""

    def __init__(self, root: Path):
        self.root = root
        self.counter = root / "executions.txt"
        self.counter.touch()
        self.env = dict(os.environ, TESTBOOK_COUNTER=str(self.counter))
        # The suite's own settings must not leak into the book's kernels.
        self.env.pop("MPLBACKEND", None)

    def command(self, *args: str) -> list[str]:
        return [sys.executable, str(BOOK_CLI), "--root", str(self.root),
                *args]

    def run(self, *args: str, env: dict | None = None,
            timeout: float = 600) -> tuple[int, str, float]:
        started = time.perf_counter()
        proc = subprocess.run(self.command(*args), capture_output=True,
                              text=True, env={**self.env, **(env or {})},
                              timeout=timeout)
        return (proc.returncode, proc.stdout + proc.stderr,
                time.perf_counter() - started)

    def build(self, formats: str = "html", *args: str,
              env: dict | None = None) -> tuple[int, str, float]:
        return self.run("build", "--formats", formats, *args, env=env)

    def build_ok(self, formats: str = "html", *args: str,
                 env: dict | None = None) -> tuple[str, float]:
        code, output, elapsed = self.build(formats, *args, env=env)
        assert code == 0, output[-5000:]
        return output, elapsed

    def executions(self) -> list[str]:
        return sorted(self.counter.read_text().split())

    def html(self, page: str) -> str:
        """The page's text, tags removed (glued values sit in <span>s)."""
        path = self.root / "_build" / "html" / "book" / f"{page}.html"
        return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", path.read_text()))

    def edit(self, relpath: str, old: str, new: str) -> None:
        path = self.root / relpath
        text = path.read_text()
        assert old in text, f"{old!r} not in {relpath}"
        path.write_text(text.replace(old, new))

    def record(self, page: str) -> dict:
        path = self.root / "_build" / ".engine" / "records" / f"book/{page}.json"
        return json.loads(path.read_text())


@pytest.fixture
def book(tmp_path: Path) -> Book:
    root = tmp_path / "testbook"
    shutil.copytree(TEMPLATE, root)
    return Book(root)


@pytest.fixture
def make_book(tmp_path: Path):
    """Further copies of the test book (e.g. another machine's checkout)."""
    def make(name: str) -> Book:
        root = tmp_path / name
        shutil.copytree(TEMPLATE, root)
        return Book(root)
    return make
