"""dlpy.book: what glue stores is what MyST-NB's own glue stores, and
MyST-NB reads the value back from a notebook cell."""

from __future__ import annotations

import base64
import io

import matplotlib.image
import matplotlib.pyplot as plt
import myst_nb.ext.glue as myst_glue
import nbformat
import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.core.pylabtools import select_figure_formats

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


def read_back(data: dict, metadata: dict) -> dict:
    """The glued values MyST-NB finds in a cell holding this output."""
    cell = nbformat.v4.new_code_cell(outputs=[nbformat.v4.new_output(
        "display_data", data=data, metadata=metadata)])
    return dict(myst_glue.extract_glue_data_cell(cell))


@pytest.mark.parametrize("value", [42, 0.125, "text", [1, 2]])
@pytest.mark.parametrize("show", [False, True])
def test_glue_writes_exactly_what_myst_nb_writes(displayed, value, show):
    glue("key", value, display=show)
    myst_glue.glue("key", value, display=show)
    ours, theirs = displayed
    assert ours == theirs


@pytest.mark.parametrize("value", [42, 0.125, "text", [1, 2]])
def test_myst_nb_reads_the_glued_value(displayed, value):
    glue("answer", value)
    found = read_back(*displayed[0])
    assert found["answer"]["data"]["text/plain"] == repr(value)


def test_glue_figure_stores_the_picture_and_closes_the_figure(displayed):
    # What a kernel's inline backend sets up: figures displayed as PNG.
    select_figure_formats(InteractiveShell.instance(), {"png"})
    fig, ax = new_figure(2, 1)
    ax.imshow([[0, 1]], cmap="gray", vmin=0, vmax=1)  # black, then white
    ax.axis("off")
    glue_figure("fig", fig)
    assert not plt.fignum_exists(fig.number)
    png = read_back(*displayed[0])["fig"]["data"]["image/png"]
    picture = matplotlib.image.imread(io.BytesIO(base64.b64decode(png)))
    height, width = picture.shape[:2]
    row = picture[height // 2, :, :3].min(axis=-1)
    # The figure's own picture: a black left half and a white right half.
    assert row[width // 3] == 0.0 and row[2 * width // 3] == 1.0
    myst_glue.glue("fig", fig, display=False)
    assert displayed[0] == displayed[1]


BAD_INPUTS = [
    (glue, ("", 1), TypeError,
     "glue: name must be a non-empty string. Received: name=''"),
    (glue, (3, 1), TypeError,
     "glue: name must be a non-empty string. Received: name=3"),
    (glue_figure, ("f", "not a figure"), TypeError,
     "glue_figure: fig must be a matplotlib Figure. Received: type(fig)=str"),
]


def test_bad_input_is_refused_with_a_clear_message(bad_input):
    bad_input.check()
