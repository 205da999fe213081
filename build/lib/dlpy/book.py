"""Glue between executed cells and the prose of the book.

The chapters glue every number and figure the code produces into the text.
:func:`glue` writes exactly the output MyST-NB's own ``glue`` writes (a
display output whose metadata names the key; hidden values under the
``application/papermill.record/`` prefix), with IPython alone. So a page
executed where MyST-NB is not installed (plain Jupyter, a bare GPU machine
that only has the kernel) still carries its glued values to the book, and a
reader's Jupyter shows only what was meant to be shown.
"""

from __future__ import annotations

from typing import Any

__all__ = ["glue", "glue_figure"]

#: MyST-NB's prefix for glued values that are stored but not displayed.
GLUE_PREFIX = "application/papermill.record/"


def glue(name: str, value: Any, display: bool = False) -> None:
    """Store ``value`` under ``name`` so the prose can show it.

    Args:
        name: the glue key, used in the text as ``{glue:text}`name```.
        value: any object with a text (or image) representation.
        display: also show the value in the cell's output.

    Returns nothing, so that a ``glue(...)`` call ending a cell does not also
    print the value as the cell's output.

    Raises:
        TypeError: if ``name`` is not a non-empty string.

    Example:
        >>> glue("answer", 42)
    """
    if not isinstance(name, str) or not name:
        raise TypeError(
            f"glue: name must be a non-empty string. Received: name={name!r}"
        )
    from IPython.core.formatters import format_display_data
    from IPython.display import display as _display

    mimebundle, metadata = format_display_data(value)
    prefix = "" if display else GLUE_PREFIX
    metadata["scrapbook"] = {"name": name, "mime_prefix": prefix}
    _display({prefix + k: v for k, v in mimebundle.items()}, raw=True,
             metadata=metadata)


def glue_figure(name: str, fig: Any) -> None:
    """Glue a Matplotlib figure for a ``{glue:figure}`` directive and close it.

    Closing keeps the inline backend from showing the figure a second time
    at the end of the cell.

    Args:
        name: the glue key named by the ``{glue:figure}`` directive.
        fig: a ``matplotlib.figure.Figure``.

    Returns nothing: a returned figure ending a cell would be shown twice.

    Raises:
        TypeError: if ``fig`` is not a Matplotlib figure.
    """
    from matplotlib.figure import Figure
    import matplotlib.pyplot as plt

    if not isinstance(fig, Figure):
        raise TypeError(
            "glue_figure: fig must be a matplotlib Figure. "
            f"Received: type(fig)={type(fig).__name__}"
        )
    glue(name, fig, display=False)
    plt.close(fig)
