"""Figures of section 2.3.5-2.3.6: points, vectors and point sets before
and after the transforms that :mod:`dlpy.geometry` computes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from numpy.typing import ArrayLike, NDArray

from dlpy import _checks as checks
from dlpy.plotting.style import COLORS, new_figure

__all__ = [
    "plot_points_and_arrow",
    "plot_representations",
    "plot_stages",
    "plot_transform",
    "plot_vector_sum",
]

_STAGE_COLORS = ("muted", "primary", "secondary", "positive", "accent")
_STAGE_STYLES = ("--", "-", ":", "-.", "-")


def _prepare_plane(ax: Axes, points: Sequence[NDArray[Any]]) -> None:
    """Equal axes through the origin, with room around every point."""
    stacked = np.vstack([np.zeros((1, 2)), *points])
    low, high = stacked.min(axis=0), stacked.max(axis=0)
    pad = 0.12 * max(float(np.max(high - low)), 1.0)
    ax.set_xlim(low[0] - pad, high[0] + pad)
    ax.set_ylim(low[1] - pad, high[1] + pad)
    ax.set_aspect("equal")
    ax.axhline(0.0, color=COLORS["ink"], linewidth=0.7, zorder=0)
    ax.axvline(0.0, color=COLORS["ink"], linewidth=0.7, zorder=0)
    ax.grid(True, color="#e6e6e6", linewidth=0.6, zorder=-1)
    ax.tick_params(labelsize=7)


def _arrow(ax: Axes, start: ArrayLike, end: ArrayLike, color: str, gid: str,
           width: float = 1.6) -> None:
    ax.annotate("", xy=tuple(np.asarray(end)),
                xytext=tuple(np.asarray(start)), gid=gid, arrowprops={
                    "arrowstyle": "-|>", "color": color, "linewidth": width,
                    "shrinkA": 0, "shrinkB": 0})


def _closed(points: NDArray[Any], closed: bool) -> NDArray[Any]:
    return np.vstack([points, points[:1]]) if closed else points


def plot_points_and_arrow(point: ArrayLike) -> Figure:
    """A 2D vector as a point (gid ``"point"``), then as an arrow from the
    origin (gid ``"vector"``) (2.3.5)."""
    xy = checks.vector("plot_points_and_arrow", "point", point)
    fig, axes = new_figure(6.4, 3.2, ncols=2)
    for ax in axes:
        _prepare_plane(ax, [xy[None, :]])
    x, y = xy
    left, right = axes
    left.plot([x], [y], "o", color=COLORS["primary"], markersize=7,
              gid="point")
    left.plot([x, x, 0], [0, y, y], linestyle=":", color=COLORS["muted"],
              linewidth=1.0)
    for ax, title in ((left, "a point"),
                      (right, "the same point as an arrow")):
        if ax is right:
            _arrow(ax, (0.0, 0.0), xy, COLORS["primary"], "vector")
        # Up and to the left of the point, inside the frame.
        ax.annotate(f"({x:g}, {y:g})", (x, y), textcoords="offset points",
                    xytext=(-6, 6), ha="right", fontsize=9)
        ax.set_title(title, fontsize=10)
    return fig


def plot_vector_sum(a: ArrayLike, b: ArrayLike) -> Figure:
    """``a + b`` as two arrows head to tail (gids ``"a"``, ``"b"``,
    ``"a+b"``) (2.3.5)."""
    a = checks.vector("plot_vector_sum", "a", a)
    b = checks.vector("plot_vector_sum", "b", b)
    total = a + b
    fig, ax = new_figure(4.0, 3.6)
    _prepare_plane(ax, [a[None, :], total[None, :]])
    _arrow(ax, (0.0, 0.0), a, COLORS["primary"], "a")
    _arrow(ax, a, total, COLORS["secondary"], "b")
    _arrow(ax, (0.0, 0.0), total, COLORS["positive"], "a+b", width=2.0)
    for label, start, end in (("a", (0, 0), a), ("b", a, total),
                              ("a + b", (0, 0), total)):
        middle = (np.asarray(start, dtype=float) + end) / 2
        ax.annotate(label, middle, textcoords="offset points",
                    xytext=(5, -10 if label == "a + b" else 5), fontsize=9)
    ax.set_title("adding two vectors", fontsize=10)
    return fig


def plot_transform(before: ArrayLike, after: ArrayLike,
                   title: str | None = None, arrows: bool = False,
                   closed: bool = True) -> Figure:
    """A point set before (dashed grey, gid ``"before"``) and after (gid
    ``"after"``) a transformation, first points marked (2.3.5)."""
    old = checks.points("plot_transform", "before", before)
    new = checks.points("plot_transform", "after", after)
    fig, ax = new_figure(4.0, 3.8)
    _prepare_plane(ax, [old, new])
    for gid, points, color, style in (("before", old, COLORS["muted"], "--"),
                                      ("after", new, COLORS["primary"], "-")):
        drawn = _closed(points, closed)
        ax.plot(drawn[:, 0], drawn[:, 1], style, color=color, marker="o",
                markersize=3.5, linewidth=1.6, label=gid, gid=gid)
    ax.plot(*new[0], "o", color=COLORS["secondary"], markersize=6, zorder=5)
    ax.plot(*old[0], "o", color=COLORS["secondary"], markersize=6,
            alpha=0.5, zorder=5)
    if arrows:
        for start, end in zip(old, new):
            if not np.allclose(start, end):
                _arrow(ax, start, end, COLORS["accent"], "move", width=1.0)
    ax.legend(fontsize=8, loc="best")
    if title is not None:
        ax.set_title(title, fontsize=10)
    return fig


def plot_stages(stages: Sequence[ArrayLike], labels: Sequence[str],
                title: str | None = None, closed: bool = True,
                markevery: int = 1) -> Figure:
    """Up to 5 successive images of one outline (gids ``"stage<i>"``);
    ``markevery`` = ``subdivide``'s ``pieces`` marks only corners (2.3.5)."""
    arrays = [checks.points("plot_stages", f"stages[{i}]", stage)
              for i, stage in enumerate(stages)]
    fig, ax = new_figure(4.2, 3.9)
    _prepare_plane(ax, arrays)
    markers = ("o", "o", "x", "s", "^")
    for i, (array, label) in enumerate(zip(arrays, labels)):
        drawn = _closed(array, closed)
        ax.plot(drawn[:, 0], drawn[:, 1], _STAGE_STYLES[i],
                color=COLORS[_STAGE_COLORS[i]], marker=markers[i],
                markersize=4 if i != 2 else 6, linewidth=1.6, label=label,
                markevery=markevery, gid=f"stage{i}")
    # Below the plane, not on it: "best" weighs only the marked points, so
    # it can hide the edges between them.
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.1),
              ncols=min(len(arrays), 2), frameon=False)
    if title is not None:
        ax.set_title(title, fontsize=10)
    return fig


