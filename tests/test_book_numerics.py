"""The book's claims under a GPU's default numerics, checked on a CPU.

On an H100, ``book/ch02/first-network.md`` as it was at commit 96403a4
failed its hidden claim in code cell 29 (a float64 softmax against Keras's
predictions, ``atol=1e-5``) because XLA multiplied in TF32. ``--numerics
tf32`` rounds every matrix product's operands the same way on this CPU:
the old page must fail there for that reason, and the book as it is now
must pass.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BOOK_CLI = REPO / "tools" / "book"
OLD = "96403a4"   # the commit that ran on the H100 (issue 16)


def _engine(root: Path, *args: str, timeout: float = 900
            ) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("MPLBACKEND", None)      # the suite's, not the kernels'
    env.pop("DLPY_NUMERICS", None)
    return subprocess.run([sys.executable, str(BOOK_CLI), "--root", str(root),
                           *args], capture_output=True, text=True, env=env,
                          timeout=timeout)


@pytest.mark.slow
def test_tf32_reproduces_the_h100_failure_of_the_old_first_network_page(
        tmp_path: Path) -> None:
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", OLD, "src",
         "book/ch02/first-network.md", "_config.yml", "book/references.bib"],
        capture_output=True, check=True).stdout
    root = tmp_path / "old"
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(root, filter="data")
    # The old sources, plus only what runs the policy: today's numerics
    # module and engine settings.
    shutil.copy(REPO / "src/dlpy/numerics.py", root / "src/dlpy/numerics.py")
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    (root / "_toc.yml").write_text(
        "format: jb-book\nroot: book/ch02/first-network\n")
    result = _engine(root, "--numerics", "tf32", "execute", "--jobs", "1")
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-3000:]
    assert "book/ch02/first-network.md" in output
    assert "code cell 29" in output, output[-3000:]
    assert "np.allclose(by_formula, predictions, atol=1e-5)" in output


@pytest.mark.slow
def test_every_claim_of_the_book_holds_under_tf32() -> None:
    """Executes the book with TF32 emulated, in its own store
    (``_build/.engine-tf32``): incremental like the native build."""
    result = _engine(REPO, "--numerics", "tf32", "execute")
    assert result.returncode == 0, (result.stdout + result.stderr)[-6000:]
