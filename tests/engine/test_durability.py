"""What the engine writes survives an interruption and a crash: an
edition is on disk before it goes live, and a pack or bundle is replaced
whole or not at all."""

from __future__ import annotations

import os
import tarfile
from pathlib import Path

import pytest

from bookengine import bundle, files, publish
from bookengine.engine import Engine


@pytest.fixture
def flushed(monkeypatch) -> list[str]:
    """Every path ``os.fsync`` is called on by the engine's file helpers,
    in order."""
    seen: list[str] = []
    real = os.fsync

    def fsync(fd: int) -> None:
        seen.append(os.readlink(f"/proc/self/fd/{fd}"))
        real(fd)

    monkeypatch.setattr(files.os, "fsync", fsync)
    return seen


def _site(root: Path) -> Path:
    site = root / "site"
    (site / "book" / "_images").mkdir(parents=True)
    (site / "index.html").write_text("<p>home</p>")
    (site / "book" / "page.html").write_text("<p>a page</p>")
    (site / "book" / "_images" / "fig.png").write_bytes(b"\x89PNG")
    return site


def test_an_edition_is_flushed_to_disk_before_it_goes_live(
        tmp_path, flushed, monkeypatch) -> None:
    build = tmp_path / "_build"
    pdf = tmp_path / "book.pdf"
    pdf.write_bytes(b"%PDF-1.5")
    at_swap: list[list[str]] = []
    real_swap = publish._swap_link

    def swap(link: Path, target: str) -> None:
        at_swap.append(list(flushed))
        real_swap(link, target)

    monkeypatch.setattr(publish, "_swap_link", swap)
    edition = publish.publish(build, _site(tmp_path), [pdf])

    before = at_swap[0]  # when `current` was about to point at it
    staged = [p for p in before if ".partial" in p]
    prefix = staged[0].split(".partial")[0] + ".partial"
    names = {os.path.relpath(p, prefix) for p in staged}
    on_disk = {os.path.relpath(os.path.join(d, n), edition)
               for d, dirs, found in os.walk(edition) for n in dirs + found}
    assert on_disk <= names  # every file and folder of the edition
    assert str(build / ".published") in before  # and its rename
    assert (build / "html" / "book" / "page.html").read_text() == \
        "<p>a page</p>"
    # Each link swap is flushed too.
    assert flushed.count(str(build)) >= 3


def test_an_interrupted_pack_leaves_the_last_one_whole(
        make_book, tmp_path, monkeypatch) -> None:
    book = make_book("packed")
    engine = Engine(book.root, say=lambda message: None)
    pack = tmp_path / "pack.tar.gz"
    assert bundle.pack(engine, pack, every=True) == []
    good = pack.read_bytes()

    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(bundle, "_add", interrupted)
    with pytest.raises(KeyboardInterrupt):
        bundle.pack(engine, pack, every=True)
    assert pack.read_bytes() == good
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pack.tar.gz",
                                                          "packed"]
    with tarfile.open(pack) as tar:
        assert tar.getnames() == ["pack.json"]


def test_an_interrupted_bundle_leaves_the_last_one_whole(
        tmp_path, monkeypatch) -> None:
    path = tmp_path / "executed.tar.gz"
    bundle._write_bundle(path, [], {"book/a": "{}"}, {})
    good = path.read_bytes()
    calls = []
    real_add = bundle._add

    def add(tar: tarfile.TarFile, name: str, text: str) -> None:
        calls.append(name)
        if len(calls) == 2:  # after bundle.json, before the notebooks
            raise OSError("disk full")
        real_add(tar, name, text)

    monkeypatch.setattr(bundle, "_add", add)
    with pytest.raises(OSError, match="disk full"):
        bundle._write_bundle(path, [], {"book/a": "{}", "book/b": "{}"}, {})
    assert path.read_bytes() == good
    assert [p.name for p in tmp_path.iterdir()] == ["executed.tar.gz"]
