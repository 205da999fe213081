"""Executing one page: outputs, failures and the recorded inputs."""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

import nbformat
import pytest
from jupyter_cache.cache.main import JupyterCacheBase

from bookengine import kernel
from bookengine.kernel import Task, execute_page

pytestmark = pytest.mark.slow


@pytest.fixture
def project(tmp_path) -> Path:
    root = tmp_path / "project"
    (root / "src/pkg").mkdir(parents=True)
    (root / "src/pkg/__init__.py").write_text("VALUE = 7\n")
    (root / "src/pkg/unused.py").write_text("X = 0\n")
    (root / "book/data").mkdir(parents=True)
    (root / "book/data/table.csv").write_text("1,2\n")
    return root


def _task(root: Path, *sources: str, tags=None) -> Task:
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {
        "name": "python3", "display_name": "Python 3", "language": "python"}})
    nb.cells = [nbformat.v4.new_markdown_cell("# A page")]
    for source in sources:
        cell = nbformat.v4.new_code_cell(source)
        if tags:
            cell.metadata["tags"] = tags
        nb.cells.append(cell)
    return Task("book/page", "book/page.md", nbformat.writes(nb), str(root),
                timeout=60)


def test_outputs_counts_and_code_hash(project) -> None:
    task = _task(project, "import pkg\npkg.VALUE * 6", "print('second')")
    result = execute_page(task)
    assert result.failure is None
    nb = nbformat.reads(result.notebook, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    # The silent instrumentation before and after is not counted.
    assert [c.execution_count for c in code] == [1, 2]
    assert code[0].outputs[0]["data"]["text/plain"] == "42"
    assert code[1].outputs[0]["text"] == "second\n"
    # jupyter-cache (and so MyST-NB) files it under the page's code hash.
    original = nbformat.reads(task.notebook, as_version=4)
    hashed = JupyterCacheBase.create_hashed_notebook
    assert hashed(None, nb)[1] == hashed(None, original)[1]


def test_cpu_time_counts_every_thread_and_not_waiting(project) -> None:
    # Two threads spinning for 0.6 s of CPU time each, then a 2 s sleep:
    # the kernel's CPU time covers both threads (the clocks are the
    # reference, not the engine) and not the sleep.
    spin = ("import threading, time\n"
            "def spin():\n"
            "    end = time.thread_time() + 0.6\n"
            "    while time.thread_time() < end:\n"
            "        pass\n"
            "threads = [threading.Thread(target=spin) for _ in range(2)]\n"
            "[t.start() for t in threads]; [t.join() for t in threads]\n"
            "time.sleep(2.0)")
    result = execute_page(_task(project, spin))
    assert result.failure is None
    cpu, wall = result.run["cpu_seconds"], result.run["seconds"]
    assert cpu >= 1.2
    assert cpu <= wall - 1.0  # of the sleep, at least 1 s is not counted
    assert "(CPU " in result.summary() and result.summary().startswith(
        f"executed in {wall:.1f} s")


def test_records_what_the_page_read_and_imported(project) -> None:
    result = execute_page(_task(project, "\n".join([
        "import pkg, json, numpy",
        "open('data/table.csv').read()",
        "try:\n    open('data/absent.csv')\nexcept FileNotFoundError:\n"
        "    pass",
        "with open('data/out.txt', 'w') as f:\n    f.write('x')",
        "open('data/out.txt').read()",
    ])))
    assert result.failure is None, result.failure
    files = result.files
    assert files["book/data/table.csv"]["sha256"] is not None
    assert files["book/data/absent.csv"]["sha256"] is None  # an input too
    assert "src/pkg/__init__.py" in files
    assert "src/pkg/unused.py" not in files            # never imported
    assert "book/data/out.txt" not in files            # the page's output
    assert not any("numpy" in name or name.endswith("json/__init__.py")
                   for name in files)                  # covered by versions
    assert result.environment["distributions"]["numpy"]


def test_records_the_directories_the_page_listed(project) -> None:
    (project / "book/data/more").mkdir()
    (project / "src/pkg/sub").mkdir()
    (project / "src/pkg/sub/__init__.py").write_text("")
    result = execute_page(_task(project, "\n".join([
        "import glob, os, pathlib",
        "os.listdir('data')",
        "sorted(pathlib.Path('data/more').iterdir())",
        "glob.glob('../src/*.txt')",
        "import pkg.sub",      # the import system lists src/pkg: not ours
        "from importlib import metadata; metadata.version('nbclient')",
    ])))
    assert result.failure is None, result.failure
    listed = sorted(name for name in result.files if name.endswith("/"))
    assert listed == ["book/data/", "book/data/more/", "src/"]
    assert result.files["book/data/more/"]["sha256"] == hashlib.sha256(
        b"").hexdigest()


def test_an_input_changed_during_execution_is_marked(project) -> None:
    result = execute_page(_task(project, "\n".join([
        "import subprocess",
        "open('data/table.csv').read()",
        # Another process edits the file while the page is running.
        "subprocess.run(['sh', '-c', 'echo 3 >> data/table.csv'])",
    ])))
    assert result.files["book/data/table.csv"]["sha256"] == \
        "changed-during-execution"


def test_a_failing_cell_is_reported_with_its_number(project) -> None:
    result = execute_page(_task(project, "x = 1", "1 / 0", "print('never')"))
    failure = result.failure
    assert failure is not None
    assert failure.cell == 2
    assert failure.cell_source == "1 / 0"
    assert failure.error.startswith("ZeroDivisionError")
    assert "Traceback" in failure.traceback or "----> 1" in failure.traceback
    assert result.files == {}  # nothing is stored for a failed page


def test_a_cell_tagged_raises_exception_may_raise(project) -> None:
    result = execute_page(_task(project, "[][1]", tags=["raises-exception"]))
    assert result.failure is None


def test_the_kernel_is_this_interpreter_whatever_the_user_kernelspecs(
        project, tmp_path, monkeypatch) -> None:
    """A user-level ``python3`` kernelspec must not win over the project's
    interpreter (a bare ``jupyter`` would pick it)."""
    spec = tmp_path / "jupyter-data/kernels/python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": ["/bin/false", "{connection_file}"],
        "display_name": "broken", "language": "python"}))
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "jupyter-data"))
    result = execute_page(_task(project, "import sys\nprint(sys.executable)"))
    assert result.failure is None
    nb = nbformat.reads(result.notebook, as_version=4)
    printed = nb.cells[1].outputs[0]["text"].strip()
    assert os.path.realpath(printed) == os.path.realpath(sys.executable)
    assert result.environment["python"].endswith(
        os.path.realpath(sys.executable))


