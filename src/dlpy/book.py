"""Glue between executed cells and the prose of the book.

The chapters glue every number and figure the code produces into the text
(MyST-NB's ``glue``). These wrappers make the same notebooks run unchanged in
plain Jupyter, where MyST-NB may be absent: there, ``glue`` simply displays
the value when asked to and otherwise does nothing.
"""

from __future__ import annotations

from typing import Any

__all__ = ["glue", "glue_figure"]


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
    try:
        from myst_nb import glue as _myst_glue
    except ImportError:  # plain Jupyter without MyST-NB
        if display:
            from IPython.display import display as _display

            _display(value)
        return
    _myst_glue(name, value, display=display)


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
