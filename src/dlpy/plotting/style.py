"""The look shared by every figure in the book.

Figures have an opaque white background so that they stay readable when the
website is in dark mode, a fixed DPI so the HTML and the PDF agree, and one
small palette used throughout both chapters.
"""

from __future__ import annotations

import matplotlib.pyplot as plt

__all__ = ["COLORS", "new_figure"]

#: The book's palette, named by role rather than by raw colour.
COLORS = {
    "primary": "#1f5fa8",
    "secondary": "#d1495b",
    "accent": "#edae49",
    "positive": "#2e8540",
    "muted": "#7a7a7a",
    "ink": "#222222",
    "paper": "#ffffff",
}


def new_figure(width: float = 6.0, height: float = 4.0, **subplots_kwargs):
    """Create a figure and axes with the book's style.

    Args:
        width: figure width in inches.
        height: figure height in inches.
        **subplots_kwargs: passed to ``matplotlib.pyplot.subplots``
            (``nrows``, ``ncols``, ``subplot_kw``, ...).

    Returns:
        ``(fig, ax)`` as returned by ``plt.subplots``.

    Raises:
        ValueError: if ``width`` or ``height`` is not positive.

    Example:
        >>> fig, ax = new_figure(3, 2)
        >>> fig.get_facecolor()[:3]
        (1.0, 1.0, 1.0)
        >>> plt.close(fig)
    """
    if not (width > 0 and height > 0):
        raise ValueError(
            "new_figure: width and height must be positive. "
            f"Received: width={width}, height={height}"
        )
    fig, ax = plt.subplots(
        figsize=(width, height),
        dpi=150,
        layout="constrained",
        **subplots_kwargs,
    )
    fig.patch.set_facecolor(COLORS["paper"])
    fig.patch.set_alpha(1.0)
    return fig, ax
