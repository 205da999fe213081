"""``tools/remote.sh check``, every step a CPU can run: the pages "on the
GPU" (here: the machine's own devices), the same pages CPU-only, a quick
``bench.py``, and the one table, on the test book."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def test_check_runs_both_passes_and_the_bench_into_one_table(
        book, tmp_path) -> None:
    pack = tmp_path / "pages.tar.gz"
    code, output, _ = book.run("pack", str(pack), "--all")
    assert code == 0, output
    out = tmp_path / "out"
    env = {**book.env, "PYTHON": sys.executable, "NO_INSTALL": "1",
           "BOOK_ROOT": str(book.root), "PAGES": str(pack), "OUT": str(out),
           "BENCH_ARGS": "--quick"}
    env.pop("CUDA_VISIBLE_DEVICES", None)
    proc = subprocess.run(["bash", str(REPO / "tools" / "remote.sh"),
                           "check", "2"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-5000:]
    # Each page executed once per pass.
    assert book.executions() == ["alpha", "alpha", "beta", "beta", "gamma",
                                 "gamma"]
    with tarfile.open(out / "executed.tar.gz") as tar:
        gpu_pass = json.loads(tar.extractfile("bundle.json").read())
    assert sorted(p["source"] for p in gpu_pass["pages"]) == [
        "book/alpha.md", "book/beta.md", "book/gamma.md"]

    data = json.loads((out / "check.json").read_text())
    assert data["passed"] is True
    rows = {row["page"]: row for row in data["pages"]}
    assert sorted(rows) == ["book/alpha", "book/beta", "book/gamma"]
    with tarfile.open(out / "executed-cpu.tar.gz") as tar:
        cpu_pass = json.loads(tar.extractfile("bundle.json").read())
    for entry in cpu_pass["pages"]:
        row = rows[entry["page"]]
        assert row["cpu"]["passed"] and row["gpu"]["passed"]
        assert row["cpu"]["device"] == "CPU"
        assert row["cpu"]["seconds"] == entry["run"]["seconds"]
    # The CPU pass hid the GPUs: its gamma (gpu: 1) saw none.
    gamma = next(e for e in cpu_pass["pages"] if e["page"] == "book/gamma")
    assert gamma["run"]["device"]["uuid"] is None
    assert data["wall_seconds"]["gpu"] == gpu_pass["execution"][
        "wall_seconds"]
    assert data["wall_seconds"]["cpu"] == cpu_pass["execution"][
        "wall_seconds"]
    bench = json.loads((out / "bench.json").read_text())
    assert bench["quick"] is True
    assert data["bench"]["keras_vs_jax_ratio"] == pytest.approx(
        bench["keras_fit_s"] / bench["jax_loop_s"])

    table = (out / "check.md").read_text()
    assert "| book/alpha | CPU |" in table
    assert f"GPU pass {data['wall_seconds']['gpu']:.1f} s" in table
    assert "Keras / JAX = " in table and "(quick run)" in table
    assert "All pages passed on both." in table


def test_the_table_shows_a_failure(tmp_path) -> None:
    """check-report from two hand-made bundles: a page that failed on the
    GPU is marked FAILED with its cell, and the exit status says so."""
    def bundle(path: Path, pages: list[dict], failures: list[dict]) -> None:
        import io

        text = json.dumps({"host": "box", "pages": pages,
                           "failures": failures,
                           "execution": {"wall_seconds": 12.5}}).encode()
        with tarfile.open(path, "w:gz") as tar:
            info = tarfile.TarInfo("bundle.json")
            info.size = len(text)
            tar.addfile(info, io.BytesIO(text))

    ok = {"page": "book/a", "source": "book/a.md", "device": "CPU",
          "run": {"seconds": 3.25}}
    bad = {"page": "book/a", "source": "book/a.md", "device": "H100",
           "run": {"kernel_seconds": 4.0},
           "failure": {"cell": 29, "error": "AssertionError: "}}
    bundle(tmp_path / "gpu.tar.gz", [], [bad])
    bundle(tmp_path / "cpu.tar.gz", [ok], [])
    proc = subprocess.run(
        [sys.executable, str(REPO / "tools" / "book"), "check-report",
         "--gpu", str(tmp_path / "gpu.tar.gz"), "--cpu",
         str(tmp_path / "cpu.tar.gz"), "--out", str(tmp_path / "out")],
        capture_output=True, text=True, timeout=60,
        env={**os.environ, "PYTHONPATH": str(REPO / "tools")})
    assert proc.returncode == 1, proc.stdout + proc.stderr
    table = (tmp_path / "out" / "check.md").read_text()
    assert ("| book/a | H100 | 4.0 | FAILED (cell 29: AssertionError: ) "
            "| CPU | 3.2 | passed |") in table
    assert "Some pages FAILED" in table
