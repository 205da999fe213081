"""Git's racy-timestamp rule: an edit that keeps a file's size and lands in
the timestamp tick in which the file was last hashed is still seen."""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from pathlib import Path

import pytest

from bookengine.project import Project, SourceIndex
from bookengine.provenance import FileState
from bookengine.render import Renderer
from bookengine.store import Store

TEMPLATE = Path(__file__).resolve().parents[1] / "testbook"


def _same_tick_edit(path: Path, new: str, mtime_ns: int) -> None:
    """Rewrite ``path`` with same-size content, leaving its mtime as it
    was: what a coarse timestamp (one tick) makes of a quick second edit."""
    assert len(new.encode()) == path.stat().st_size
    path.write_text(new)
    os.utime(path, ns=(mtime_ns, mtime_ns))


def test_same_size_edit_within_one_tick_is_rehashed(tmp_path) -> None:
    path = tmp_path / "data.csv"
    path.write_text("a,b\n")
    state = FileState.of(path)  # hashed in the tick it was written
    _same_tick_edit(path, "c,d\n", state.mtime_ns)
    again = FileState.of(path, state)
    assert again.sha256 == hashlib.sha256(b"c,d\n").hexdigest()


def test_an_old_stat_is_trusted(tmp_path, monkeypatch) -> None:
    path = tmp_path / "data.csv"
    path.write_text("a,b\n")
    hour_ago = time.time_ns() - 3600 * 10**9
    os.utime(path, ns=(hour_ago, hour_ago))
    state = FileState.of(path)
    monkeypatch.setattr("bookengine.provenance.sha256_file",
                        lambda p: pytest.fail("hashed again"))
    assert FileState.of(path, state) is state


def test_same_size_edit_within_one_tick(tmp_path) -> None:
    """A page's source edited twice within one tick: the second edit
    changes the page's code hash (so it re-executes) and the render
    stamp (so it re-renders), although size and mtime stay."""
    root = tmp_path / "testbook"
    shutil.copytree(TEMPLATE, root)
    project = Project.load(root)
    source = root / "book/alpha.md"
    index_path = tmp_path / "sources.json"
    renderer = Renderer(project, Store(tmp_path / "store"), print)

    source.write_text(source.read_text())  # an edit, now
    mtime = source.stat().st_mtime_ns
    index = SourceIndex(index_path, project)
    code = index.get(project, source)["code"]
    index.save()
    compared, saved, hashed = renderer.stamps("html", "env", {})
    renderer.state["html"] = {"stamp": saved, "hashed": hashed}

    _same_tick_edit(source, source.read_text().replace(
        "# Each execution", "# Each executiom"), mtime)
    index = SourceIndex(index_path, project)
    assert index.get(project, source)["code"] != code
    assert renderer.stamps("html", "env", {})[0] != saved


def test_an_old_source_is_not_parsed_again(tmp_path, monkeypatch) -> None:
    root = tmp_path / "testbook"
    shutil.copytree(TEMPLATE, root)
    project = Project.load(root)
    source = root / "book/alpha.md"
    hour_ago = time.time_ns() - 3600 * 10**9
    os.utime(source, ns=(hour_ago, hour_ago))
    index = SourceIndex(tmp_path / "sources.json", project)
    entry = index.get(project, source)
    index.save()
    monkeypatch.setattr(Project, "read_notebook",
                        lambda *a: pytest.fail("parsed again"))
    assert SourceIndex(tmp_path / "sources.json", project).get(
        project, source) == entry
