"""Executed pages moved between machines: export/import and pack/run-pack."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def test_export_then_import_executes_nothing(book, make_book,
                                             tmp_path) -> None:
    book.build_ok()
    bundle = tmp_path / "pages.tar.gz"
    code, output, _ = book.run("export", str(bundle))
    assert code == 0, output

    other = make_book("other-checkout")
    code, output, _ = other.run("import", str(bundle))
    assert code == 0 and "imported 3 of 3 page(s)" in output, output
    other.build_ok()
    assert other.executions() == []
    assert "The package says 1." in other.html("alpha")
    assert "imported from pages.tar.gz" in other.html("record")


def test_import_skips_pages_whose_code_changed(book, make_book,
                                               tmp_path) -> None:
    book.build_ok()
    bundle = tmp_path / "pages.tar.gz"
    book.run("export", str(bundle))
    other = make_book("edited")
    other.edit("book/alpha.md", "glue(\"value\"", "glue( \"value\"")
    code, output, _ = other.run("import", str(bundle))
    assert "skipping book/alpha.md: its code cells changed" in output
    other.build_ok()
    assert other.executions() == ["alpha"]


def test_environment_is_compared_unless_kept(book, make_book,
                                             tmp_path) -> None:
    book.build_ok()
    bundle = tmp_path / "pages.tar.gz"
    book.run("export", str(bundle))
    elsewhere = {"XLA_FLAGS": "--xla_force_host_platform_device_count=2"}

    cache_use = make_book("ci-cache")
    cache_use.run("import", str(bundle))
    code, status, _ = cache_use.run("status", env=elsewhere)
    assert "stale: the environment changed" in status

    kept = make_book("gpu-results")
    kept.run("import", str(bundle), "--keep-environment")
    code, status, _ = kept.run("status", env=elsewhere)
    assert "3 fresh, 0 stale" in status, status
    kept.edit("src/tinypkg/__init__.py", "VALUE = 1", "VALUE = 4")
    code, status, _ = kept.run("status", env=elsewhere)
    assert "book/alpha.md  stale: src/tinypkg/__init__.py changed" in status


BLOCKED = ("sphinx", "myst_nb", "myst_parser", "jupyter_book",
           "jupyter_cache", "sqlalchemy", "yaml")


def test_pack_runs_where_only_the_kernel_is_installed(book, make_book,
                                                      tmp_path) -> None:
    pack = tmp_path / "pack.tar.gz"
    code, output, _ = book.run("pack", str(pack), "--all")
    assert code == 0 and "packed 3 page(s)" in output, output

    # The "GPU box": another checkout, and a process that cannot import
    # Sphinx, MyST-NB, jupyter-cache or PyYAML.
    box = make_book("gpu-box")
    bundle = tmp_path / "executed.tar.gz"
    script = (
        "import sys\n"
        f"for name in {BLOCKED!r}:\n"
        "    sys.modules[name] = None\n"
        f"sys.path.insert(0, {str(REPO / 'tools')!r})\n"
        "from bookengine.cli import main\n"
        "sys.exit(main())\n")
    proc = subprocess.run(
        [sys.executable, "-c", script, "--root", str(box.root), "run-pack",
         str(pack), str(bundle)], capture_output=True, text=True,
        env=box.env, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "run-pack: 3 page(s) executed, 0 failed" in proc.stdout
    assert box.executions() == ["alpha", "beta", "gamma"]

    code, output, _ = book.run("import", str(bundle), "--keep-environment")
    assert code == 0, output
    output, _ = book.build_ok()
    assert book.executions() == []
    assert "The package says 1." in book.html("alpha")
