"""Figures for chapter 1: what deep learning is, drawn by code.

Two kinds of figure live here. Conceptual diagrams (the nested fields of AI,
rules versus learning, the training loop) are laid out by code so that the
HTML and the PDF share one source and one palette. Data figures (the 2D
points, the coordinate change, the activations of a trained network) take
the data as arguments, so what the reader sees is computed by the book.

Every function returns a ``matplotlib.figure.Figure`` made with
:func:`dlpy.plotting.style.new_figure`; the caller glues or closes it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import matplotlib.pyplot as plt  # noqa: F401  (used by the doctests)
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, Ellipse, FancyBboxPatch

from dlpy.plotting.style import COLORS, new_figure

__all__ = [
    "TRAINING_LOOP_STAGES",
    "plot_coordinate_change",
    "plot_hypothesis_search",
    "plot_layer_activations",
    "plot_nested_fields",
    "plot_network_diagram",
    "plot_points",
    "plot_rules_vs_learning",
    "plot_training_loop",
]

#: The three stages of the "how deep learning works" figures, in order.
TRAINING_LOOP_STAGES = ("weights", "loss", "optimizer")

_BOX_GID = "box"


# ---------------------------------------------------------------------------
# Small drawing helpers (private)
# ---------------------------------------------------------------------------


def _blank_axes(ax, xlim, ylim) -> None:
    """Turn ``ax`` into a blank canvas with data coordinates for diagrams."""
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal")
    ax.axis("off")


def _box(ax, center, text, width, height, color, *, filled=True,
         fontsize=9):
    """Draw a rounded box with centred text; tagged ``gid="box"``."""
    x, y = center
    face = color if filled else COLORS["paper"]
    patch = FancyBboxPatch(
        (x - width / 2, y - height / 2),
        width,
        height,
        boxstyle="round,pad=0.02,rounding_size=0.12",
        facecolor=face,
        edgecolor=color if not filled else COLORS["ink"],
        linewidth=1.2,
        gid=_BOX_GID,
    )
    ax.add_patch(patch)
    ax.text(
        x,
        y,
        text,
        ha="center",
        va="center",
        fontsize=fontsize,
        color=COLORS["paper"] if filled else COLORS["ink"],
        wrap=True,
    )
    return patch


def _arrow(ax, start, end, *, color=None, text=None, rad=0.0):
    """Draw an arrow from ``start`` to ``end``, optionally labelled."""
    ax.annotate(
        "",
        xy=end,
        xytext=start,
        arrowprops={
            "arrowstyle": "-|>",
            "color": color or COLORS["ink"],
            "linewidth": 1.3,
            "shrinkA": 0,
            "shrinkB": 0,
            "connectionstyle": f"arc3,rad={rad}",
        },
    )
    if text:
        mx = (start[0] + end[0]) / 2
        my = (start[1] + end[1]) / 2
        ax.text(mx + 0.1, my, text, fontsize=8, color=color or COLORS["ink"],
                ha="left", va="center", style="italic")


def _as_points(name: str, points) -> np.ndarray:
    """Validate an ``(n, 2)`` array of real numbers for function ``name``."""
    array = np.asarray(points)
    if not np.issubdtype(array.dtype, np.number) or np.iscomplexobj(array):
        raise TypeError(
            f"{name}: points must be real numbers. "
            f"Received: points.dtype={array.dtype}"
        )
    if array.ndim != 2 or array.shape[1] != 2 or array.shape[0] == 0:
        raise ValueError(
            f"{name}: points must have shape (n, 2) with n >= 1. "
            f"Received: points.shape={array.shape}"
        )
    return array.astype(float)


def _as_labels(name: str, labels, n: int, num_classes: int) -> np.ndarray:
    """Validate integer class labels in ``range(num_classes)``."""
    array = np.asarray(labels)
    if not np.issubdtype(array.dtype, np.integer):
        raise TypeError(
            f"{name}: labels must be integers. "
            f"Received: labels.dtype={array.dtype}"
        )
    if array.shape != (n,):
        raise ValueError(
            f"{name}: labels must have shape (n,) matching points. "
            f"Received: labels.shape={array.shape}, n={n}"
        )
    if array.size and (array.min() < 0 or array.max() >= num_classes):
        raise ValueError(
            f"{name}: labels must lie in range({num_classes}) "
            f"(one per class name). Received: min={array.min()}, "
            f"max={array.max()}"
        )
    return array


def _scatter_classes(ax, points, labels, class_names) -> None:
    """One scatter per class: 0 hollow, 1 filled, others in colour."""
    palette = [COLORS["primary"], COLORS["secondary"], COLORS["accent"]]
    for index, class_name in enumerate(class_names):
        chosen = points[labels == index]
        if index == 0:
            face, edge = COLORS["paper"], COLORS["ink"]
        elif index == 1:
            face, edge = COLORS["ink"], COLORS["ink"]
        else:
            face = edge = palette[(index - 2) % len(palette)]
        ax.scatter(
            chosen[:, 0],
            chosen[:, 1],
            s=22,
            facecolors=face,
            edgecolors=edge,
            linewidths=0.9,
            label=f"{class_name} ({len(chosen)})",
            zorder=3,
        )


def _legend_below(ax) -> None:
    """Put the legend under the axes, where it hides no data."""
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3,
              fontsize=8, frameon=False)


def _draw_plain_axes(ax, limit: float) -> None:
    """Draw the x and y axes through the origin, with a square view."""
    ax.axhline(0.0, color=COLORS["muted"], linewidth=0.8, zorder=1)
    ax.axvline(0.0, color=COLORS["muted"], linewidth=0.8, zorder=1)
    ax.set_xlim(-limit, limit)
    ax.set_ylim(-limit, limit)
    ax.set_aspect("equal")
    ax.set_xlabel("x")
    ax.set_ylabel("y")


def _check_class_names(name: str, class_names) -> tuple[str, ...]:
    if isinstance(class_names, str) or not isinstance(
        class_names, Sequence
    ):
        raise TypeError(
            f"{name}: class_names must be a sequence of strings. "
            f"Received: class_names={class_names!r}"
        )
    if len(class_names) < 1:
        raise ValueError(
            f"{name}: class_names must not be empty. "
            f"Received: class_names={class_names!r}"
        )
    return tuple(str(c) for c in class_names)


# ---------------------------------------------------------------------------
# Section 1.1 and 1.3: conceptual diagrams
# ---------------------------------------------------------------------------


def plot_nested_fields() -> Figure:
    """Draw AI, machine learning and deep learning as nested regions.

    Introduced in section 1.1.

    Returns:
        A figure with one axes holding three ellipses, outermost first.

    Example:
        >>> fig = plot_nested_fields()
        >>> len(fig.axes[0].patches)
        3
        >>> plt.close(fig)
    """
    fig, ax = new_figure(6.0, 4.0)
    _blank_axes(ax, (-3.2, 3.2), (-2.2, 2.2))
    regions = [
        ("Artificial intelligence", (0.0, 0.0), 6.2, 4.2, COLORS["primary"]),
        ("Machine learning", (0.45, -0.35), 4.3, 2.9, COLORS["positive"]),
        ("Deep learning", (0.9, -0.7), 2.4, 1.5, COLORS["secondary"]),
    ]
    for label, center, width, height, color in regions:
        ax.add_patch(
            Ellipse(
                center,
                width,
                height,
                facecolor=color,
                alpha=0.18,
                edgecolor=color,
                linewidth=2.0,
            )
        )
        ax.text(
            center[0],
            center[1] + height / 2 - 0.35,
            label,
            ha="center",
            va="center",
            fontsize=11,
            fontweight="bold",
            color=color,
        )
    return fig


def plot_rules_vs_learning() -> Figure:
    """Contrast classical programming with machine learning as flows.

    Classical programming takes rules and data and produces answers; machine
    learning takes data and answers and produces rules.

    Introduced in section 1.3.

    Returns:
        A figure with two axes (classical programming, machine learning),
        each holding one central box and three labelled end boxes.

    Example:
        >>> fig = plot_rules_vs_learning()
        >>> len(fig.axes)
        2
        >>> plt.close(fig)
    """
    fig, axes = new_figure(7.0, 3.6, nrows=2)
    flows = [
        ("Classical\nprogramming", ("Rules", "Data"), "Answers",
         COLORS["primary"]),
        ("Machine\nlearning", ("Data", "Answers"), "Rules",
         COLORS["secondary"]),
    ]
    for ax, (middle, inputs, output, color) in zip(axes, flows):
        _blank_axes(ax, (0.0, 10.0), (0.0, 3.0))
        in_y = (2.2, 0.8)
        for text, y in zip(inputs, in_y):
            _box(ax, (1.3, y), text, 1.8, 0.8, color, filled=False)
            _arrow(ax, (2.25, y), (3.95, 1.5 + (y - 1.5) * 0.3))
        _box(ax, (5.0, 1.5), middle, 2.0, 1.5, color, fontsize=10)
        _arrow(ax, (6.05, 1.5), (7.75, 1.5))
        _box(ax, (8.7, 1.5), output, 1.8, 0.8, color, filled=False)
    return fig


# ---------------------------------------------------------------------------
# Section 1.4: learning representations, computed from points
# ---------------------------------------------------------------------------


def plot_points(
    points,
    labels,
    class_names: Sequence[str] = ("white", "black"),
    title: str | None = None,
) -> Figure:
    """Scatter 2D points, one scatter (and legend entry) per class.

    Class 0 is drawn as hollow (white) dots and class 1 as filled (black)
    dots, the convention of the chapter's worked example.

    Introduced in section 1.4.

    Args:
        points: array of shape ``(n, 2)``: the ``x`` and ``y`` coordinates.
        labels: integer array of shape ``(n,)`` with values in
            ``range(len(class_names))``.
        class_names: one name per class, used in the legend.
        title: optional axes title.

    Returns:
        A figure with one axes holding ``len(class_names)`` scatters.

    Raises:
        TypeError: if ``points`` is not numeric or ``labels`` not integer.
        ValueError: if the shapes do not match or a label has no class name.

    Example:
        >>> fig = plot_points([[0.0, 1.0], [1.0, 0.0]], [0, 1])
        >>> len(fig.axes[0].collections)
        2
        >>> plt.close(fig)
    """
    name = "plot_points"
    class_names = _check_class_names(name, class_names)
    points = _as_points(name, points)
    labels = _as_labels(name, labels, len(points), len(class_names))
    fig, ax = new_figure(4.2, 4.2)
    limit = 1.1 * float(np.abs(points).max()) or 1.0
    _draw_plain_axes(ax, limit)
    _scatter_classes(ax, points, labels, class_names)
    _legend_below(ax)
    if title:
        ax.set_title(title, fontsize=10)
    return fig


def plot_coordinate_change(
    points,
    labels,
    transform: Callable[[np.ndarray], np.ndarray],
    class_names: Sequence[str] = ("white", "black"),
    grid_size: int = 200,
) -> Figure:
    """Show a change of coordinates that makes two classes easy to separate.

    Three panels: (1) the raw points; (2) the same points with the new
    coordinate axes drawn in the old frame (the lines where the new ``y``,
    respectively the new ``x``, is zero, found by evaluating ``transform`` on
    a grid); (3) the points in the new coordinates, where the rule
    "new x > 0" is shaded.

    Introduced in section 1.4.

    Args:
        points: array of shape ``(n, 2)``.
        labels: integer array of shape ``(n,)``.
        transform: a function mapping an ``(m, 2)`` array of points to their
            ``(m, 2)`` new coordinates, e.g. a rotation from
            :mod:`dlpy.geometry`.
        class_names: one name per class.
        grid_size: grid resolution used to trace the new axes.

    Returns:
        A figure with three axes.

    Raises:
        TypeError: if ``transform`` is not callable, or inputs have the
            wrong types.
        ValueError: if shapes are wrong or ``transform`` does not return
            one 2D point per input point.

    Example:
        >>> pts = np.array([[1.0, 1.0], [-1.0, -1.0]])
        >>> fig = plot_coordinate_change(pts, [1, 0], lambda p: p[:, ::-1])
        >>> len(fig.axes)
        3
        >>> plt.close(fig)
    """
    name = "plot_coordinate_change"
    if not callable(transform):
        raise TypeError(
            f"{name}: transform must be callable. "
            f"Received: type(transform)={type(transform).__name__}"
        )
    if isinstance(grid_size, bool) or not isinstance(grid_size, int):
        raise TypeError(
            f"{name}: grid_size must be an int. "
            f"Received: grid_size={grid_size!r}"
        )
    if grid_size < 2:
        raise ValueError(
            f"{name}: grid_size must be >= 2. Received: grid_size={grid_size}"
        )
    class_names = _check_class_names(name, class_names)
    points = _as_points(name, points)
    labels = _as_labels(name, labels, len(points), len(class_names))
    new_points = np.asarray(transform(points), dtype=float)
    if new_points.shape != points.shape:
        raise ValueError(
            f"{name}: transform must return one 2D point per input point. "
            f"Received: transform(points).shape={new_points.shape}, "
            f"points.shape={points.shape}"
        )

    limit = 1.1 * float(max(np.abs(points).max(), np.abs(new_points).max()))
    limit = limit or 1.0
    # Trace the new axes in the old frame: evaluate transform on a grid.
    axis_values = np.linspace(-limit, limit, grid_size)
    grid_x, grid_y = np.meshgrid(axis_values, axis_values)
    grid = np.column_stack([grid_x.ravel(), grid_y.ravel()])
    mapped = np.asarray(transform(grid), dtype=float)
    if mapped.shape != grid.shape:
        raise ValueError(
            f"{name}: transform must return one 2D point per input point. "
            f"Received: transform(grid).shape={mapped.shape}, "
            f"grid.shape={grid.shape}"
        )

    fig, axes = new_figure(10.5, 3.8, ncols=3)
    titles = (
        "1. Raw data",
        "2. Coordinate change",
        "3. Better representation",
    )
    for ax, title in zip(axes, titles):
        _draw_plain_axes(ax, limit)
        ax.set_title(title, fontsize=10)

    _scatter_classes(axes[0], points, labels, class_names)
    new_x = mapped[:, 0].reshape(grid_x.shape)
    new_y = mapped[:, 1].reshape(grid_x.shape)
    _scatter_classes(axes[1], points, labels, class_names)
    axes[1].contour(grid_x, grid_y, new_y, levels=[0.0],
                    colors=[COLORS["secondary"]], linewidths=1.8)
    axes[1].contour(grid_x, grid_y, new_x, levels=[0.0],
                    colors=[COLORS["primary"]], linewidths=1.8,
                    linestyles="dashed")
    axes[1].legend(
        handles=[
            Line2D([], [], color=COLORS["secondary"], linewidth=1.8,
                   label="new x axis"),
            Line2D([], [], color=COLORS["primary"], linewidth=1.8,
                   linestyle="dashed", label="new y axis"),
        ],
        loc="upper center",
        bbox_to_anchor=(0.5, -0.16),
        ncol=2,
        fontsize=8,
        frameon=False,
    )

    axes[2].axvspan(0.0, limit, color=COLORS["accent"], alpha=0.18,
                    zorder=0, label='rule "x > 0"')
    _scatter_classes(axes[2], new_points, labels, class_names)
    axes[2].set_xlabel("new x")
    axes[2].set_ylabel("new y")
    _legend_below(axes[0])
    _legend_below(axes[2])
    return fig


def plot_hypothesis_search(angles_deg, scores, best_index=None) -> Figure:
    """Plot the feedback (a score) obtained for each candidate hypothesis.

    Used for the brute-force search over rotation angles that illustrates
    learning as a search guided by feedback.

    Introduced in section 1.4.

    Args:
        angles_deg: 1D array of candidate angles, in degrees.
        scores: 1D array of the same length, e.g. accuracies in [0, 1].
        best_index: index of the chosen candidate; the argmax of ``scores``
            when ``None``.

    Returns:
        A figure with one axes holding the score curve and the best point.

    Raises:
        TypeError: if ``best_index`` is not an int.
        ValueError: if the arrays are not 1D of equal, non-zero length, or
            ``best_index`` is out of range.

    Example:
        >>> fig = plot_hypothesis_search([0, 90, 180], [0.5, 1.0, 0.5])
        >>> len(fig.axes[0].lines)
        2
        >>> plt.close(fig)
    """
    name = "plot_hypothesis_search"
    angles = np.asarray(angles_deg, dtype=float)
    values = np.asarray(scores, dtype=float)
    if angles.ndim != 1 or angles.shape != values.shape or angles.size == 0:
        raise ValueError(
            f"{name}: angles_deg and scores must be 1D with the same, "
            f"non-zero length. Received: angles_deg.shape={angles.shape}, "
            f"scores.shape={values.shape}"
        )
    if best_index is None:
        best_index = int(np.argmax(values))
    elif isinstance(best_index, bool) or not isinstance(
        best_index, (int, np.integer)
    ):
        raise TypeError(
            f"{name}: best_index must be an int. "
            f"Received: best_index={best_index!r}"
        )
    if not 0 <= best_index < values.size:
        raise ValueError(
            f"{name}: best_index must lie in range({values.size}). "
            f"Received: best_index={best_index}"
        )
    fig, ax = new_figure(6.0, 3.2)
    ax.plot(angles, values, color=COLORS["primary"], linewidth=1.5)
    ax.plot(
        [angles[best_index]],
        [values[best_index]],
        marker="o",
        markersize=8,
        color=COLORS["secondary"],
        linestyle="none",
        label=f"best: {angles[best_index]:g}°, {values[best_index]:.1%}",
    )
    ax.set_xlabel("rotation angle (degrees)")
    ax.set_ylabel('accuracy of "x > 0"')
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    return fig


# ---------------------------------------------------------------------------
# Section 1.5: a deep network for digits
# ---------------------------------------------------------------------------


def _check_layer_sizes(name: str, layer_sizes) -> list[int]:
    if isinstance(layer_sizes, (str, bytes)) or not isinstance(
        layer_sizes, (Sequence, np.ndarray)
    ):
        raise TypeError(
            f"{name}: layer_sizes must be a sequence of ints. "
            f"Received: layer_sizes={layer_sizes!r}"
        )
    sizes = list(layer_sizes)
    if len(sizes) < 2:
        raise ValueError(
            f"{name}: layer_sizes needs at least an input and an output "
            f"size. Received: layer_sizes={sizes!r}"
        )
    for size in sizes:
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)):
            raise TypeError(
                f"{name}: layer_sizes must contain ints. "
                f"Received: layer_sizes={sizes!r}"
            )
        if size < 1:
            raise ValueError(
                f"{name}: every layer size must be >= 1. "
                f"Received: layer_sizes={sizes!r}"
            )
    return [int(s) for s in sizes]


def _unit_positions(size: int, max_units: int) -> tuple[np.ndarray, bool]:
    """Vertical positions of the units drawn for a layer; True if elided."""
    shown = min(size, max_units)
    ys = np.linspace(-(shown - 1) / 2, (shown - 1) / 2, shown) * 0.55
    return ys, size > max_units


def plot_network_diagram(
    layer_sizes: Sequence[int],
    image=None,
    max_units: int = 8,
    layer_names: Sequence[str] | None = None,
) -> Figure:
    """Draw a densely connected network, layer by layer, from its sizes.

    Each layer is a column of units (at most ``max_units`` drawn; a larger
    layer shows an ellipsis) connected to every unit of the next column.
    With ``image``, the input image is shown on the left, as in the digit
    classifier of section 1.5.

    Introduced in section 1.5.

    Args:
        layer_sizes: the input size followed by the number of units of each
            layer, e.g. ``[784, 64, 32, 10]``.
        image: optional 2D array drawn as the network's input.
        max_units: the most units drawn per column.
        layer_names: optional label per column; by default "Input",
            "Layer 1", ..., "Output".

    Returns:
        A figure whose axes holds one circle per drawn unit; with
        ``image``, the image is in an inset, ``fig.axes[0].child_axes[0]``.

    Raises:
        TypeError: if sizes are not ints.
        ValueError: if fewer than two sizes, a size < 1, ``max_units`` < 2,
            a wrong number of names or an image that is not 2D.

    Example:
        >>> fig = plot_network_diagram([4, 3, 2])
        >>> len(fig.axes[0].patches)
        9
        >>> plt.close(fig)
    """
    name = "plot_network_diagram"
    sizes = _check_layer_sizes(name, layer_sizes)
    if isinstance(max_units, bool) or not isinstance(max_units, int):
        raise TypeError(
            f"{name}: max_units must be an int. "
            f"Received: max_units={max_units!r}"
        )
    if max_units < 2:
        raise ValueError(
            f"{name}: max_units must be >= 2. Received: max_units={max_units}"
        )
    if layer_names is None:
        layer_names = (
            ["Input"]
            + [f"Layer {i}" for i in range(1, len(sizes) - 1)]
            + ["Output"]
        )
    layer_names = list(layer_names)
    if len(layer_names) != len(sizes):
        raise ValueError(
            f"{name}: layer_names must have one name per size. "
            f"Received: len(layer_names)={len(layer_names)}, "
            f"len(layer_sizes)={len(sizes)}"
        )
    if image is not None:
        image = np.asarray(image)
        if image.ndim != 2:
            raise ValueError(
                f"{name}: image must be a 2D array. "
                f"Received: image.shape={image.shape}"
            )

    columns = [_unit_positions(s, max_units) for s in sizes]
    half_height = max(len(ys) for ys, _ in columns) * 0.3 + 0.3
    left = -2.6 if image is not None else -0.8
    xlim = (left, 1.8 * (len(sizes) - 1) + 0.8)
    ylim = (-half_height - 0.9, half_height + 0.2)
    height = 3.6
    width = height * (xlim[1] - xlim[0]) / (ylim[1] - ylim[0]) + 0.4
    fig, ax = new_figure(width, height)
    _blank_axes(ax, xlim, ylim)
    xs = [1.8 * i for i in range(len(sizes))]
    for i in range(len(sizes) - 1):
        segments = [
            [(xs[i], y0), (xs[i + 1], y1)]
            for y0 in columns[i][0]
            for y1 in columns[i + 1][0]
        ]
        ax.add_collection(
            LineCollection(segments, colors=COLORS["muted"],
                           linewidths=0.4, alpha=0.6, zorder=1)
        )
    for i, (x, (ys, elided)) in enumerate(zip(xs, columns)):
        if i == 0:
            color = COLORS["muted"]
        elif i == len(sizes) - 1:
            color = COLORS["secondary"]
        else:
            color = COLORS["primary"]
        for y in ys:
            ax.add_patch(Circle((x, y), 0.17, facecolor=color,
                                edgecolor=COLORS["ink"], linewidth=0.7,
                                zorder=2))
        if elided:
            ax.text(x + 0.32, 0.0, "⋮", ha="center", va="center",
                    fontsize=14, color=COLORS["ink"], zorder=3,
                    bbox={"facecolor": COLORS["paper"], "edgecolor": "none",
                          "pad": 0.5})
        ax.text(x, ys.min() - 0.45, f"{layer_names[i]}\n{sizes[i]} units"
                if 0 < i else f"{layer_names[i]}\n{sizes[i]} values",
                ha="center", va="top", fontsize=8, color=COLORS["ink"])
    if image is not None:
        inset = ax.inset_axes([left + 0.1, -0.7, 1.4, 1.4],
                              transform=ax.transData)
        inset.imshow(image, cmap="gray_r")
        inset.set_xticks([])
        inset.set_yticks([])
        inset.set_title("input image", fontsize=7)
    return fig


def _grid_shape(n: int) -> tuple[int, int]:
    """A near-square (rows, cols) with rows * cols == n."""
    rows = max(d for d in range(1, math.isqrt(n) + 1) if n % d == 0)
    return rows, n // rows


def plot_layer_activations(
    activations_per_layer: Sequence,
    image,
    layer_names: Sequence[str] | None = None,
    last_as_bars: bool = True,
) -> Figure:
    """Show what each layer of a trained network makes of one input.

    The first panel is the input image; then one panel per layer. Each
    hidden layer's activation vector is reshaped into a near-square grid of
    cells (one cell per unit, darker = larger). The last layer is drawn as a
    bar chart over the class indices when ``last_as_bars`` is true.

    Introduced in section 1.5.

    Args:
        activations_per_layer: one 1D array per layer, e.g. the outputs of
            each Dense layer for a single digit.
        image: the 2D input image.
        layer_names: optional title per layer.
        last_as_bars: draw the final layer as bars (class probabilities).

    Returns:
        A figure with ``1 + len(activations_per_layer)`` axes.

    Raises:
        TypeError: if ``activations_per_layer`` is not a sequence.
        ValueError: if it is empty, an activation is not a non-empty 1D
            array, the image is not 2D, or the names do not match.

    Example:
        >>> acts = [np.ones(4), np.array([0.1, 0.9])]
        >>> fig = plot_layer_activations(acts, np.zeros((3, 3)))
        >>> len(fig.axes)
        3
        >>> plt.close(fig)
    """
    name = "plot_layer_activations"
    if isinstance(activations_per_layer, (str, bytes, np.ndarray)) or (
        not isinstance(activations_per_layer, Sequence)
    ):
        raise TypeError(
            f"{name}: activations_per_layer must be a list of 1D arrays. "
            f"Received: type={type(activations_per_layer).__name__}"
        )
    if len(activations_per_layer) == 0:
        raise ValueError(
            f"{name}: activations_per_layer must not be empty. "
            "Received: 0 layers"
        )
    activations = []
    for index, values in enumerate(activations_per_layer):
        array = np.asarray(values, dtype=float)
        if array.ndim != 1 or array.size == 0:
            raise ValueError(
                f"{name}: each activation must be a non-empty 1D array. "
                f"Received: activations_per_layer[{index}].shape="
                f"{array.shape}"
            )
        activations.append(array)
    image = np.asarray(image)
    if image.ndim != 2:
        raise ValueError(
            f"{name}: image must be a 2D array. "
            f"Received: image.shape={image.shape}"
        )
    if layer_names is None:
        layer_names = [
            f"Layer {i + 1}: {a.size} units" for i, a in enumerate(activations)
        ]
    layer_names = list(layer_names)
    if len(layer_names) != len(activations):
        raise ValueError(
            f"{name}: layer_names must have one name per layer. "
            f"Received: len(layer_names)={len(layer_names)}, "
            f"layers={len(activations)}"
        )

    panels = 1 + len(activations)
    fig, axes = new_figure(2.4 * panels, 2.8, ncols=panels)
    axes = np.atleast_1d(axes)
    axes[0].imshow(image, cmap="gray_r")
    axes[0].set_title("Input", fontsize=9)
    axes[0].set_xticks([])
    axes[0].set_yticks([])
    for i, (ax, values, title) in enumerate(
        zip(axes[1:], activations, layer_names)
    ):
        ax.set_title(title, fontsize=9)
        if last_as_bars and i == len(activations) - 1:
            classes = np.arange(values.size)
            colors = [COLORS["muted"]] * values.size
            colors[int(np.argmax(values))] = COLORS["secondary"]
            ax.bar(classes, values, color=colors)
            ax.set_xticks(classes)
            ax.tick_params(labelsize=7)
            ax.set_ylim(0.0, max(1.0, float(values.max())))
            ax.set_xlabel("class", fontsize=8)
            continue
        rows, cols = _grid_shape(values.size)
        top = float(values.max())
        ax.imshow(values.reshape(rows, cols), cmap="Blues", vmin=0.0,
                  vmax=top if top > 0 else 1.0)
        ax.set_xticks([])
        ax.set_yticks([])
    return fig


# ---------------------------------------------------------------------------
# Section 1.6: how deep learning works, in three figures
# ---------------------------------------------------------------------------


def plot_training_loop(
    stage: str = "optimizer", n_layers: int = 2
) -> Figure:
    """Draw what happens during training, one stage at a time.

    The data flows left to right: a batch of inputs ``x`` passes through
    ``n_layers`` layers, each with its own weights (drawn under it), and
    comes out as ``y_pred``. The stages add to one another:

    ``"weights"``: the forward pass alone, with the weights of every layer.
    ``"loss"``: adds ``y_true`` and the loss function, which turns
    ``y_pred`` and ``y_true`` into one number, the loss value.
    ``"optimizer"``: adds the optimizer, which turns the loss value into a
    change of every layer's weights (through backpropagation), closing the
    loop.

    All three stages share the same layout and size, so that shown one
    after another they read as one picture being completed.

    Introduced in section 1.6.

    Args:
        stage: one of :data:`TRAINING_LOOP_STAGES`.
        n_layers: how many layers to draw, e.g. ``len(model.layers)``.

    Returns:
        A figure with one axes; its boxes are the patches tagged
        ``gid="box"``: ``2 + 2 * n_layers`` for ``"weights"``, three more
        for ``"loss"`` and one more for ``"optimizer"``.

    Raises:
        TypeError: if ``stage`` is not a string or ``n_layers`` not an int.
        ValueError: if ``stage`` is not a known stage or ``n_layers`` is
            not between 1 and 6.

    Example:
        >>> fig = plot_training_loop("weights")
        >>> sum(p.get_gid() == "box" for p in fig.axes[0].patches)
        6
        >>> plt.close(fig)
    """
    name = "plot_training_loop"
    if not isinstance(stage, str):
        raise TypeError(
            f"{name}: stage must be a string. Received: stage={stage!r}"
        )
    if stage not in TRAINING_LOOP_STAGES:
        raise ValueError(
            f"{name}: stage must be one of {TRAINING_LOOP_STAGES}. "
            f"Received: stage={stage!r}"
        )
    if isinstance(n_layers, bool) or not isinstance(
        n_layers, (int, np.integer)
    ):
        raise TypeError(
            f"{name}: n_layers must be an int. "
            f"Received: n_layers={n_layers!r}"
        )
    if not 1 <= n_layers <= 6:
        raise ValueError(
            f"{name}: n_layers must be between 1 and 6 (the figure is "
            f"one row wide). Received: n_layers={n_layers}"
        )
    level = TRAINING_LOOP_STAGES.index(stage)

    step = 1.7
    flow_y, weights_y, optimizer_y, target_y = 3.0, 1.65, 0.35, 4.45
    layer_xs = [2.55 + step * i for i in range(n_layers)]
    pred_x = layer_xs[-1] + step + 0.1
    loss_x = pred_x + 2.15
    right = loss_x + 1.15
    fig, ax = new_figure(0.3 + 3.5 * right / 5.1, 3.7)
    _blank_axes(ax, (0.0, right), (-0.15, 4.95))

    muted = COLORS["muted"]
    _box(ax, (0.85, flow_y), "x\n(inputs)", 1.3, 0.8, muted)
    previous_right = 1.5
    for number, x in enumerate(layer_xs, start=1):
        _box(ax, (x, flow_y), f"layer {number}", 1.25, 0.9,
             COLORS["primary"])
        _arrow(ax, (previous_right, flow_y), (x - 0.625, flow_y))
        previous_right = x + 0.625
        _box(ax, (x, weights_y), f"weights {number}", 1.35, 0.55,
             COLORS["accent"], filled=False, fontsize=8)
        _arrow(ax, (x, weights_y + 0.275), (x, flow_y - 0.45))
    _box(ax, (pred_x, flow_y), "y_pred\n(prediction)", 1.5, 0.8, muted)
    _arrow(ax, (previous_right, flow_y), (pred_x - 0.75, flow_y))
    if level == 0:
        return fig

    _box(ax, (loss_x, target_y), "y_true\n(correct answer)", 1.9, 0.75,
         muted)
    _box(ax, (loss_x, flow_y), "loss\nfunction", 1.6, 0.8,
         COLORS["secondary"])
    _arrow(ax, (pred_x + 0.75, flow_y), (loss_x - 0.8, flow_y))
    _arrow(ax, (loss_x, target_y - 0.375), (loss_x, flow_y + 0.4))
    _box(ax, (loss_x, weights_y), "loss value\n(one number)", 1.9, 0.7,
         COLORS["accent"])
    _arrow(ax, (loss_x, flow_y - 0.4), (loss_x, weights_y + 0.35))
    if level == 1:
        return fig

    green = COLORS["positive"]
    _box(ax, (loss_x, optimizer_y), "optimizer", 1.6, 0.55, green)
    _arrow(ax, (loss_x, weights_y - 0.35), (loss_x, optimizer_y + 0.275),
           color=green)
    ax.plot([loss_x - 0.8, layer_xs[0]], [optimizer_y, optimizer_y],
            color=green, linewidth=1.3)
    for x in layer_xs:
        _arrow(ax, (x, optimizer_y), (x, weights_y - 0.275), color=green)
    ax.text((layer_xs[-1] + loss_x - 0.8) / 2, optimizer_y + 0.12,
            "nudge every weight\n(backpropagation)", fontsize=8,
            color=green, style="italic", ha="center", va="bottom")
    return fig
