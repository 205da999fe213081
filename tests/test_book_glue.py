"""dlpy.book: the glue wrappers the chapters use."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest

from dlpy.book import glue, glue_figure
from dlpy.plotting import new_figure


def test_glue_returns_nothing_so_a_cell_prints_nothing() -> None:
    assert glue("answer", 42) is None


def test_glue_figure_closes_the_figure() -> None:
    fig, _ = new_figure(2, 2)
    assert glue_figure("fig", fig) is None
    assert not plt.fignum_exists(fig.number)


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: glue("", 1), TypeError, "glue: name must be a non-empty"),
        (lambda: glue(3, 1), TypeError, "Received: name=3"),
        (lambda: glue_figure("f", "not a figure"), TypeError,
         r"glue_figure: fig must be a matplotlib Figure. "
         r"Received: type\(fig\)=str"),
    ],
)
def test_bad_input(call, error, match) -> None:
    with pytest.raises(error, match=match):
        call()
