"""What the kernel's instrumentation attributes to the page: the page's own
code and project modules, not the installed distributions it calls."""

from __future__ import annotations

from pathlib import Path

import pytest

from bookengine.kernel import execute_page

from .test_kernel import _task, project  # noqa: F401 - the fixture

pytestmark = pytest.mark.slow


def test_a_connection_made_by_page_code_is_unobserved(
        project: Path) -> None:  # noqa: F811
    result = execute_page(_task(project, "\n".join([
        "import socket",
        "server = socket.create_server(('127.0.0.1', 0))",
        "port = server.getsockname()[1]",
        "client = socket.create_connection(('127.0.0.1', port))",
        "client.close(); server.close()",
    ])))
    assert result.failure is None, result.failure
    assert any(u.startswith("socket.connect 127.0.0.1 ")
               for u in result.unobserved), result.unobserved


def test_a_project_module_counts_as_page_code(
        project: Path) -> None:  # noqa: F811
    (project / "src/pkg/tool.py").write_text(
        "import subprocess\n\n"
        "def run():\n"
        "    return subprocess.run(['true']).returncode\n")
    result = execute_page(_task(project, "from pkg import tool\ntool.run()"))
    assert result.failure is None, result.failure
    assert result.unobserved == ["subprocess.Popen true"]


def test_installed_distributions_are_the_environment(
        project: Path) -> None:  # noqa: F811
    """IPython (an installed distribution) runs a subprocess and checks
    paths on the page's behalf: neither is the page's."""
    result = execute_page(_task(project, "\n".join([
        "from IPython.utils.process import getoutput",
        "getoutput('true')",
        "from IPython.paths import get_ipython_dir",
        "get_ipython_dir()",
    ])))
    assert result.failure is None, result.failure
    assert result.unobserved == []
    assert not any(name.startswith(("~/", "/")) for name in result.files
                   if "ipython" in name.lower()), sorted(result.files)


def test_a_folder_checked_but_not_listed_counts_by_its_existence(
        project: Path) -> None:  # noqa: F811
    task = _task(project, "import os\nos.path.isdir('data')")
    first = execute_page(task)
    assert first.failure is None, first.failure
    assert first.files["book/data"]["sha256"] == "directory"
    (project / "book/data/new.csv").write_text("3,4\n")
    again = execute_page(task)
    assert again.files["book/data"] == first.files["book/data"]
