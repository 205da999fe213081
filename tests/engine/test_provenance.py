"""The staleness rule, on records built by hand."""

from __future__ import annotations

import hashlib
import os
import sys
import time
from pathlib import Path

import pytest

from bookengine import provenance
from bookengine.provenance import Current, FileState, Record


def test_file_state_hashes_content_and_reuses_it_while_stat_is_unchanged(
        tmp_path, monkeypatch) -> None:
    path = tmp_path / "data.csv"
    path.write_text("a,b\n")
    hour_ago = time.time_ns() - 3600 * 10**9  # outside the racy window
    os.utime(path, ns=(hour_ago, hour_ago))
    state = FileState.of(path)
    assert state.sha256 == hashlib.sha256(b"a,b\n").hexdigest()
    calls = []
    monkeypatch.setattr(provenance, "sha256_file",
                        lambda p: calls.append(p) or "rehashed")
    assert FileState.of(path, state) is state and not calls
    os.utime(path, ns=(state.mtime_ns + 10**9, state.mtime_ns + 10**9))
    assert FileState.of(path, state).sha256 == "rehashed"
    assert FileState.of(tmp_path / "missing").sha256 is None


def test_a_listed_directory_is_the_names_of_its_entries(tmp_path) -> None:
    folder = tmp_path / "images"
    folder.mkdir()
    (folder / "b.png").write_bytes(b"1")
    (folder / "a.png").write_bytes(b"2")
    state = FileState.of(folder)
    assert state.sha256 == hashlib.sha256(b"a.png\nb.png").hexdigest()
    (folder / "a.png").write_bytes(b"other content")  # same names
    assert FileState.of(folder).sha256 == state.sha256
    (folder / "c.png").write_bytes(b"3")
    assert FileState.of(folder).sha256 == hashlib.sha256(
        b"a.png\nb.png\nc.png").hexdigest()


def _record(root: Path, **changes) -> Record:
    fields = dict(page="book/p", source="book/p.md", code="c1",
                  files={"src/m.py": FileState.of(root / "src/m.py")},
                  environment="e1", device="CPU",
                  run={"seconds": 1.0}, settings={"allow_errors": False},
                  version=provenance.RECORD_VERSION)
    fields.update(changes)
    return Record(**fields)


@pytest.fixture
def root(tmp_path) -> Path:
    (tmp_path / "src").mkdir()
    (tmp_path / "src/m.py").write_text("X = 1\n")
    return tmp_path


def _now(root, **changes) -> Current:
    fields = dict(root=root, code={"book/p": "c1"}, environment="e1",
                  environments={
                      "e1": {"python": "CPython 3.11", "variables": {},
                             "distributions": {"keras": "3.5.0"}},
                      "e2": {"python": "CPython 3.11", "variables": {},
                             "distributions": {"keras": "3.6.0"}}},
                  devices={"book/p": "CPU"},
                  settings={"book/p": {"allow_errors": False}})
    fields.update(changes)
    return Current(**fields)


def test_fresh_when_nothing_changed(root) -> None:
    assert provenance.reasons_stale(_record(root), _now(root)) == []


@pytest.mark.parametrize("change, reason", [
    (dict(code={"book/p": "c2"}), "its code cells changed"),
    (dict(environment="e2"),
     "the environment changed (package keras: 3.5.0 -> 3.6.0)"),
    (dict(devices={"book/p": "NVIDIA H100 80GB HBM3"}),
     "the device changed (CPU -> NVIDIA H100 80GB HBM3)"),
    (dict(settings={"book/p": {"allow_errors": True}}),
     "the execution settings changed (allow_errors)"),
    (dict(settings={"book/p": {"allow_errors": False,
                               "matmul_precision": "highest"}}),
     "the execution settings changed (matmul_precision)"),
])
def test_each_kind_of_input_makes_a_page_stale(root, change, reason) -> None:
    assert provenance.reasons_stale(_record(root), _now(root, **change)) == [
        reason]


def test_file_changes_are_named(root) -> None:
    record = _record(root, files={
        "src/m.py": FileState.of(root / "src/m.py"),
        "book/new.csv": FileState(None),
        "book/gone.csv": FileState("0" * 64, 3, 1)})
    (root / "src/m.py").write_text("X = 2\n")
    (root / "book").mkdir()
    (root / "book/new.csv").write_text("1\n")
    assert provenance.reasons_stale(record, _now(root)) == [
        "book/gone.csv was removed", "book/new.csv appeared",
        "src/m.py changed"]


