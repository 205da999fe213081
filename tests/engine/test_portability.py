"""What a build may assume about the machine: the CPUs it may use, where
home is, what the store held under an earlier lock, and what the published
build record reveals."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

import nbformat
import pytest

from bookengine import cli, provenance, schedule
from bookengine.provenance import Current, FileState, Record
from bookengine.store import Store


def test_jobs_default_to_the_cpus_this_process_may_use(monkeypatch) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 3})
    monkeypatch.setattr(schedule, "Path", _NoCgroup)
    assert cli._jobs("") == 2
    assert cli._jobs("5") == 5


class _NoCgroup(type(Path())):  # type: ignore[misc]
    def read_text(self, *args, **kwargs):  # no quota file
        raise FileNotFoundError(self)


def test_inputs_under_home_travel_between_homes(tmp_path,
                                                monkeypatch) -> None:
    """A record made with one home directory (a CI runner) is fresh under
    another holding the same file."""
    root, home_a, home_b = (tmp_path / d for d in ("book", "a", "b"))
    for home in (home_a, home_b):
        (home / ".keras").mkdir(parents=True)
        (home / ".keras/keras.json").write_text('{"backend": "jax"}\n')
    root.mkdir()
    monkeypatch.setenv("HOME", str(home_a))
    name = provenance.record_path(home_a / ".keras/keras.json", root)
    assert name == "~/.keras/keras.json"
    assert not provenance.is_project_path(name)
    record = Record(page="p", source="p.md", code="c", environment="e",
                    device="CPU", run={},
                    files={name: FileState.of(home_a / ".keras/keras.json")},
                    version=provenance.RECORD_VERSION)
    now = Current(root, {"p": "c"}, "e", {}, {})
    monkeypatch.setenv("HOME", str(home_b))
    assert provenance.reasons_stale(record, now) == []
    (home_b / ".keras/keras.json").write_text('{"backend": "torch"}\n')
    now = Current(root, {"p": "c"}, "e", {}, {})
    assert provenance.reasons_stale(record, now) == [
        "~/.keras/keras.json changed"]


def _notebook() -> str:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("print(1)", execution_count=1)]
    return nbformat.writes(nb)


def test_records_are_read_again_under_each_lock(tmp_path) -> None:
    """Another build directory of the same root executes pages between
    this build's execute and render stages: the render stage must see
    them."""
    mine, other = Store(tmp_path / "store"), Store(tmp_path / "store")
    with mine.lock(exclusive=False):
        assert mine.records() == {}
    with other.lock(exclusive=True):
        other.put("book/x", "book/x.md", _notebook(), {}, {"python": "x"},
                  "CPU", {"seconds": 1.0}, {})
    with mine.lock(exclusive=False):
        assert list(mine.records()) == ["book/x"]


@pytest.mark.slow
def test_published_build_record_names_no_host_or_local_path(book) -> None:
    book.build_ok()
    html = (book.root / "_build/html/book/record.html").read_text()
    assert "this machine" in html
    assert socket.gethostname() not in html
    assert os.path.realpath(sys.executable) not in html
    assert sys.version.split()[0] in html  # the Python version stays
