"""Chapter 1 figures: diagrams laid out by code (the fields of AI, rules
versus learning, the training cycle) and figures of data the book computes
(two views of wind directions, a search over thresholds, a network's layers
as maps, the loss step by step)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Ellipse, FancyBboxPatch
from numpy.typing import ArrayLike

from dlpy import _checks as checks
from dlpy.plotting.style import COLORS, new_figure

__all__ = [
    "TRAINING_CYCLE",
    "plot_layer_maps",
    "plot_nested_fields",
    "plot_rules_vs_learning",
    "plot_step_losses",
    "plot_threshold_search",
    "plot_training_cycle",
    "plot_wind_views",
]

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


def plot_nested_fields() -> Figure:
    """AI, machine learning and deep learning as nested ellipses."""
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
    learning (data + answers -> rules), as flows."""
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


def plot_wind_views(degrees: ArrayLike, labels: ArrayLike,
                    degree_threshold: float, north_threshold: float
                    ) -> Figure:
    """Wind directions twice: as recorded, in degrees on a line (left),
    and as points ``(east, north) = (sin d, cos d)`` on the compass circle
    (right); class 1 filled, class 0 hollow; each panel marks its rule's
    threshold (dashed, ``gid="threshold"``)."""
    values = checks.numbers_array("plot_wind_views", "degrees", degrees,
                                  ndim=1).astype(float)
    classes = np.asarray(labels).astype(bool)
    checks.same_shape("plot_wind_views", degrees=values, labels=classes)
    radians = np.radians(values)
    spread = np.random.default_rng(0).uniform(-1.0, 1.0, values.shape)
    fig, (line, circle) = new_figure(9.0, 4.0, ncols=2,
                                     gridspec_kw={"width_ratios": [1.6, 1]})
    views = [(line, values, spread),
             (circle, np.sin(radians), np.cos(radians))]
    for ax, xs, ys in views:
        for chosen, face, name in [(~classes, COLORS["paper"], "other"),
                                   (classes, COLORS["ink"], "northerly")]:
            ax.scatter(xs[chosen], ys[chosen], s=14, facecolors=face,
                       edgecolors=COLORS["ink"], linewidths=0.7, zorder=3,
                       label=f"{name} ({int(chosen.sum())})")
    line.axvline(degree_threshold, color=COLORS["secondary"],
                 linestyle="--", gid="threshold")
    line.set_xlim(0.0, 360.0)
    line.set_ylim(-2.5, 2.5)
    line.set_yticks([])
    line.set_xticks(range(0, 361, 45))
    line.set_xlabel("direction the wind comes from (degrees)")
    line.set_title("As recorded: one number", fontsize=10)
    line.legend(loc="lower center", ncol=2, fontsize=8, frameon=False)
    circle.axhline(north_threshold, color=COLORS["secondary"],
                   linestyle="--", gid="threshold")
    circle.set_xlim(-1.25, 1.25)
    circle.set_ylim(-1.25, 1.25)
    circle.set_aspect("equal")
    circle.set_xlabel("east component")
    circle.set_ylabel("north component")
    circle.set_title("On the compass: two numbers", fontsize=10)
    return fig


def plot_threshold_search(searches: Mapping[str, tuple[ArrayLike, ArrayLike]]
                          ) -> Figure:
    """One panel per feature: the accuracy of "class 1 when the feature is
    above t" for each candidate threshold ``t``, the best one marked.
    ``searches`` maps a feature's name to ``(thresholds, accuracies)``."""
    fig, axes = new_figure(3.2 * len(searches), 3.0, ncols=len(searches),
                           sharey=True)
    for ax, (name, (thresholds, scores)) in zip(np.atleast_1d(axes),
                                                searches.items()):
        ts = np.asarray(thresholds, dtype=float)
        values = np.asarray(scores, dtype=float)
        best = int(np.argmax(values))
        ax.plot(ts, values, color=COLORS["primary"], linewidth=1.4)
        ax.plot([ts[best]], [values[best]], marker="o", markersize=7,
                color=COLORS["secondary"], linestyle="none", gid="best",
                label=f"best: {values[best]:.1%}")
        ax.set_xlabel(f"threshold on {name}")
        ax.grid(alpha=0.3)
        ax.legend(loc="lower center", fontsize=8)
    np.atleast_1d(axes)[0].set_ylabel("accuracy")
    return fig


