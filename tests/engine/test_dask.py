"""The execute stage on a real dask.distributed cluster on localhost: a
scheduler and worker processes started here, no mock."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

TOOLS = Path(__file__).resolve().parents[2] / "tools"


def _with_tools() -> str:
    """This process's PYTHONPATH (the workers must run the engine's
    environment) with the engine's package added."""
    return os.pathsep.join(p for p in [str(TOOLS),
                                       os.environ.get("PYTHONPATH")] if p)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    def __init__(self, tmp_path: Path):
        self.tmp = tmp_path
        self.procs: list[subprocess.Popen] = []
        self.port = _free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        # Like the workers, the scheduler runs the project's environment
        # (it deserializes the tasks, so it imports bookengine).
        self._start("scheduler", ["--host", "127.0.0.1", "--port",
                                  str(self.port), "--no-dashboard"],
                    {"PYTHONPATH": _with_tools()})

    def _start(self, kind: str, args: list[str], env: dict) -> None:
        log = open(self.tmp / f"{kind}-{len(self.procs)}.log", "w")
        self.procs.append(subprocess.Popen(
            [sys.executable, "-m", f"distributed.cli.dask_{kind}", *args],
            env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT))
        log.close()

    def add_worker(self, book, resources: str | None = None) -> None:
        """A worker whose checkout of the project is ``book``'s."""
        args = [self.address, "--nthreads", "2", "--no-dashboard",
                "--name", book.root.name]
        if resources:
            args += ["--resources", resources]
        self._start("worker", args, {"PYTHONPATH": _with_tools(),
                                     "BOOKENGINE_ROOT": str(book.root),
                                     "TESTBOOK_COUNTER": str(book.counter)})

    def wait_for_workers(self, count: int) -> None:
        from distributed import Client

        with Client(self.address, timeout="60s") as client:
            client.wait_for_workers(count, timeout=120)

    def close(self) -> None:
        """Stop the workers, then the scheduler; a process still there
        after 2 s (a worker waiting on a scheduler already gone) is
        killed: nothing of theirs is checked after a test."""
        for proc in reversed(self.procs):
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=60)


@pytest.fixture
def cluster(tmp_path):
    cluster = Cluster(tmp_path)
    try:
        yield cluster
    finally:
        cluster.close()


def test_pages_execute_on_the_cluster_workers(book, cluster) -> None:
    cluster.add_worker(book, resources="GPU=1")
    cluster.wait_for_workers(1)
    output, _ = book.build_ok("html", "--scheduler", cluster.address)
    assert "on 1 Dask worker(s) (1 with a GPU)" in output
    assert book.executions() == ["alpha", "beta", "gamma"]
    worker = book.record("alpha")["run"]["worker"]
    assert worker.startswith("tcp://127.0.0.1:")
    assert "a Dask worker" in book.html("record")  # no address published
    assert "The package says 1." in book.html("alpha")
    # What ran on the cluster is fresh for a local build too.
    book.build_ok()
    assert book.executions() == ["alpha", "beta", "gamma"]


def test_a_worker_with_other_sources_is_refused(book, make_book,
                                                cluster) -> None:
    other = make_book("stale-checkout")
    other.edit("src/tinypkg/__init__.py", "VALUE = 1", "VALUE = 99")
    cluster.add_worker(other)
    cluster.add_worker(book)
    cluster.wait_for_workers(2)
    output, _ = book.build_ok("html", "--scheduler", cluster.address)
    assert "does not run this project as checked out here: " \
           "src/tinypkg/__init__.py differs" in output
    assert "on 1 Dask worker(s)" in output
    assert "The package says 1." in book.html("alpha")


def test_no_matching_worker_fails_the_build(book, make_book,
                                            cluster) -> None:
    other = make_book("stale-checkout")
    other.edit("src/tinypkg/__init__.py", "VALUE = 1", "VALUE = 99")
    cluster.add_worker(other)
    cluster.wait_for_workers(1)
    code, output, _ = book.build("html", "--scheduler", cluster.address)
    assert code != 0
    assert "no worker of the Dask cluster at " + cluster.address in output
    assert book.executions() == []


def test_an_unreachable_scheduler_fails_quickly_and_names_it(book) -> None:
    """Within the connect timeout (30 s by default; 3 s here)."""
    address = f"tcp://127.0.0.1:{_free_port()}"
    started = time.perf_counter()
    code, output, _ = book.build("html", "--scheduler", address, env={
        "BOOKENGINE_CONNECT_TIMEOUT_S": "3"})
    assert code != 0
    assert f"cannot reach the Dask scheduler at {address} (gave up after " \
        "3 s)" in output
    assert time.perf_counter() - started < 60
    assert book.executions() == []
