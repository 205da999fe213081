"""Tensor figures of sections 2.1-2.3: digits, crops, tensors of each
rank, batch layouts and the matrix product as boxes."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Polygon, Rectangle
from numpy.typing import ArrayLike, NDArray

from dlpy import _checks as checks
from dlpy.plotting.style import COLORS, new_figure

__all__ = [
    "plot_crops",
    "plot_data_layouts",
    "plot_digit",
    "plot_digits",
    "plot_matmul_boxes",
    "plot_prediction",
    "plot_tensor_ranks",
]


def _axes_row(count: int, width: float, height: float
              ) -> tuple[Figure, list[Axes]]:
    fig, axes = new_figure(width, height, ncols=count, squeeze=False)
    return fig, list(axes.ravel())


def _show_image(ax: Axes, image: NDArray[Any], title: str | None = None,
                fontsize: float = 9, ticks: bool = False) -> None:
    """Pixels as ink on paper: 0 white, full scale black (255 for integer
    images, 1.0 for images in [0, 1]); other data stretched min to max."""
    vmin: float | None = None
    vmax: float | None = None
    if image.size and image.min() >= 0:
        if np.issubdtype(image.dtype, np.integer) and image.max() <= 255:
            vmin, vmax = 0, 255
        elif image.max() <= 1:
            vmin, vmax = 0, 1
    ax.imshow(image, cmap="binary", interpolation="nearest", vmin=vmin,
              vmax=vmax)
    if ticks:
        height, width = image.shape
        ax.set_xticks(range(0, width, max(1, width // 4)))
        ax.set_yticks(range(0, height, max(1, height // 4)))
        ax.tick_params(labelsize=7)
    else:
        ax.set_xticks([])
        ax.set_yticks([])
    if title is not None:
        ax.set_title(title, fontsize=fontsize)


def plot_digit(image: ArrayLike, label: object = None) -> Figure:
    """One greyscale image with pixel ticks, titled ``label: <label>``
    (2.2)."""
    fig, ax = new_figure(3.0, 3.2)
    _show_image(ax, checks.image("plot_digit", "image", image),
                None if label is None else f"label: {label}", fontsize=10,
                ticks=True)
    return fig


def plot_digits(images: ArrayLike, labels: Sequence[object] | None = None,
                ncols: int = 10) -> Figure:
    """A grid of greyscale images, ``ncols`` a row, each titled with its
    label (2.1)."""
    array = np.asarray(images)
    count = array.shape[0]
    ncols = min(int(ncols), count)
    nrows = math.ceil(count / ncols)
    fig, axes = new_figure(1.0 * ncols + 0.2, 1.15 * nrows + 0.1,
                           nrows=nrows, ncols=ncols, squeeze=False)
    for index, ax in enumerate(axes.ravel()):
        if index >= count:
            ax.remove()
        else:
            _show_image(ax, array[index],
                        None if labels is None else str(labels[index]))
    return fig


def plot_prediction(image: ArrayLike, probabilities: ArrayLike,
                    label: int) -> Figure:
    """A digit beside the ten probabilities a model gives it (2.1).

    The bar of the model's answer (the largest probability) is drawn in the
    primary colour, the bar of the true ``label`` in the secondary colour
    when the answer is wrong, the others muted; each bar of at least 1% is
    annotated with its percentage.
    """
    p = np.asarray(probabilities, dtype=float)
    if p.ndim != 1:
        raise ValueError(
            "plot_prediction: probabilities must be a rank-1 array, one "
            f"per class. Received: probabilities.shape={p.shape}")
    if not 0 <= int(label) < p.size:
        raise ValueError(
            f"plot_prediction: label must be a class index below "
            f"{p.size}. Received: label={label}")
    answer = int(p.argmax())
    fig, (left, right) = new_figure(
        6.0, 2.4, ncols=2, gridspec_kw={"width_ratios": [1, 2.4]})
    _show_image(left, checks.image("plot_prediction", "image", image),
                f"label: {label}", fontsize=10)
    colours = [COLORS["muted"]] * p.size
    if answer != label:
        colours[label] = COLORS["secondary"]
    colours[answer] = COLORS["primary"]
    bars = right.bar(range(p.size), p, color=colours)
    for index, bar in enumerate(bars):
        bar.set_gid(f"class-{index}")
        if p[index] >= 0.01:
            right.annotate(f"{p[index]:.0%}", (index, p[index]),
                           ha="center", va="bottom", fontsize=8,
                           xytext=(0, 2), textcoords="offset points")
    right.set_xticks(range(p.size))
    right.set_ylim(0, 1.12)
    right.set_xlabel("class")
    right.set_ylabel("probability")
    right.spines[["top", "right"]].set_visible(False)
    return fig


def plot_crops(images: Sequence[ArrayLike], titles: Sequence[str]
               ) -> Figure:
    """Images side by side at one pixel scale (a 14 x 14 crop looks half as
    wide as its 28 x 28 digit), each title followed by the shape (2.2)."""
    arrays = [checks.image("plot_crops", f"images[{i}]", image)
              for i, image in enumerate(images)]
    height = max(image.shape[0] for image in arrays)
    width = max(image.shape[1] for image in arrays)
    fig, axes = _axes_row(len(arrays), 2.1 * len(arrays), 2.5)
    for ax, image, title in zip(axes, arrays, titles):
        _show_image(ax, image, f"{title}\nshape {image.shape}")
        rows, cols = image.shape  # centred in a frame of the largest size
        ax.set_xlim((cols - width) / 2 - 0.5, (cols + width) / 2 - 0.5)
        ax.set_ylim((rows + height) / 2 - 0.5, (rows - height) / 2 - 0.5)
        ax.set_aspect("equal")
        for spine in ax.spines.values():
            spine.set_color(COLORS["muted"])
    return fig


def _cell(ax: Axes, x: float, y: float, value: Any, face: str) -> None:
    """A unit square, with the value written in it (none if ``None``)."""
    ax.add_patch(Rectangle((x, y), 1.0, 1.0, facecolor=face,
                           edgecolor=COLORS["ink"], linewidth=0.8))
    if value is None:
        return
    value = value.item() if hasattr(value, "item") else value
    if isinstance(value, float):
        value = f"{value:.2g}" if not value.is_integer() else int(value)
    ax.text(x + 0.5, y + 0.5, str(value), ha="center", va="center",
            fontsize=8, color=COLORS["ink"])


def plot_tensor_ranks(tensors: Sequence[ArrayLike]) -> Figure:
    """Small tensors of rank 0 to 3 as grids of numbered cells, a rank-3
    tensor as a stack of matrices, all at one scale (2.2)."""
    arrays = [np.asarray(tensor) for tensor in tensors]
    fig, axes = _axes_row(len(arrays), 2.4 * len(arrays), 2.6)
    faces = [COLORS["paper"], "#dbe7f5", "#f6d7dc", "#fbeacb"]
    sizes = []
    for ax, array in zip(axes, arrays):
        rank = array.ndim
        if rank == 3:
            rows, cols = array.shape[1:]
            for layer in range(array.shape[0] - 1, -1, -1):  # back first
                offset = layer * 0.45
                for i in range(rows):
                    for j in range(cols):
                        _cell(ax, j + offset, rows - 1 - i + offset,
                              array[layer, i, j] if layer == 0 else None,
                              faces[3] if layer else faces[rank])
        else:
            matrix = array.reshape((1,) * (2 - rank) + array.shape)
            rows, cols = matrix.shape
            for i in range(rows):
                for j in range(cols):
                    _cell(ax, j, rows - 1 - i, matrix[i, j], faces[rank])
        ax.set_title(f"rank {rank}: shape {array.shape}", fontsize=9)
        back = 0.45 * (array.shape[0] - 1) if rank == 3 else 0.0
        sizes.append((cols + back, rows + back))
    half_x = max(width for width, _ in sizes) / 2 + 0.3
    half_y = max(height for _, height in sizes) / 2 + 0.3
    for ax, (width, height) in zip(axes, sizes):
        ax.set_xlim(width / 2 - half_x, width / 2 + half_x)
        ax.set_ylim(height / 2 - half_y, height / 2 + half_y)
        ax.set_aspect("equal")
        ax.axis("off")
    return fig


# Blocks in an oblique projection; lengths grow with log10 of each size.
_OBLIQUE = (math.cos(math.radians(40)) * 0.55,
            math.sin(math.radians(40)) * 0.55)


def _block_size(n: int) -> float:
    return min(3.0, 0.45 + 0.55 * math.log10(n))


def _draw_block(ax: Axes, x: float, y: float,
                sizes: tuple[float, float, float], face: str) -> None:
    """A cuboid with its front face at (x, y): (height, width, depth)."""
    height, width, depth = sizes
    dx, dy = depth * _OBLIQUE[0], depth * _OBLIQUE[1]
    style: dict[str, Any] = {"edgecolor": COLORS["ink"], "linewidth": 0.8,
                             "gid": "block"}
    ax.add_patch(Polygon(
        [(x, y + height), (x + width, y + height),
         (x + width + dx, y + height + dy), (x + dx, y + height + dy)],
        closed=True, facecolor=face, alpha=1.0, **style))
    ax.add_patch(Polygon(
        [(x + width, y), (x + width + dx, y + dy),
         (x + width + dx, y + height + dy), (x + width, y + height)],
        closed=True, facecolor=face, **style))
    ax.add_patch(Rectangle((x, y), width, height, facecolor=face, **style))


def _label(ax: Axes, x: float, y: float, text: str, **kwargs: Any) -> None:
    kwargs.setdefault("color", COLORS["ink"])
    ax.text(x, y, text, fontsize=7.5, **kwargs)


def _copies(n: int) -> tuple[int, bool]:
    """Copies drawn for an axis of length n (all up to 4, else 3) and
    whether three dots mark the ones left out."""
    return (n, False) if n <= 4 else (3, True)


def _dots(ax: Axes, xs: Sequence[float], ys: Sequence[float]) -> None:
    ax.plot(xs, ys, linestyle="none", marker="o", markersize=2.2,
            color=COLORS["ink"], gid="ellipsis")


def _draw_layout(ax: Axes, shape: tuple[int, ...], names: Sequence[str]
                 ) -> None:
    """One batch layout of rank 2 to 5: a rectangle, a block, a stack of
    blocks along the first axis, or a row of such stacks."""
    rank = len(shape)
    face = "#dbe7f5"
    if rank == 2:
        height, width = _block_size(shape[0]), _block_size(shape[1])
        ax.add_patch(Rectangle((0, 0), width, height, facecolor=face,
                               edgecolor=COLORS["ink"], linewidth=0.8,
                               gid="block"))
        _label(ax, -0.1, height / 2, f"{names[0]}\n{shape[0]:,}",
               ha="right", va="center")
        _label(ax, width / 2, -0.1, f"{names[1]}: {shape[1]:,}",
               ha="center", va="top")
        return
    height, width, depth = inner = (_block_size(shape[-3]),
                                    _block_size(shape[-2]),
                                    _block_size(shape[-1]))
    across, across_cut = _copies(shape[0]) if rank == 5 else (1, False)
    back_copies, back_cut = _copies(shape[-4]) if rank >= 4 else (1, False)
    step_back = 0.35
    dx, dy = depth * _OBLIQUE[0], depth * _OBLIQUE[1]
    stack_width = width + dx + step_back * (back_copies - 1)
    if back_cut:
        stack_width += 4 * 0.16
    gap = 1.0
    span = stack_width + gap
    for copy in range(across):
        x0 = copy * span
        for back in range(back_copies - 1, -1, -1):
            _draw_block(ax, x0 + back * step_back, back * step_back, inner,
                        face if back == 0 else "#eef3fa")
        if back_cut:  # the dots continue the stack backwards
            corner_x = x0 + (back_copies - 1) * step_back + width + dx
            corner_y = (back_copies - 1) * step_back + height + dy
            steps = [0.16 * k for k in (1, 2, 3)]
            _dots(ax, [corner_x + s for s in steps],
                  [corner_y + s for s in steps])
    total = across * span - gap
    if across_cut:
        _dots(ax, [total + 0.25 * k for k in (1, 2, 3)],
              [(height + dy) / 2] * 3)
        total += 0.25 * 4
    _label(ax, -0.1, height / 2, f"{names[-3]}\n{shape[-3]:,}",
           ha="right", va="center")
    _label(ax, width / 2, -0.1, f"{names[-2]}: {shape[-2]:,}",
           ha="center", va="top")
    _label(ax, width + dx / 2 + 0.08, dy / 2 - 0.05,
           f"{names[-1]}: {shape[-1]:,}", ha="left", va="top")
    if rank >= 4:
        _label(ax, (back_copies - 1) * step_back + dx / 2,
               height + dy + (back_copies - 1) * step_back + 0.08,
               f"{names[-4]}: {shape[-4]:,}", ha="center", va="bottom",
               color=COLORS["secondary"])
    if rank == 5:
        ax.annotate("", xy=(total, -0.75), xytext=(0, -0.75), arrowprops={
            "arrowstyle": "<->", "color": COLORS["secondary"]})
        _label(ax, total / 2, -0.85, f"{names[0]}: {shape[0]:,}",
               ha="center", va="top", color=COLORS["secondary"])


def plot_data_layouts(layouts: Sequence[tuple[str, Sequence[int],
                                              Sequence[str]]]) -> Figure:
    """Batch layouts of rank 2 to 5 from ``(title, shape, axis_names)``, one
    scale for all; over 4 copies: 3 and three dots (2.2)."""
    fig, axes = _axes_row(len(layouts), 3.2 * len(layouts), 3.2)
    widths, lows, highs = [], [], []
    for ax, (title, shape, names) in zip(axes, layouts):
        shape = tuple(int(n) for n in shape)
        _draw_layout(ax, shape, [str(name) for name in names])
        ax.set_title(f"{title}\nshape {shape}", fontsize=9)
        ax.autoscale_view()
        (x0, y0), (x1, y1) = ax.dataLim.get_points()
        widths.append((x0, x1))
        lows.append(y0)
        highs.append(y1)
    low, high = min(lows) - 1.1, max(highs) + 0.5
    for ax, (x0, x1) in zip(axes, widths):
        ax.set_xlim(x0 - 1.3, x1 + 1.3)
        ax.set_ylim(low, high)
        ax.set_aspect("equal")
        ax.axis("off")
    gridspec = axes[0].get_gridspec()
    if gridspec is not None:  # always, for axes made by new_figure
        gridspec.set_width_ratios([x1 - x0 + 2.6 for x0, x1 in widths])
    fig.set_size_inches(sum(x1 - x0 + 2.6 for x0, x1 in widths) * 0.55
                        + 0.5, (high - low) * 0.55 + 0.8)
    return fig


def plot_matmul_boxes(x_shape: tuple[int, ...], y_shape: tuple[int, ...],
                      row: int = 0, col: int = 0) -> Figure:
    """``x @ y`` as boxes whose shared sides show the axis summed over; a
    row of ``x``, a column of ``y`` and their entry shaded (2.3.3)."""
    x_shape, y_shape = tuple(x_shape), tuple(y_shape)
    x2 = x_shape if len(x_shape) == 2 else (1,) + x_shape
    y2 = y_shape if len(y_shape) == 2 else y_shape + (1,)
    if x2[1] != y2[0]:
        raise ValueError(
            "plot_matmul_boxes: the last axis of x must match the first "
            f"axis of y. Received: x_shape={x_shape}, y_shape={y_shape}")
    a, b, c = x2[0], x2[1], y2[1]
    z_shape = x_shape[:-1] + y_shape[1:]
    unit = 4.0 / max(a, b, c)
    gap = 0.5
    fig, ax = new_figure(5.0, 4.6)
    boxes = {"x": (-gap - b * unit, -a * unit, b * unit, a * unit),
             "y": (0.0, gap, c * unit, b * unit),
             "z": (0.0, -a * unit, c * unit, a * unit)}
    faces = {"x": "#dbe7f5", "y": "#f6d7dc", "z": "#fbeacb"}
    for gid, (left, bottom, width, height) in boxes.items():
        ax.add_patch(Rectangle((left, bottom), width, height, gid=gid,
                               facecolor=faces[gid], edgecolor=COLORS["ink"],
                               linewidth=1.0))
    x_left, _, x_width, _ = boxes["x"]
    row_top, col_left = -row * unit, col * unit
    for gid, (left, bottom, width, height) in (
        ("x_row", (x_left, row_top - unit, x_width, unit)),
        ("y_col", (col_left, gap, unit, b * unit)),
        ("z_entry", (col_left, row_top - unit, unit, unit)),
    ):
        ax.add_patch(Rectangle((left, bottom), width, height, gid=gid,
                               facecolor=COLORS["accent"],
                               edgecolor=COLORS["ink"], linewidth=0.6,
                               alpha=0.9))
    guide = {"color": COLORS["muted"], "linestyle": "--", "linewidth": 0.8}
    ax.plot([-gap, col_left], [row_top - unit / 2] * 2, **guide)
    ax.plot([col_left + unit / 2] * 2, [gap, row_top], **guide)
    size_text = {"fontsize": 9, "color": COLORS["ink"]}
    ax.text(x_left + x_width / 2, 0.12, f"b = {b}", ha="center",
            va="bottom", color=COLORS["secondary"], fontsize=9)
    ax.text(-0.12, gap + b * unit / 2, f"b = {b}", ha="right",
            va="center", color=COLORS["secondary"], fontsize=9)
    ax.text(x_left - 0.12, -a * unit / 2, f"a = {a}", ha="right",
            va="center", **size_text)
    ax.text(c * unit / 2, gap + b * unit + 0.12, f"c = {c}", ha="center",
            va="bottom", **size_text)
    bold = {"ha": "center", "weight": "bold", "color": COLORS["primary"]}
    ax.text(x_left + x_width / 2, -a * unit / 2, "x", va="center",
            fontsize=13, **bold)
    ax.text(c * unit / 2, gap + b * unit / 2, "y", va="center",
            fontsize=13, **bold)
    ax.text(c * unit / 2, -a * unit - 0.12, "z = x @ y", va="top",
            fontsize=10, **bold)
    ax.set_title(f"x @ y: {x_shape} @ {y_shape} -> {z_shape}", fontsize=10)
    ax.set_aspect("equal")
    ax.autoscale_view()
    ax.margins(0.12)
    ax.axis("off")
    return fig
