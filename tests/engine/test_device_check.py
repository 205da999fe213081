"""The kernel's epilogue reports what JAX really used: a page sent to a GPU
whose JAX ran on the CPU fails (and the other way round), and the time and
device a page shows its reader are those of the record and the terminal.

JAX is replaced, inside the kernel, by a fake ``jax`` package on the page's
path that reports the platform ``$FAKE_JAX_PLATFORM``; the machine's GPUs
by a fake ``nvidia-smi``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest

from bookengine.build_record import write_build_record
from bookengine.kernel import execute_page
from bookengine.provenance import Record
from bookengine.records import Task

from .test_devices import H100, install_smi

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]

FAKE_JAX = '''
import os
__version__ = "0.0+fake"
class _Device:
    platform = os.environ.get("FAKE_JAX_PLATFORM", "cpu")
    device_kind = ("NVIDIA H100 80GB HBM3" if platform == "gpu" else "cpu")
    def __str__(self):
        return f"{self.platform}:0"
def devices():
    return [_Device()]
class config:
    jax_default_matmul_precision = os.environ.get("FAKE_JAX_PRECISION")
    jax_enable_x64 = False
'''


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    root = tmp_path / "project"
    (root / "src/jax").mkdir(parents=True)
    (root / "src/jax/__init__.py").write_text(FAKE_JAX)
    (root / "book").mkdir()
    # The kernel imports this checkout's dlpy (its Run.summary()).
    monkeypatch.setenv("PYTHONPATH", str(REPO / "src"))
    install_smi(tmp_path / "bin", monkeypatch, [
        f"0, GPU-aaaa1111, {H100}, 81559, 9.0, 550.54.15"])
    monkeypatch.setitem(__import__("sys").modules, "pynvml", None)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    return root


PAGE = ("import time\n"
        "import jax\n"
        "import dlpy.runtime\n"
        "run = dlpy.runtime.start_run(seed=0)\n"
        "time.sleep(0.3)\n"
        "jax.devices()",
        "print(run.summary())")


def _task(root: Path, gpu: bool) -> Task:
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {
        "name": "python3", "display_name": "Python 3", "language": "python"}})
    nb.cells = [nbformat.v4.new_code_cell(source) for source in PAGE]
    return Task("book/page", "book/page.md", nbformat.writes(nb), str(root),
                timeout=60, gpu=gpu)


def test_a_gpu_page_whose_jax_runs_on_the_cpu_fails(project,
                                                    monkeypatch) -> None:
    monkeypatch.setenv("FAKE_JAX_PLATFORM", "cpu")  # a jaxlib without CUDA
    result = execute_page(_task(project, gpu=True))
    assert result.failure is not None
    assert result.failure.error == (
        "DeviceMismatch: book/page.md was sent to GPU 0 (NVIDIA H100 80GB "
        "HBM3, GPU-aaaa1111) but its JAX ran on cpu (cpu)")
    assert result.device == H100


def test_a_cpu_page_whose_jax_runs_on_a_gpu_fails(project,
                                                  monkeypatch) -> None:
    monkeypatch.setenv("FAKE_JAX_PLATFORM", "gpu")
    result = execute_page(_task(project, gpu=False))
    assert result.failure is not None
    assert result.failure.error.startswith(
        "DeviceMismatch: book/page.md was sent to the CPU but its JAX ran "
        f"on gpu ({H100})")


def test_the_page_the_record_and_the_terminal_agree(project,
                                                    monkeypatch) -> None:
    monkeypatch.setenv("FAKE_JAX_PLATFORM", "gpu")
    monkeypatch.setenv("FAKE_JAX_PRECISION", "highest")
    result = execute_page(_task(project, gpu=True))
    assert result.failure is None, result.failure
    nb = nbformat.reads(result.notebook, as_version=4)
    line = nb.cells[-1].outputs[0]["text"].strip()
    match = re.fullmatch(r"Executed on (.+) in ([0-9.]+) s", line)
    assert match, line
    shown_device, shown_seconds = match.groups()
    assert shown_device == H100
    # The page slept 0.3 s between start_run and summary; the kernel's
    # whole life (start-up, imports) is longer and recorded apart.
    assert 0.3 <= result.run["seconds"] < result.run["kernel_seconds"]
    assert f"{result.run['seconds']:.1f}" == shown_seconds
    assert result.summary().startswith(f"executed in {shown_seconds} s")
    assert result.summary().endswith(f" on {shown_device}")
    details = result.run["device"]
    assert details["platform"] == "gpu" and details["model"] == H100
    assert (details["compute_capability"], details["driver"],
            details["cuda"]) == ("9.0", "550.54.15", "12.4")
    assert details["jax"] == "0.0+fake"
    assert details["matmul_precision"] == "highest"

    # The build record: the same seconds and device, and the details.
    record = Record(result.page, result.source, "code", {}, "env",
                    result.device, result.run)
    path = project / "record.json"
    write_build_record(path, [record], lambda digest: {}, {}, [record.page])
    table = json.loads(path.read_text())["markdown"]
    row = next(r for r in table.splitlines() if "/book/page" in r)
    cells = [c.strip() for c in row.split("|")]
    assert cells[3].startswith(f"{H100} (compute capability 9.0, driver "
                               "550.54.15, CUDA 12.4")
    assert "matmul precision highest" in cells[3]
    assert cells[4] == "JAX's default"      # what the build asked for
    assert cells[5] == shown_seconds


def test_a_jax_that_cannot_list_its_devices_fails_the_page(
        project, monkeypatch) -> None:
    (project / "src/jax/__init__.py").write_text(
        "def devices():\n    raise RuntimeError('no backend')\n")
    task = _task(project, gpu=True)
    nb = nbformat.reads(task.notebook, as_version=4)
    nb.cells = [nbformat.v4.new_code_cell("import jax")]
    task.notebook = nbformat.writes(nb)
    result = execute_page(task)
    assert result.failure is not None
    assert result.failure.error == (
        "DeviceUnknown: book/page.md imported JAX, but jax.devices() failed "
        "after its last cell: RuntimeError: no backend")