def test_a_file_changed_during_execution_is_never_fresh(root) -> None:
    record = _record(root, files={
        "src/m.py": FileState("changed-during-execution")})
    assert provenance.reasons_stale(record, _now(root)) == [
        "src/m.py changed while the page was executing"]


def test_kept_environment_compares_only_the_project_sources(root) -> None:
    record = _record(root, origin={"bundle": "gpu.tar.gz",
                                   "keep_environment": True},
                     device="NVIDIA H200",
                     files={"src/m.py": FileState.of(root / "src/m.py"),
                            "/elsewhere/cache.npz": FileState("0" * 64)})
    now = _now(root, environment="e2")
    assert provenance.reasons_stale(record, now) == []
    (root / "src/m.py").write_text("X = 3\n")
    now.file_states.clear()
    assert provenance.reasons_stale(record, now) == ["src/m.py changed"]


def test_a_virtual_environment_inside_the_project_is_not_an_input(
        tmp_path) -> None:
    root = tmp_path / "book"
    venv = root / ".venv/lib/python3.11/site-packages"
    assert not provenance.is_recorded_input(
        str(venv / "keras/__init__.py"), [str(root / ".venv")])
    assert provenance.is_recorded_input(str(root / "src/m.py"),
                                        [str(root / ".venv")])


def test_which_files_count_as_inputs(tmp_path) -> None:
    root = tmp_path / "book"
    ignored = provenance.environment_dirs()
    assert provenance.is_recorded_input(str(root / "src/m.py"), ignored)
    assert provenance.is_recorded_input("/home/u/.keras/keras.json", ignored)
    assert not provenance.is_recorded_input(
        str(root / "src/__pycache__/m.cpython-311.pyc"), ignored)
    assert not provenance.is_recorded_input("/proc/cpuinfo", ignored)
    numpy_file = sys.modules["os"].__file__
    assert not provenance.is_recorded_input(numpy_file, ignored)


def test_watched_variables(tmp_path) -> None:
    env = {"XLA_FLAGS": "x", "KERAS_HOME": "/k", "HOME": "/root",
           "CUDA_VISIBLE_DEVICES": "0", "MPLCONFIGDIR": "/m",
           "PYTHONPATH": f"{tmp_path}/src"}
    assert provenance.watched_variables(env, tmp_path) == {
        "KERAS_HOME": "/k", "MPLCONFIGDIR": "/m",
        "PYTHONPATH": "{root}/src", "XLA_FLAGS": "x"}


def test_distributions_are_the_installed_ones() -> None:
    from importlib import metadata

    found = provenance.distributions()
    assert found["nbclient"] == metadata.version("nbclient")
    assert found["numpy"] == metadata.version("numpy")


def test_installed_distributions_are_read_again_only_when_a_site_folder_changes(
        tmp_path, monkeypatch) -> None:
    """Every executed page records them: read once per build, not once per
    page, yet an install (or upgrade) in between is seen."""
    from importlib import metadata

    site = tmp_path / "site-packages"

    def install(name: str, version: str) -> None:
        info = site / f"{name}-{version}.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")

    def age(seconds: int) -> None:  # out of the racy window
        then = time.time_ns() - seconds * 10**9
        os.utime(site, ns=(then, then))

    reads = []
    real = metadata.distributions
    monkeypatch.setattr(provenance, "site_dirs", lambda: [str(site)])
    monkeypatch.setattr(provenance.metadata, "distributions",
                        lambda **kw: reads.append(kw) or real(**kw))
    install("tinydep", "1.0")
    age(60)
    assert provenance.distributions() == {"tinydep": "1.0"}
    assert provenance.distributions() == {"tinydep": "1.0"}
    assert len(reads) == 1
    # pip's upgrade: the old metadata folder goes, the new one comes.
    for old in site.glob("tinydep-*.dist-info"):
        for f in old.iterdir():
            f.unlink()
        old.rmdir()
    install("tinydep", "2.0")
    assert provenance.distributions() == {"tinydep": "2.0"}  # racy: read
    assert provenance.distributions() == {"tinydep": "2.0"}
    assert len(reads) == 3  # within the racy window nothing is kept
    age(30)
    provenance.distributions()
    provenance.distributions()
    assert len(reads) == 4
