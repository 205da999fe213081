"""Chapter 1 figures: diagrams laid out by code (the fields of AI, rules
versus learning, the training loop) and figures of data the book computes
(2D points, a change of coordinates, a network's activations)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, Ellipse, FancyBboxPatch
from numpy.typing import ArrayLike, NDArray

from dlpy import _checks as checks
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

#: The three stages of :func:`plot_training_loop`, in order.
TRAINING_LOOP_STAGES = ("weights", "loss", "optimizer")

Point = tuple[float, float]


def _blank_axes(ax: Axes, xlim: Point, ylim: Point) -> None:
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal")
    ax.axis("off")


def _box(ax: Axes, center: Point, text: str, width: float, height: float,
         color: str, *, filled: bool = True, fontsize: float = 9) -> None:
    """A rounded box (``gid="box"``) with centred text."""
    x, y = center
    ax.add_patch(FancyBboxPatch(
        (x - width / 2, y - height / 2), width, height,
        boxstyle="round,pad=0.02,rounding_size=0.12",
        facecolor=color if filled else COLORS["paper"],
        edgecolor=color if not filled else COLORS["ink"],
        linewidth=1.2, gid="box"))
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize,
            color=COLORS["paper"] if filled else COLORS["ink"], wrap=True)


def _arrow(ax: Axes, start: Point, end: Point, color: str | None = None
           ) -> None:
    ax.annotate("", xy=end, xytext=start, arrowprops={
        "arrowstyle": "-|>", "color": color or COLORS["ink"],
        "linewidth": 1.3, "shrinkA": 0, "shrinkB": 0,
        "connectionstyle": "arc3,rad=0.0"})


def _scatter_classes(ax: Axes, points: NDArray[Any], labels: NDArray[Any],
                     class_names: Sequence[str]) -> None:
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
        ax.scatter(chosen[:, 0], chosen[:, 1], s=22, facecolors=face,
                   edgecolors=edge, linewidths=0.9,
                   label=f"{class_name} ({len(chosen)})", zorder=3)


def _legend_below(ax: Axes) -> None:
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3,
              fontsize=8, frameon=False)


def _plain_axes(ax: Axes, limit: float) -> None:
    """The x and y axes through the origin, in a square view."""
    ax.axhline(0.0, color=COLORS["muted"], linewidth=0.8, zorder=1)
    ax.axvline(0.0, color=COLORS["muted"], linewidth=0.8, zorder=1)
    ax.set_xlim(-limit, limit)
    ax.set_ylim(-limit, limit)
    ax.set_aspect("equal")
    ax.set_xlabel("x")
    ax.set_ylabel("y")


def plot_nested_fields() -> Figure:
    """AI, machine learning and deep learning as nested ellipses (1.1)."""
    fig, ax = new_figure(6.0, 4.0)
    _blank_axes(ax, (-3.2, 3.2), (-2.2, 2.2))
    for label, center, width, height, color in [
        ("Artificial intelligence", (0.0, 0.0), 6.2, 4.2, COLORS["primary"]),
        ("Machine learning", (0.45, -0.35), 4.3, 2.9, COLORS["positive"]),
        ("Deep learning", (0.9, -0.7), 2.4, 1.5, COLORS["secondary"]),
    ]:
        ax.add_patch(Ellipse(center, width, height, facecolor=color,
                             alpha=0.18, edgecolor=color, linewidth=2.0))
        ax.text(center[0], center[1] + height / 2 - 0.35, label,
                ha="center", va="center", fontsize=11, fontweight="bold",
                color=color)
    return fig


def plot_rules_vs_learning() -> Figure:
    """Classical programming (rules + data -> answers) above machine
    learning (data + answers -> rules), as flows (1.3)."""
    fig, axes = new_figure(7.0, 3.6, nrows=2)
    flows = [("Classical\nprogramming", ("Rules", "Data"), "Answers",
              COLORS["primary"]),
             ("Machine\nlearning", ("Data", "Answers"), "Rules",
              COLORS["secondary"])]
    for ax, (middle, inputs, output, color) in zip(axes, flows):
        _blank_axes(ax, (0.0, 10.0), (0.0, 3.0))
        for text, y in zip(inputs, (2.2, 0.8)):
            _box(ax, (1.3, y), text, 1.8, 0.8, color, filled=False)
            _arrow(ax, (2.25, y), (3.95, 1.5 + (y - 1.5) * 0.3))
        _box(ax, (5.0, 1.5), middle, 2.0, 1.5, color, fontsize=10)
        _arrow(ax, (6.05, 1.5), (7.75, 1.5))
        _box(ax, (8.7, 1.5), output, 1.8, 0.8, color, filled=False)
    return fig


def plot_points(points: ArrayLike, labels: ArrayLike,
                class_names: Sequence[str] = ("white", "black"),
                title: str | None = None) -> Figure:
    """Scatter ``(n, 2)`` points by integer class, class 0 hollow and 1
    filled, one legend entry per class (1.4)."""
    xy = checks.points("plot_points", "points", points)
    classes = np.asarray(labels)
    fig, ax = new_figure(4.2, 4.2)
    _plain_axes(ax, 1.1 * float(np.abs(xy).max()) or 1.0)
    _scatter_classes(ax, xy, classes, class_names)
    _legend_below(ax)
    if title:
        ax.set_title(title, fontsize=10)
    return fig


def plot_coordinate_change(
    points: ArrayLike, labels: ArrayLike,
    transform: Callable[[NDArray[Any]], ArrayLike],
    class_names: Sequence[str] = ("white", "black"), grid_size: int = 200,
) -> Figure:
    """Three panels: the raw points, the new axes drawn in the old frame
    (where ``transform``'s coordinates are 0), the transformed points (1.4)."""
    fn = "plot_coordinate_change"
    xy = checks.points(fn, "points", points)
    classes = np.asarray(labels)
    new_points = checks.points(fn, "transform(points)", transform(xy))
    limit = 1.1 * float(max(np.abs(xy).max(), np.abs(new_points).max()))
    limit = limit or 1.0
    values = np.linspace(-limit, limit, grid_size)
    grid_x, grid_y = np.meshgrid(values, values)
    grid = np.column_stack([grid_x.ravel(), grid_y.ravel()])
    mapped = np.asarray(transform(grid), dtype=float)
    fig, axes = new_figure(10.5, 3.8, ncols=3)
    for ax, title in zip(axes, ("1. Raw data", "2. Coordinate change",
                                "3. Better representation")):
        _plain_axes(ax, limit)
        ax.set_title(title, fontsize=10)
    _scatter_classes(axes[0], xy, classes, class_names)
    _scatter_classes(axes[1], xy, classes, class_names)
    for k, color, style in ((1, "secondary", None),
                            (0, "primary", "dashed")):
        axes[1].contour(grid_x, grid_y, mapped[:, k].reshape(grid_x.shape),
                        levels=[0.0], colors=[COLORS[color]],
                        linewidths=1.8, linestyles=style)
    axes[1].legend(handles=[
        Line2D([], [], color=COLORS["secondary"], linewidth=1.8,
               label="new x axis"),
        Line2D([], [], color=COLORS["primary"], linewidth=1.8,
               linestyle="dashed", label="new y axis"),
    ], loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, fontsize=8,
        frameon=False)
    axes[2].axvspan(0.0, limit, color=COLORS["accent"], alpha=0.18,
                    zorder=0, label='rule "x > 0"')
    _scatter_classes(axes[2], new_points, classes, class_names)
    axes[2].set_xlabel("new x")
    axes[2].set_ylabel("new y")
    _legend_below(axes[0])
    _legend_below(axes[2])
    return fig


def plot_hypothesis_search(angles_deg: ArrayLike, scores: ArrayLike,
                           best_index: int | None = None) -> Figure:
    """The score of each candidate rotation angle, the best one marked
    (by default the argmax of ``scores``) (1.4)."""
    angles = np.asarray(angles_deg, dtype=float)
    values = np.asarray(scores, dtype=float)
    best = int(np.argmax(values)) if best_index is None else best_index
    fig, ax = new_figure(6.0, 3.2)
    ax.plot(angles, values, color=COLORS["primary"], linewidth=1.5)
    ax.plot([angles[best]], [values[best]], marker="o", markersize=8,
            color=COLORS["secondary"], linestyle="none",
            label=f"best: {angles[best]:g}°, {values[best]:.1%}")
    ax.set_xlabel("rotation angle (degrees)")
    ax.set_ylabel('accuracy of "x > 0"')
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    return fig


def plot_network_diagram(layer_sizes: Sequence[int],
                         image: ArrayLike | None = None, max_units: int = 8,
                         layer_names: Sequence[str] | None = None) -> Figure:
    """A dense network drawn from its layer sizes, at most ``max_units``
    units a column, with an optional input image on the left (1.5)."""
    sizes = [int(size) for size in layer_sizes]
    names = list(layer_names) if layer_names is not None else (
        ["Input"] + [f"Layer {i}" for i in range(1, len(sizes) - 1)]
        + ["Output"])
    columns = []
    for size in sizes:
        shown = min(size, max_units)
        ys = np.linspace(-(shown - 1) / 2, (shown - 1) / 2, shown) * 0.55
        columns.append((ys, size > max_units))
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
        segments = [[(xs[i], y0), (xs[i + 1], y1)] for y0 in columns[i][0]
                    for y1 in columns[i + 1][0]]
        ax.add_collection(LineCollection(segments, colors=COLORS["muted"],
                                         linewidths=0.4, alpha=0.6,
                                         zorder=1))
    for i, (x, (ys, elided)) in enumerate(zip(xs, columns)):
        color = (COLORS["muted"] if i == 0 else COLORS["secondary"]
                 if i == len(sizes) - 1 else COLORS["primary"])
        for y in ys:
            ax.add_patch(Circle((x, y), 0.17, facecolor=color,
                                edgecolor=COLORS["ink"], linewidth=0.7,
                                zorder=2))
        if elided:
            ax.text(x + 0.32, 0.0, "⋮", ha="center", va="center",
                    fontsize=14, color=COLORS["ink"], zorder=3,
                    bbox={"facecolor": COLORS["paper"], "edgecolor": "none",
                          "pad": 0.5})
        unit = "units" if i > 0 else "values"
        ax.text(x, ys.min() - 0.45, f"{names[i]}\n{sizes[i]} {unit}",
                ha="center", va="top", fontsize=8, color=COLORS["ink"])
    if image is not None:
        inset = ax.inset_axes((left + 0.1, -0.7, 1.4, 1.4),
                              transform=ax.transData)
        inset.imshow(np.asarray(image), cmap="gray_r")
        inset.set_xticks([])
        inset.set_yticks([])
        inset.set_title("input image", fontsize=7)
    return fig


def plot_layer_activations(activations_per_layer: Sequence[ArrayLike],
                           image: ArrayLike,
                           layer_names: Sequence[str] | None = None,
                           last_as_bars: bool = True) -> Figure:
    """The input image, then each layer's activations as a near-square
    grid of cells (the last layer as bars over the classes) (1.5)."""
    activations = [np.asarray(a, dtype=float) for a in activations_per_layer]
    names = list(layer_names) if layer_names is not None else [
        f"Layer {i + 1}: {a.size} units" for i, a in enumerate(activations)]
    panels = 1 + len(activations)
    fig, axes = new_figure(2.4 * panels, 2.8, ncols=panels)
    axes = np.atleast_1d(axes)
    axes[0].imshow(np.asarray(image), cmap="gray_r")
    axes[0].set_title("Input", fontsize=9)
    axes[0].set_xticks([])
    axes[0].set_yticks([])
    for i, (ax, values, title) in enumerate(zip(axes[1:], activations,
                                                names)):
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
        rows = max(d for d in range(1, math.isqrt(values.size) + 1)
                   if values.size % d == 0)  # near-square, rows * cols = n
        top = float(values.max())
        ax.imshow(values.reshape(rows, values.size // rows), cmap="Blues",
                  vmin=0.0, vmax=top if top > 0 else 1.0)
        ax.set_xticks([])
        ax.set_yticks([])
    return fig


def plot_training_loop(stage: str = "optimizer", n_layers: int = 2
                       ) -> Figure:
    """Training in three stages that complete one picture: ``"weights"``
    (the forward pass), ``"loss"``, ``"optimizer"`` (1.6)."""
    level = checks.one_of("plot_training_loop", "stage", stage,
                          TRAINING_LOOP_STAGES)
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
