"""Results that come from elsewhere (a Dask worker, a bundle) are checked
against this checkout's files; a worker's identity is built from the files
git tracks."""

from __future__ import annotations

import subprocess

import pytest

from bookengine.schedule import identity_differences, worker_identity

from .test_dask import cluster  # noqa: F401 - the fixture


@pytest.mark.slow
def test_worker_with_other_data_file(book, make_book,
                                     cluster) -> None:  # noqa: F811
    """The worker runs this project's sources (its identity matches) but
    its copy of a data file differs: the page's outputs must not be used."""
    other = make_book("worker-checkout")
    (other.root / "book/data/greeting.txt").write_text("the worker's text\n")
    cluster.add_worker(other)
    cluster.wait_for_workers(1)
    code, output, _ = book.build("html", "--scheduler", cluster.address)
    assert code != 0, output
    summary = output[output.index("BUILD FAILED"):]
    assert "book/beta.md" in summary
    assert ("book/data/greeting.txt differ(s) between Dask worker "
            "tcp://127.0.0.1:") in summary
    assert not (book.root / "_build/.engine/records/book/beta.json").exists()
    assert (book.root / "_build/.engine/records/book/alpha.json").exists()


@pytest.mark.slow
def test_import_checks_the_inputs_of_pages_kept_from_elsewhere(
        book, make_book, tmp_path) -> None:
    book.build_ok()
    bundle = tmp_path / "pages.tar.gz"
    book.run("export", str(bundle))
    other = make_book("other")
    (other.root / "book/data/greeting.txt").write_text("another text\n")
    code, output, _ = other.run("import", str(bundle), "--keep-environment")
    assert code != 0
    assert ("skipping book/beta.md: book/data/greeting.txt differ(s) between "
            "the machine that executed it and this checkout") in output
    assert "imported 2 of 3 page(s)" in output


def _git(root, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def test_worker_identity_uses_git_tracked_files_only(tmp_path) -> None:
    mine, theirs = tmp_path / "mine", tmp_path / "theirs"
    for root in (mine, theirs):
        (root / "src/pkg").mkdir(parents=True)
        (root / "src/pkg/__init__.py").write_text("VALUE = 1\n")
        (root / ".gitignore").write_text("*.egg-info/\n")
        _git(root, "init", "-q")
        _git(root, "add", ".")
        # Generated, ignored: differs between checkouts for no reason.
        (root / "src/pkg.egg-info").mkdir()
        (root / "src/pkg.egg-info/PKG-INFO").write_text(f"from {root}\n")
    a, b = worker_identity(str(mine), ["src"]), worker_identity(
        str(theirs), ["src"])
    assert sorted(a["files"]) == ["src/pkg/__init__.py"]
    assert identity_differences(a, b) == []
    (theirs / "src/pkg/__init__.py").write_text("VALUE = 2\n")
    assert identity_differences(a, worker_identity(str(theirs), ["src"])) \
        == ["src/pkg/__init__.py differs"]
