"""Fresh kernels started ahead of need (bookengine.kernels): each page
still gets a kernel of its own, started with exactly its environment,
folder and set-up; a spare overlaps with the page before it; nothing is
left running after a build, even an interrupted one."""

from __future__ import annotations

import concurrent.futures as cf
import inspect
import os
import threading
import time
from pathlib import Path

import nbformat
import pytest

from bookengine import provenance
from bookengine.kernel import execute_page
from bookengine.kernels import Kernels
from bookengine.records import Task
from bookengine.schedule import run_local

pytestmark = pytest.mark.slow


def kernel_processes(parent: int | None = None) -> list[int]:
    """The ipykernels among ``parent``'s children (default: this
    process's)."""
    parent = os.getpid() if parent is None else parent
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == parent and \
                b"ipykernel_launcher" in cmdline:
            found.append(int(entry.name))
    return found


@pytest.fixture
def project(tmp_path) -> Path:
    root = tmp_path / "project"
    (root / "src/pkg").mkdir(parents=True)
    (root / "src/pkg/__init__.py").write_text("")
    (root / "src/pkg/setup.py").write_text("def run():\n    pass\n")
    (root / "book").mkdir()
    return root


def task(root: Path, name: str, *cells: str, **kw) -> Task:
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {
        "name": "python3", "display_name": "Python 3", "language": "python"}})
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    return Task(f"book/{name}", f"book/{name}.md", nbformat.writes(nb),
                str(root), timeout=60, **kw)


def outputs(result) -> list[str]:
    assert result.failure is None, result.failure
    nb = nbformat.reads(result.notebook, as_version=4)
    return ["".join(o.get("text", "") for o in c.outputs).strip()
            for c in nb.cells]


#: A cell that waits (up to 30 s) until its engine has started one more
#: kernel than this one, then prints how many ipykernels the engine runs.
WAIT_FOR_SPARE = ("import os, time\nfrom pathlib import Path\n\n"
                  + inspect.getsource(kernel_processes) + """
deadline = time.monotonic() + 30
while len(kernel_processes(os.getppid())) < 2 and \\
        time.monotonic() < deadline:
    time.sleep(0.05)
print(len(kernel_processes(os.getppid())))
""")


def test_the_next_kernel_starts_while_a_page_runs_and_each_page_is_fresh(
        project) -> None:
    first = task(project, "first", WAIT_FOR_SPARE,
                 "import os\nmarker = 1\nos.environ['LEAKED'] = '1'\n"
                 "print(os.getpid())")
    second = task(project, "second",
                  "import os\nprint('marker' in globals(), "
                  "os.environ.get('LEAKED'), os.getpid())")
    results = {r.page: r for r in run_local([first, second], 1, print,
                                            gpus=[])}
    # While the first page ran (one job), the second's kernel was starting.
    spare_seen, first_pid = outputs(results["book/first"])
    assert spare_seen == "2"
    marker, leaked, second_pid = outputs(results["book/second"])[0].split()
    assert (marker, leaked) == ("False", "None")
    assert second_pid != first_pid
    assert kernel_processes() == []


def test_a_spare_goes_only_to_a_page_with_its_environment(project) -> None:
    one = task(project, "one", "import os\nprint(os.environ['SETTING'])",
               variables={"SETTING": "a"})
    same = task(project, "same", "import os\nprint(os.environ['SETTING'])\n"
                "# differs from page one", variables={"SETTING": "a"})
    other = task(project, "other", "import os\nprint(os.environ['SETTING'])",
                 variables={"SETTING": "b"})
    with Kernels(expected=3, ahead=1) as kernels:
        assert outputs(execute_page(one, kernels=kernels)) == ["a"]
        assert outputs(execute_page(same, kernels=kernels)) == ["a"]
        assert kernels.reused == 1
        # The spare started for "same"'s settings is shut down unused.
        assert outputs(execute_page(other, kernels=kernels)) == ["b"]
        assert (kernels.started, kernels.reused) == (4, 1)
    assert kernel_processes() == []


def test_a_spare_started_in_another_folder_is_not_used(project) -> None:
    (project / "book/ch").mkdir()
    here = task(project, "here", "import os\nprint(os.getcwd())")
    there = Task("book/ch/there", "book/ch/there.md",
                 task(project, "x", "import os\nprint(os.getcwd())\n# 2")
                 .notebook, str(project), timeout=60)
    with Kernels(expected=2, ahead=1) as kernels:
        assert outputs(execute_page(here, kernels=kernels)) == [
            str(project / "book")]
        assert outputs(execute_page(there, kernels=kernels)) == [
            str(project / "book/ch")]
        assert kernels.reused == 0


def test_an_input_edited_after_the_spare_read_it_counts_as_changed(
        project) -> None:
    """The spare runs the page's set-up (here importing src/pkg/setup.py)
    before the page is given it: an edit in between is caught."""
    first = task(project, "first", "1", setup="pkg.setup:run")
    second = task(project, "second", "2", setup="pkg.setup:run")
    with Kernels(expected=2, ahead=1) as kernels:
        result = execute_page(first, kernels=kernels)
        assert result.failure is None
        assert result.files["src/pkg/setup.py"]["sha256"] != \
            provenance.CHANGED_DURING_RUN
        assert kernels.wait_for_spares() == 1
        (project / "src/pkg/setup.py").write_text(
            "def run():\n    pass  # edited\n")
        result = execute_page(second, kernels=kernels)
    assert result.failure is None
    assert result.files["src/pkg/setup.py"]["sha256"] == \
        provenance.CHANGED_DURING_RUN


def test_an_interrupted_build_leaves_no_kernel_running(project) -> None:
    tasks = [task(project, f"p{i}", f"print({i})") for i in range(4)]
    results = run_local(tasks, 2, print, gpus=[])
    assert next(results).failure is None
    assert kernel_processes()  # pages and spares are running
    results.close()  # the build stops after its first page
    assert kernel_processes() == []


def test_a_kernel_that_dies_fails_its_page_only(project) -> None:
    dying = task(project, "dying", "import os\nos._exit(3)")
    after = task(project, "after", "print('fine')")
    results = {r.page: r for r in run_local([dying, after], 1, print,
                                            gpus=[])}
    assert "DeadKernelError" in results["book/dying"].failure.error
    assert outputs(results["book/after"]) == ["fine"]
    assert kernel_processes() == []


def test_closing_while_a_page_runs_cancels_it_and_stops_its_kernel(
        project, tmp_path) -> None:
    """A build interrupted twice (its threads still waiting for pages): the
    waiting thread gets an error or a failed page instead of hanging on a
    stopped loop, and the page's kernel is shut down."""
    started = tmp_path / "started"
    slow = task(project, "slow", "from pathlib import Path\nimport time\n"
                f"Path({str(started)!r}).touch()\ntime.sleep(120)")
    kernels = Kernels(expected=1)
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["result"] = execute_page(slow, kernels=kernels)
        except BaseException as err:  # noqa: BLE001 - what the test checks
            outcome["error"] = err

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.monotonic() + 60
    while not started.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert started.exists(), "the page never started"
    kernels.close()
    thread.join(timeout=30)
    assert not thread.is_alive()
    if "result" in outcome:  # nbclient saw its kernel go
        assert outcome["result"].failure is not None
    else:
        assert isinstance(outcome["error"], cf.CancelledError), outcome
    assert kernel_processes() == []