@pytest.fixture
def fake_gpus(monkeypatch):
    """Two H100s in the device model (no real card here)."""
    from bookengine import devices

    cards = [devices.GPU(str(i), f"GPU-{i}aaa", "NVIDIA H100 80GB HBM3",
                         81559, "9.0", "550.54.15", "12.4") for i in range(2)]
    monkeypatch.setattr(devices, "visible_gpus", lambda *a, **k: cards)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    return cards


#: Printed by a page: what its kernel was started with, and where JAX runs.
PROBE = ("import os\n"
         "for key in ('CUDA_VISIBLE_DEVICES', 'JAX_PLATFORMS',\n"
         "            'XLA_PYTHON_CLIENT_PREALLOCATE'):\n"
         "    print(key, os.environ.get(key, '(unset)'))")


def _printed(result) -> dict[str, str]:
    assert result.failure is None, result.failure
    nb = nbformat.reads(result.notebook, as_version=4)
    text = "".join(out.get("text", "") for cell in nb.cells
                   if cell.cell_type == "code" for out in cell.outputs)
    return dict(line.split(" ", 1) for line in text.splitlines())


def test_gpu_pages_get_one_card_and_no_preallocation(project,
                                                     fake_gpus) -> None:
    """Observed inside the kernel (not in the settings the engine meant to
    give it): a GPU page sees only its card, without JAX's preallocation;
    the device recorded is that card's."""
    task = _task(project, PROBE)
    gpu = execute_page(Task(**{**task.__dict__, "gpu": True,
                               "gpu_index": "GPU-1aaa"}))
    seen = _printed(gpu)
    assert seen["CUDA_VISIBLE_DEVICES"] == "GPU-1aaa"   # its card, by UUID
    assert seen["XLA_PYTHON_CLIENT_PREALLOCATE"] == "false"
    assert gpu.device.startswith("NVIDIA H100 80GB HBM3")


def test_cpu_pages_see_no_gpu_and_jax_runs_on_the_cpu(project,
                                                      fake_gpus) -> None:
    """On a machine with GPUs, a page that asked for none sees none: JAX
    itself reports the CPU."""
    platform = "import jax\nprint('platform', jax.devices()[0].platform)"
    result = execute_page(_task(project, PROBE + "\n" + platform))
    seen = _printed(result)
    assert seen["CUDA_VISIBLE_DEVICES"] == ""
    assert seen["JAX_PLATFORMS"] == "cpu" and seen["platform"] == "cpu"
    assert result.device == "CPU"