def plot_layer_maps(maps: Sequence[Sequence[ArrayLike]], labels: ArrayLike,
                    row_names: Sequence[str], column_names: Sequence[str]
                    ) -> Figure:
    """A grid of scatter plots, one per representation: ``maps[r][c]`` is
    an ``(n, 2)`` array of points (e.g. a projection of one layer's
    outputs), coloured by their integer label (one colour per class)."""
    rows, columns = len(maps), len(maps[0])
    classes = np.asarray(labels)
    palette = matplotlib.colormaps["tab10"]
    fig, axes = new_figure(2.9 * columns, 2.7 * rows + 0.5, nrows=rows,
                           ncols=columns, squeeze=False)
    for r, row in enumerate(maps):
        for c, points in enumerate(row):
            xy = checks.points("plot_layer_maps", f"maps[{r}][{c}]", points)
            ax = axes[r, c]
            for k in np.unique(classes):
                chosen = xy[classes == k]
                ax.scatter(chosen[:, 0], chosen[:, 1], s=3, alpha=0.6,
                           color=palette(int(k) % 10), label=str(k),
                           linewidths=0)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(column_names[c], fontsize=9)
        axes[r, 0].set_ylabel(row_names[r], fontsize=9)
    handles, names = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncol=len(names),
               fontsize=8, frameon=False, markerscale=3)
    return fig


#: The stations of :func:`plot_training_cycle`, in the order a step visits
#: them.
TRAINING_CYCLE = (
    "take a batch\nof examples",
    "predict:\nrun the layers",
    "score:\nthe loss value",
    "trace blame back:\nbackpropagation",
    "nudge every\nweight a little",
)


def plot_training_cycle() -> Figure:
    """One training step as a ring of stations (:data:`TRAINING_CYCLE`),
    each joined to the next by an arrow, the weights in the middle."""
    fig, ax = new_figure(6.0, 4.6)
    _blank_axes(ax, (-3.4, 3.4), (-2.6, 2.6))
    n = len(TRAINING_CYCLE)
    angles = np.pi / 2 - 2 * np.pi * np.arange(n) / n  # clockwise from top
    centres = [(2.4 * np.cos(a), 1.8 * np.sin(a)) for a in angles]
    colors = [COLORS["muted"], COLORS["primary"], COLORS["secondary"],
              COLORS["accent"], COLORS["positive"]]
    for text, centre, color in zip(TRAINING_CYCLE, centres, colors):
        _box(ax, centre, text, 1.75, 0.8, color, fontsize=8)
    for i, (x0, y0) in enumerate(centres):
        x1, y1 = centres[(i + 1) % n]
        # Shorten each arrow so it runs between the boxes, not into them.
        dx, dy = x1 - x0, y1 - y0
        length = float(np.hypot(dx, dy))
        trim = 0.62 / length
        _arrow(ax, (x0 + trim * dx, y0 + trim * dy),
               (x1 - trim * dx, y1 - trim * dy))
    _box(ax, (0.0, 0.0), "the weights", 1.5, 0.6, COLORS["ink"],
         filled=False, fontsize=9)
    return fig


def plot_step_losses(losses: ArrayLike, steps_per_epoch: int) -> Figure:
    """The loss of each training step's batch, in step order, with a
    dotted line where each new pass over the data (epoch) begins."""
    values = checks.numbers_array("plot_step_losses", "losses", losses,
                                  ndim=1).astype(float)
    fig, ax = new_figure(6.0, 3.0)
    steps = np.arange(1, values.size + 1)
    ax.plot(steps, values, color=COLORS["primary"], linewidth=0.8)
    for start in range(steps_per_epoch, values.size, steps_per_epoch):
        ax.axvline(start + 0.5, color=COLORS["muted"], linestyle=":",
                   gid="epoch")
    ax.set_xlim(0, values.size + 1)
    ax.set_ylim(bottom=0.0)
    ax.set_xlabel("training step")
    ax.set_ylabel("loss on that step's batch")
    ax.grid(alpha=0.3)
    return fig
