"""The look shared by every figure: an opaque white background (readable
when the website is in dark mode), one DPI for HTML and PDF, one palette."""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

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


def new_figure(width: float = 6.0, height: float = 4.0,
               **subplots_kwargs: Any) -> tuple[Figure, Any]:
    """A figure and its axes (as ``plt.subplots`` returns them) in the
    book's style; ``subplots_kwargs`` go to ``plt.subplots``."""
    fig, ax = plt.subplots(figsize=(width, height), dpi=150,
                           layout="constrained", **subplots_kwargs)
    fig.patch.set_facecolor(COLORS["paper"])
    fig.patch.set_alpha(1.0)
    return fig, ax