def plot_representations(representations: Sequence[ArrayLike],
                         classes: ArrayLike, titles: Sequence[str],
                         line: tuple[ArrayLike, float] | None = None
                         ) -> Figure:
    """The same points after each layer, by class, one panel each;
    ``line=(w, c)``: ``w @ p + c = 0`` on the last panel (2.3.6)."""
    arrays = [checks.points("plot_representations", f"representations[{i}]",
                            array) for i, array in enumerate(representations)]
    labels = np.asarray(classes)
    palette = [COLORS["primary"], COLORS["secondary"], COLORS["positive"],
               COLORS["accent"], COLORS["muted"]]
    fig, axes = new_figure(2.6 * len(arrays), 2.8, ncols=len(arrays),
                           squeeze=False)
    for ax, array, title in zip(axes.ravel(), arrays, titles):
        for index, label in enumerate(np.unique(labels)):
            chosen = array[labels == label]
            ax.scatter(chosen[:, 0], chosen[:, 1], s=6,
                       color=palette[index % len(palette)], alpha=0.8,
                       linewidths=0, label=f"class {label}")
        ax.set_title(title, fontsize=9)
        ax.set_aspect("equal", adjustable="datalim")
        ax.tick_params(labelsize=6)
        ax.grid(True, color="#e6e6e6", linewidth=0.6)
    if line is not None:
        w = checks.vector("plot_representations", "line[0]", line[0])
        _draw_line(axes.ravel()[-1], w, float(line[1]), arrays[-1])
    return fig


def _draw_line(ax: Axes, w: NDArray[Any], c: float, points: NDArray[Any]
               ) -> None:
    """The part of ``w @ p + c = 0`` inside the box of ``points`` (padded
    by 5 % of its larger side); nothing if the line misses the box."""
    low, high = points.min(axis=0), points.max(axis=0)
    pad = 0.05 * max(float(np.max(high - low)), 1e-3)
    low, high = low - pad, high + pad
    start = -c * w / float(w @ w)  # the line's point nearest the origin
    direction = np.array([-w[1], w[0]])
    with np.errstate(divide="ignore", invalid="ignore"):
        t1 = (low - start) / direction
        t2 = (high - start) / direction
    t_low = np.where(direction != 0, np.minimum(t1, t2), -np.inf)
    t_high = np.where(direction != 0, np.maximum(t1, t2), np.inf)
    t_from, t_to = float(np.max(t_low)), float(np.min(t_high))
    outside = (direction == 0) & ((start < low) | (start > high))
    if t_from >= t_to or np.any(outside):
        return
    ends = start + np.outer([t_from, t_to], direction)
    ax.plot(ends[:, 0], ends[:, 1], "--", color=COLORS["ink"],
            linewidth=1.2, gid="line")
