"""dlpy.book: glue writes what MyST-NB's own glue writes, without MyST-NB."""

from __future__ import annotations

import matplotlib.pyplot as plt
import myst_nb.ext.glue as myst_glue
import nbformat
import pytest
from IPython.core.interactiveshell import InteractiveShell

from dlpy.book import glue, glue_figure
from dlpy.plotting import new_figure


@pytest.fixture
def displayed(monkeypatch):
    """What a kernel would receive from ``display``: (data, metadata)."""
    InteractiveShell.instance()  # display() needs a shell, as in a kernel
    shown: list[tuple[dict, dict]] = []

    def display(obj, raw=False, metadata=None):
        assert raw
        shown.append((obj, metadata))

    monkeypatch.setattr("IPython.display.display", display)
    monkeypatch.setattr(myst_glue, "ipy_display", display)
    return shown


@pytest.mark.parametrize("value", [42, 0.125, "text", [1, 2]])
@pytest.mark.parametrize("show", [False, True])
def test_glue_writes_exactly_what_myst_nb_writes(displayed, value,
                                                 show) -> None:
    assert glue("key", value, display=show) is None  # a cell prints nothing
    myst_glue.glue("key", value, display=show)
    ours, theirs = displayed
    assert ours == theirs


def test_myst_nb_reads_the_glued_value(displayed) -> None:
    glue("answer", 42)
    data, metadata = displayed[0]
    cell = nbformat.v4.new_code_cell(outputs=[nbformat.v4.new_output(
        "display_data", data=data, metadata=metadata)])
    found = dict(myst_glue.extract_glue_data_cell(cell))
    assert found["answer"]["data"]["text/plain"] == "42"


def test_glue_figure_closes_the_figure(displayed) -> None:
    fig, _ = new_figure(2, 2)
    assert glue_figure("fig", fig) is None
    assert not plt.fignum_exists(fig.number)
    myst_glue.glue("fig", fig, display=False)
    ours, theirs = displayed
    assert ours == theirs


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
