"""Figures for the geometric view of tensor operations (section 2.3.5).

Points are arrays of shape ``(n, 2)``, as in :mod:`dlpy.geometry`. Each
function draws the arrays it is given and returns a Matplotlib ``Figure``
made with :func:`dlpy.plotting.style.new_figure`; the transforms themselves
are computed by :mod:`dlpy.geometry` in the book's cells.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

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


def _as_real_array(value: Any, func: str, name: str) -> np.ndarray:
    """Return ``value`` as a NumPy array of real numbers or raise."""
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"{func}: {name} must be an array of numbers. "
            f"Received: type({name})={type(value).__name__}"
        ) from error
    if not np.issubdtype(array.dtype, np.number) or np.iscomplexobj(array):
        raise TypeError(
            f"{func}: {name} must hold real numbers. "
            f"Received: {name}.dtype={array.dtype}"
        )
    return array


def _as_points(value: Any, func: str, name: str) -> np.ndarray:
    """Return ``value`` as a float array of shape ``(n, 2)`` or raise."""
    points = _as_real_array(value, func, name)
    if points.ndim != 2 or points.shape[1] != 2 or points.shape[0] == 0:
        raise ValueError(
            f"{func}: {name} must have shape (n, 2) with n >= 1. "
            f"Received: {name}.shape={points.shape}"
        )
    if not np.all(np.isfinite(points)):
        raise ValueError(
            f"{func}: {name} must be finite. Received: {name} with "
            "nan or inf entries"
        )
    return points.astype(float)


def _as_vector(value: Any, func: str, name: str) -> np.ndarray:
    """Return ``value`` as a float array of shape ``(2,)`` or raise."""
    vector = _as_real_array(value, func, name)
    if vector.shape != (2,):
        raise ValueError(
            f"{func}: {name} must have shape (2,). "
            f"Received: {name}.shape={vector.shape}"
        )
    return vector.astype(float)


def _check_title(title: Any, func: str) -> None:
    if title is not None and not isinstance(title, str):
        raise TypeError(
            f"{func}: title must be a string or None. Received: "
            f"title={title!r}"
        )


def _prepare_plane(ax, points: Sequence[np.ndarray]) -> None:
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


def _arrow(ax, start, end, color: str, gid: str, width: float = 1.6):
    """An arrow from ``start`` to ``end``; returns the annotation."""
    arrow = ax.annotate(
        "", xy=tuple(end), xytext=tuple(start),
        arrowprops={"arrowstyle": "-|>", "color": color,
                    "linewidth": width, "shrinkA": 0, "shrinkB": 0},
    )
    arrow.set_gid(gid)
    return arrow


def _closed(points: np.ndarray, closed: bool) -> np.ndarray:
    return np.vstack([points, points[:1]]) if closed else points


def plot_points_and_arrow(point: Any):
    """Show a 2D vector twice: as a point, then as an arrow from the origin.

    Introduced in section 2.3.5.

    Args:
        point: an array of shape ``(2,)``.

    Returns:
        A Matplotlib ``Figure`` with two axes; the dot carries the gid
        ``"point"`` and the arrow the gid ``"vector"``.

    Raises:
        TypeError: if ``point`` is not numeric.
        ValueError: if ``point`` does not have shape ``(2,)``.

    Example:
        >>> import matplotlib.pyplot as plt
        >>> fig = plot_points_and_arrow([2.0, 1.0])
        >>> [line.get_xydata().tolist() for line in fig.axes[0].lines
        ...  if line.get_gid() == "point"]
        [[[2.0, 1.0]]]
        >>> plt.close(fig)
    """
    point = _as_vector(point, "plot_points_and_arrow", "point")
    fig, axes = new_figure(6.4, 3.2, ncols=2)
    for ax in axes:
        _prepare_plane(ax, [point[None, :]])
    x, y = point
    left, right = axes
    (dot,) = left.plot([x], [y], "o", color=COLORS["primary"], markersize=7)
    dot.set_gid("point")
    left.plot([x, x, 0], [0, y, y], linestyle=":",
              color=COLORS["muted"], linewidth=1.0)
    left.annotate(f"({x:g}, {y:g})", (x, y), textcoords="offset points",
                  xytext=(6, 6), fontsize=9)
    left.set_title("a point", fontsize=10)
    _arrow(right, (0.0, 0.0), point, COLORS["primary"], "vector")
    right.annotate(f"({x:g}, {y:g})", (x, y), textcoords="offset points",
                   xytext=(6, 6), fontsize=9)
    right.set_title("the same point as an arrow", fontsize=10)
    return fig


def plot_vector_sum(a: Any, b: Any):
    """Draw ``a + b`` as two arrows placed head to tail.

    Introduced in section 2.3.5.

    Args:
        a: an array of shape ``(2,)``, drawn from the origin.
        b: an array of shape ``(2,)``, drawn from the tip of ``a``.

    Returns:
        A Matplotlib ``Figure``; the arrows carry the gids ``"a"``, ``"b"``
        and ``"a+b"``.

    Raises:
        TypeError: if ``a`` or ``b`` is not numeric.
        ValueError: if ``a`` or ``b`` does not have shape ``(2,)``.

    Example:
        >>> import matplotlib.pyplot as plt
        >>> fig = plot_vector_sum([1, 2], [2, -1])
        >>> sorted(t.get_gid() for t in fig.axes[0].texts if t.get_gid())
        ['a', 'a+b', 'b']
        >>> plt.close(fig)
    """
    a = _as_vector(a, "plot_vector_sum", "a")
    b = _as_vector(b, "plot_vector_sum", "b")
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


def plot_transform(before: Any, after: Any, title: str | None = None,
                   arrows: bool = False, closed: bool = True):
    """Draw a point set before (dashed, grey) and after a transformation.

    Introduced in section 2.3.5.

    Args:
        before: the points, shape ``(n, 2)``, drawn as a shape in order.
        after: the transformed points, same shape as ``before``.
        title: optional axes title.
        arrows: also draw an arrow from each point to its image.
        closed: join the last point back to the first.

    Returns:
        A Matplotlib ``Figure`` with one axes. The two outlines are the
        lines with gids ``"before"`` and ``"after"``; their first ``n``
        vertices are the points themselves.

    Raises:
        TypeError: if the points are not numeric or ``title`` is not a
            string.
        ValueError: if the points are not of shape ``(n, 2)`` or the two
            shapes differ.

    Example:
        >>> import matplotlib.pyplot as plt
        >>> square = np.array([[0, 0], [1, 0], [1, 1], [0, 1]])
        >>> fig = plot_transform(square, square + 2, title="moved")
        >>> after = [l for l in fig.axes[0].lines if l.get_gid() == "after"]
        >>> after[0].get_xydata()[:4].tolist()
        [[2.0, 2.0], [3.0, 2.0], [3.0, 3.0], [2.0, 3.0]]
        >>> plt.close(fig)
    """
    before = _as_points(before, "plot_transform", "before")
    after = _as_points(after, "plot_transform", "after")
    if before.shape != after.shape:
        raise ValueError(
            "plot_transform: before and after must have the same shape. "
            f"Received: before.shape={before.shape}, "
            f"after.shape={after.shape}"
        )
    _check_title(title, "plot_transform")
    fig, ax = new_figure(4.0, 3.8)
    _prepare_plane(ax, [before, after])
    for gid, points, color, style in (
        ("before", before, COLORS["muted"], "--"),
        ("after", after, COLORS["primary"], "-"),
    ):
        drawn = _closed(points, closed)
        (line,) = ax.plot(drawn[:, 0], drawn[:, 1], style, color=color,
                          marker="o", markersize=3.5, linewidth=1.6,
                          label=gid)
        line.set_gid(gid)
    # Mark the first point so rotations and reflections can be followed.
    ax.plot(*after[0], "o", color=COLORS["secondary"], markersize=6,
            zorder=5)
    ax.plot(*before[0], "o", color=COLORS["secondary"], markersize=6,
            alpha=0.5, zorder=5)
    if arrows:
        for start, end in zip(before, after):
            if not np.allclose(start, end):
                _arrow(ax, start, end, COLORS["accent"], "move", width=1.0)
    ax.legend(fontsize=8, loc="best")
    if title is not None:
        ax.set_title(title, fontsize=10)
    return fig


def plot_stages(stages: Sequence[Any], labels: Sequence[str],
                title: str | None = None, closed: bool = True,
                markevery: int = 1):
    """Draw the same point set after several successive transformations.

    Each stage is drawn as a path through its points in order. To draw the
    image of an outline's edges under a non-linear map (relu bends an edge
    where it crosses an axis), pass outlines sampled densely with
    :func:`dlpy.geometry.subdivide` and ``markevery`` equal to its
    ``pieces``, so that markers sit on the original corners only.

    Introduced in section 2.3.5.

    Args:
        stages: a sequence of arrays of shape ``(n, 2)`` with the same n.
        labels: one legend label per stage.
        title: optional axes title.
        closed: join the last point back to the first.
        markevery: put a marker on every ``markevery``-th point, starting
            with the first (1: on every point).

    Returns:
        A Matplotlib ``Figure``; stage ``i`` is the line with gid
        ``"stage{i}"``.

    Raises:
        TypeError: if a stage is not numeric or a label is not a string.
        ValueError: if ``stages`` is empty or has more than 5 entries, the
            shapes differ, ``labels`` has the wrong length, or
            ``markevery`` is not a positive integer.

    Example:
        >>> import matplotlib.pyplot as plt
        >>> square = np.array([[0, 0], [1, 0], [1, 1], [0, 1]])
        >>> fig = plot_stages([square, 2 * square], ["x", "2x"])
        >>> [line.get_gid() for line in fig.axes[0].lines if line.get_gid()]
        ['stage0', 'stage1']
        >>> plt.close(fig)
    """
    if not isinstance(stages, (list, tuple)) or not 1 <= len(stages) <= 5:
        raise ValueError(
            "plot_stages: stages must be a list of 1 to 5 point arrays. "
            f"Received: type(stages)={type(stages).__name__}"
            + (f", len(stages)={len(stages)}"
               if isinstance(stages, (list, tuple)) else "")
        )
    arrays = [
        _as_points(stage, "plot_stages", f"stages[{index}]")
        for index, stage in enumerate(stages)
    ]
    for index, array in enumerate(arrays):
        if array.shape != arrays[0].shape:
            raise ValueError(
                "plot_stages: all stages must have the same shape. "
                f"Received: stages[0].shape={arrays[0].shape}, "
                f"stages[{index}].shape={array.shape}"
            )
    labels = list(labels) if not isinstance(labels, str) else [labels]
    if len(labels) != len(arrays):
        raise ValueError(
            "plot_stages: labels must have one entry per stage. "
            f"Received: len(labels)={len(labels)}, len(stages)={len(arrays)}"
        )
    for label in labels:
        if not isinstance(label, str):
            raise TypeError(
                f"plot_stages: every label must be a string. "
                f"Received: {label!r}"
            )
    _check_title(title, "plot_stages")
    if (isinstance(markevery, bool) or not isinstance(markevery, int)
            or markevery < 1):
        raise ValueError(
            "plot_stages: markevery must be a positive integer. "
            f"Received: markevery={markevery!r}"
        )
    fig, ax = new_figure(4.2, 3.9)
    _prepare_plane(ax, arrays)
    markers = ("o", "o", "x", "s", "^")
    for index, (array, label) in enumerate(zip(arrays, labels)):
        drawn = _closed(array, closed)
        (line,) = ax.plot(
            drawn[:, 0], drawn[:, 1], _STAGE_STYLES[index],
            color=COLORS[_STAGE_COLORS[index]], marker=markers[index],
            markersize=4 if index != 2 else 6, linewidth=1.6, label=label,
            markevery=markevery,
        )
        line.set_gid(f"stage{index}")
    ax.legend(fontsize=8, loc="best")
    if title is not None:
        ax.set_title(title, fontsize=10)
    return fig


def plot_representations(representations: Sequence[Any], classes: Any,
                         titles: Sequence[str], line: Any = None):
    """Scatter several 2D representations of the same points, by class.

    Used to follow a data set through the layers of a network: panel ``i``
    shows where every sample sits after layer ``i``.

    Introduced in section 2.3.6.

    Args:
        representations: a sequence of arrays of shape ``(n, 2)``.
        classes: integer class of each of the ``n`` points, shape ``(n,)``.
        titles: one title per panel.
        line: optional ``(w, c)``, with ``w`` of shape ``(2,)`` not zero and
            ``c`` a number: the straight line ``w @ p + c = 0`` is drawn on
            the last panel (for instance the boundary of a final sigmoid
            unit with kernel ``w`` and bias ``c``), as far as it crosses
            the range of the points, and not at all if it misses them.

    Returns:
        A Matplotlib ``Figure`` with one axes per representation; each axes
        has one scatter collection per class, in increasing class order.
        The line, if any, is the last panel's line with gid ``"line"``.

    Raises:
        TypeError: if an array is not numeric, ``classes`` is not integer or
            a title is not a string.
        ValueError: if ``representations`` is empty, shapes disagree,
            ``titles`` has the wrong length, or ``line`` is malformed.

    Example:
        >>> import matplotlib.pyplot as plt
        >>> points = np.array([[0.0, 0.0], [1.0, 1.0]])
        >>> fig = plot_representations([points], np.array([0, 1]), ["in"])
        >>> len(fig.axes[0].collections)
        2
        >>> plt.close(fig)
    """
    if not isinstance(representations, (list, tuple)) or not representations:
        raise ValueError(
            "plot_representations: representations must be a non-empty "
            "list of (n, 2) arrays. "
            f"Received: type(representations)={type(representations).__name__}"
        )
    arrays = [
        _as_points(array, "plot_representations", f"representations[{i}]")
        for i, array in enumerate(representations)
    ]
    classes = np.asarray(classes)
    if not np.issubdtype(classes.dtype, np.integer):
        raise TypeError(
            "plot_representations: classes must be integers. "
            f"Received: classes.dtype={classes.dtype}"
        )
    for index, array in enumerate(arrays):
        if classes.shape != (array.shape[0],):
            raise ValueError(
                "plot_representations: classes must have one entry per "
                f"point. Received: classes.shape={classes.shape}, "
                f"representations[{index}].shape={array.shape}"
            )
    titles = list(titles) if not isinstance(titles, str) else [titles]
    if len(titles) != len(arrays):
        raise ValueError(
            "plot_representations: titles must have one entry per "
            f"representation. Received: len(titles)={len(titles)}, "
            f"len(representations)={len(arrays)}"
        )
    for title in titles:
        if not isinstance(title, str):
            raise TypeError(
                "plot_representations: every title must be a string. "
                f"Received: {title!r}"
            )
    if line is not None:
        try:
            w, c = line
            c = float(c)
        except (TypeError, ValueError):
            raise ValueError(
                "plot_representations: line must be a pair (w, c) with c a "
                f"number. Received: line={line!r}"
            ) from None
        w = _as_vector(w, "plot_representations", "line[0]")
        if not np.any(w):
            raise ValueError(
                "plot_representations: line[0] must not be zero. "
                f"Received: line[0]={w.tolist()}"
            )
    palette = [COLORS["primary"], COLORS["secondary"], COLORS["positive"],
               COLORS["accent"], COLORS["muted"]]
    fig, axes = new_figure(2.6 * len(arrays), 2.8, ncols=len(arrays),
                           squeeze=False)
    for ax, array, title in zip(axes.ravel(), arrays, titles):
        for index, label in enumerate(np.unique(classes)):
            chosen = array[classes == label]
            ax.scatter(chosen[:, 0], chosen[:, 1], s=6,
                       color=palette[index % len(palette)], alpha=0.8,
                       linewidths=0, label=f"class {label}")
        ax.set_title(title, fontsize=9)
        ax.set_aspect("equal", adjustable="datalim")
        ax.tick_params(labelsize=6)
        ax.grid(True, color="#e6e6e6", linewidth=0.6)
    if line is not None:
        _draw_line(axes.ravel()[-1], w, c, arrays[-1])
    return fig


def _draw_line(ax, w: np.ndarray, c: float, points: np.ndarray) -> None:
    """Draw the part of ``w @ p + c = 0`` inside the box of ``points``.

    The box is the points' range on each axis, padded by 5 % of the larger
    range, so the line never stretches the axes far beyond the data; a
    line that misses the box is not drawn.
    """
    low, high = points.min(axis=0), points.max(axis=0)
    pad = 0.05 * max(float(np.max(high - low)), 1e-3)
    low, high = low - pad, high + pad
    # Along the direction (-w[1], w[0]) from the point of the line nearest
    # the origin; keep the part inside the padded box of the points.
    start = -c * w / float(w @ w)
    direction = np.array([-w[1], w[0]])
    with np.errstate(divide="ignore", invalid="ignore"):
        t1 = (low - start) / direction
        t2 = (high - start) / direction
    t_low = np.where(direction != 0, np.minimum(t1, t2), -np.inf)
    t_high = np.where(direction != 0, np.maximum(t1, t2), np.inf)
    t_from, t_to = float(np.max(t_low)), float(np.min(t_high))
    parallel_outside = (direction == 0) & ((start < low) | (start > high))
    if t_from >= t_to or np.any(parallel_outside):
        # The line misses the points' box: draw nothing.
        return
    ends = start + np.outer([t_from, t_to], direction)
    (drawn,) = ax.plot(ends[:, 0], ends[:, 1], "--", color=COLORS["ink"],
                       linewidth=1.2)
    drawn.set_gid("line")
