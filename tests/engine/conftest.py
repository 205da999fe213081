"""A copy of the tiny test book (``tests/testbook``), built through the
engine's command line exactly as ``make book`` does.

Whether a page executed is observed from outside: every executed page
appends its name to the counter file ``$TESTBOOK_COUNTER``. A test that
must catch a build mid-execution holds its pages at a :class:`Gate`
(events, not sleeps: the suite does not flake under load).

``book`` is a fresh, never built copy; marked ``@pytest.mark.built``, a
copy of the book built once per session (HTML), put at the path it was
built at, so that the copy is exactly what a second build of that checkout
would find (Sphinx's environment and the render stamp name the book's
absolute path).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
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


class Gate:
    """A folder the test book's pages wait at (``$TESTBOOK_GATE``): a page
    touches ``<page>.started`` and waits for ``<page>.go`` or ``all.go``."""

    def __init__(self, path: Path):
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        self.env = {"TESTBOOK_GATE": str(path)}

    def started(self) -> list[str]:
        return sorted(p.stem for p in self.path.glob("*.started"))

    def wait(self, condition, what: str, timeout: float = 300) -> None:
        """Until ``condition()`` holds; fail after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, f"timed out waiting: {what}"
            time.sleep(0.05)

    def wait_started(self, count: int, timeout: float = 300) -> list[str]:
        self.wait(lambda: len(self.started()) >= count,
                  f"{count} page(s) to start (started: {self.started()})",
                  timeout)
        return self.started()

    def release(self, page: str = "all") -> None:
        (self.path / f"{page}.go").touch()


class Reader:
    """The lines of a running process's output, read on a thread, so that a
    test can wait for one line without blocking on the process."""

    def __init__(self, proc: subprocess.Popen):
        self.proc = proc
        self.lines: list[str] = []
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line)

    def wait_for(self, text: str, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while not any(text in line for line in self.lines):
            assert self.proc.poll() is None or self.thread.is_alive(), (
                f"exited without printing {text!r}:\n" + "".join(self.lines))
            assert time.monotonic() < deadline, (
                f"timed out waiting for {text!r}:\n" + "".join(self.lines))
            time.sleep(0.05)

    def finish(self, timeout: float = 600) -> tuple[int, str]:
        code = self.proc.wait(timeout=timeout)
        self.thread.join(timeout=60)
        self.proc.stdout.close()
        return code, "".join(self.lines)


@pytest.fixture
def gate(book: Book) -> Gate:
    # Inside the build folder, which is never an input: a page checking
    # its gate must not make the gate file an input that changed while
    # the page ran.
    return Gate(book.root / "_build" / "gate")


@pytest.fixture
def spawn():
    """Start ``tools/book`` on a book without waiting for it (a
    :class:`Reader` of its output); every process is ended at teardown."""
    started: list[Reader] = []

    def start(book: Book, *args: str, env: dict | None = None) -> Reader:
        proc = subprocess.Popen(book.command(*args),
                                env={**book.env, **(env or {})},
                                stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        started.append(Reader(proc))
        return started[-1]

    yield start
    for reader in started:
        if reader.proc.poll() is None:
            reader.proc.kill()
        reader.finish()


@pytest.fixture(scope="session")
def _built_template(tmp_path_factory) -> tuple[Path, Path]:
    """(where copies go, the built book kept aside): the test book built
    once (HTML) at the first path, then moved to the second."""
    base = tmp_path_factory.mktemp("built")
    work, kept = base / "work" / "testbook", base / "kept"
    shutil.copytree(TEMPLATE, work)
    Book(work).build_ok()
    kept.mkdir()
    work.rename(kept / "testbook")
    return work, kept / "testbook"


def pytest_configure(config) -> None:
    config.addinivalue_line(
        "markers", "built: the test's ``book`` starts as the first HTML build "
        "left it (built once per session and copied)")


@pytest.fixture
def book(request, tmp_path: Path) -> Book:
    """A fresh copy of the test book; with ``@pytest.mark.built``, a copy of
    the book as its first HTML build left it (every page executed once, the
    site published), at the path it was built at."""
    if request.node.get_closest_marker("built"):
        work, kept = request.getfixturevalue("_built_template")
        if work.exists():
            shutil.rmtree(work)
        shutil.copytree(kept, work, symlinks=True)
        return Book(work)
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


@pytest.fixture
def fake_execute(monkeypatch):
    """The scheduler's execute_page replaced by a 0.2 s sleep that records
    what ran: every task seen, the most tasks running at once, and the most
    running at once on each card (by ``gpu_index``)."""
    from bookengine import schedule
    from bookengine.records import Result, Task

    lock = threading.Lock()
    state: dict = {"running": [], "seen": [], "max": 0, "max_per_card": {}}

    def execute(task: Task, worker: str = "local", kernels=None) -> Result:
        with lock:
            state["running"].append(task)
            state["seen"].append(task)
            state["max"] = max(state["max"], len(state["running"]))
            if task.gpu_index:
                on_card = sum(t.gpu_index == task.gpu_index
                              for t in state["running"])
                state["max_per_card"][task.gpu_index] = max(
                    state["max_per_card"].get(task.gpu_index, 0), on_card)
        time.sleep(0.2)
        with lock:
            state["running"].remove(task)
        return Result(task.page, task.source, "{}", None, {}, {}, "CPU", {})

    monkeypatch.setattr(schedule, "execute_page", execute)
    return state
