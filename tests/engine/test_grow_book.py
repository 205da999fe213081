"""The generator of large books for the scale benchmark
(``benchmarks/grow_book.py``): a grown test book builds, every generated
page executes, glues its number and links the page before it."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.slow

GROW = Path(__file__).resolve().parents[2] / "benchmarks" / "grow_book.py"


def load_grow():
    spec = importlib.util.spec_from_file_location("grow_book", GROW)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_grown_book_builds_and_its_pages_glue_their_numbers(book) -> None:
    names = load_grow().grow(book.root, 3)
    assert names == [f"book/generated/page-00{i}" for i in (1, 2, 3)]
    output, _ = book.build_ok("html", "--jobs", "2")
    for number, name in enumerate(names, 1):
        assert f"{name}.md: executed in" in output
        # The page's computation, done here with NumPy.
        x = np.arange(number % 5 + 2, dtype=float)
        total = float((x + number).sum())
        text = book.html(name.removeprefix("book/"))
        assert f"the sum is {total}." in text, text
        if number > 1:
            assert f"It follows Generated page {number - 1}." in text
    code, status, _ = book.run("status")
    assert "6 executed page(s): 6 fresh, 0 stale" in status
