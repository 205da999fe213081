"""Figures for chapter 2's tensors: digits, crops, ranks, layouts, matmul.

Every function takes the data it draws as arguments and returns a
Matplotlib ``Figure`` made with :func:`dlpy.plotting.style.new_figure`, so
the book's figures are computed from the arrays the reader has just built.
Introduced in sections 2.2 and 2.3.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.patches import Polygon, Rectangle

from dlpy.plotting.style import COLORS, new_figure

__all__ = [
    "plot_crops",
    "plot_data_layouts",
    "plot_digit",
    "plot_digits",
    "plot_matmul_boxes",
    "plot_tensor_ranks",
]

# Largest axis length plot_tensor_ranks will draw cell by cell.
_MAX_CELLS = 8


def _as_numeric_array(value: Any, func: str, name: str) -> np.ndarray:
    """Convert ``value`` to a real-valued NumPy array or raise TypeError."""
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as error:  # ragged nested lists
        raise TypeError(
            f"{func}: {name} must be an array of numbers. "
            f"Received: type({name})={type(value).__name__}"
        ) from error
    if not (
        np.issubdtype(array.dtype, np.number)
        or np.issubdtype(array.dtype, np.bool_)
    ) or np.iscomplexobj(array):
        raise TypeError(
            f"{func}: {name} must be an array of real numbers. "
            f"Received: {name}.dtype={array.dtype}"
        )
    return array


def _as_image(value: Any, func: str, name: str) -> np.ndarray:
    """Return ``value`` as a rank-2 numeric array or raise."""
    image = _as_numeric_array(value, func, name)
    if image.ndim != 2 or 0 in image.shape:
        raise ValueError(
            f"{func}: {name} must be a non-empty rank-2 array "
            f"(height, width). Received: {name}.shape={image.shape}"
        )
    return image


def _as_shape(value: Any, func: str, name: str) -> tuple[int, ...]:
    """Return ``value`` as a tuple of positive ints or raise."""
    if not isinstance(value, (tuple, list)):
        raise TypeError(
            f"{func}: {name} must be a tuple of ints. "
            f"Received: {name}={value!r}"
        )
    for size in value:
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)):
            raise TypeError(
                f"{func}: {name} must be a tuple of ints. "
                f"Received: {name}={tuple(value)!r}"
            )
        if size < 1:
            raise ValueError(
                f"{func}: every size in {name} must be >= 1. "
                f"Received: {name}={tuple(value)!r}"
            )
    return tuple(int(size) for size in value)


def _axes_row(count: int, width: float, height: float):
    """A figure with ``count`` axes side by side, returned as a flat list."""
    fig, axes = new_figure(width, height, ncols=count, squeeze=False)
    return fig, list(axes.ravel())


def _grey_limits(image: np.ndarray) -> tuple[float | None, float | None]:
    """The pixel values drawn white and black.

    Pixels are ink: 0 is blank paper (white) and the full scale is black,
    255 for 8-bit images and 1.0 for images scaled to [0, 1]. A fixed scale
    keeps a crop as dark as the digit it was cut from; other data is
    stretched from its minimum (white) to its maximum (black).
    """
    if image.size and image.min() >= 0:
        if np.issubdtype(image.dtype, np.integer) and image.max() <= 255:
            return 0, 255
        if image.max() <= 1:
            return 0, 1
    return None, None


def _imshow_ink(ax, image: np.ndarray) -> None:
    """Draw ``image`` as dark ink on white paper (see _grey_limits)."""
    vmin, vmax = _grey_limits(image)
    ax.imshow(image, cmap="binary", interpolation="nearest",
              vmin=vmin, vmax=vmax)


def _show_image(ax, image: np.ndarray, title: str | None) -> None:
    """Draw a greyscale image as ink on paper, with an optional title."""
    _imshow_ink(ax, image)
    ax.set_xticks([])
    ax.set_yticks([])
    if title is not None:
        ax.set_title(title, fontsize=9)


def plot_digit(image: Any, label: Any = None):
    """Draw one greyscale image, such as an MNIST digit.

    Pixels are drawn as ink on paper: 0 is white and full scale black (255
    for ``uint8`` images, 1.0 for images scaled to [0, 1]), the way MNIST's
    own documentation describes its pixels.

    Introduced in section 2.2.

    Args:
        image: a rank-2 array ``(height, width)`` of pixel values.
        label: optional label shown in the title, e.g. ``9``.

    Returns:
        A Matplotlib ``Figure`` with one axes holding the image.

    Raises:
        TypeError: if ``image`` is not an array of real numbers.
        ValueError: if ``image`` is not a non-empty rank-2 array.

    Example:
        >>> import matplotlib.pyplot as plt
        >>> fig = plot_digit(np.eye(28), label=1)
        >>> fig.axes[0].get_title()
        'label: 1'
        >>> plt.close(fig)
    """
    image = _as_image(image, "plot_digit", "image")
    fig, ax = new_figure(3.0, 3.2)
    title = None if label is None else f"label: {label}"
    _imshow_ink(ax, image)
    height, width = image.shape
    ax.set_xticks(range(0, width, max(1, width // 4)))
    ax.set_yticks(range(0, height, max(1, height // 4)))
    ax.tick_params(labelsize=7)
    if title is not None:
        ax.set_title(title, fontsize=10)
    return fig


def plot_digits(images: Any, labels: Any = None, ncols: int = 10):
    """Draw a grid of greyscale images with optional labels.

    Pixels are drawn as in :func:`plot_digit`: 0 white, full scale black.

    Introduced in section 2.1.

    Args:
        images: a rank-3 array ``(samples, height, width)``; at most 100.
        labels: optional sequence with one label per image.
        ncols: images per row.

    Returns:
        A Matplotlib ``Figure`` with one axes per image.

    Raises:
        TypeError: if ``images`` is not numeric or ``ncols`` is not an int.
        ValueError: if ``images`` is not rank 3, holds no or more than 100
            images, ``labels`` has the wrong length, or ``ncols < 1``.

    Example:
        >>> import matplotlib.pyplot as plt
        >>> fig = plot_digits(np.zeros((3, 28, 28)), labels=[5, 0, 4])
        >>> [ax.get_title() for ax in fig.axes]
        ['5', '0', '4']
        >>> plt.close(fig)
    """
    images = _as_numeric_array(images, "plot_digits", "images")
    if images.ndim != 3 or not 1 <= images.shape[0] <= 100:
        raise ValueError(
            "plot_digits: images must be a rank-3 array (samples, height, "
            "width) holding 1 to 100 images. "
            f"Received: images.shape={images.shape}"
        )
    if isinstance(ncols, bool) or not isinstance(ncols, (int, np.integer)):
        raise TypeError(
            f"plot_digits: ncols must be an int. Received: ncols={ncols!r}"
        )
    if ncols < 1:
        raise ValueError(
            f"plot_digits: ncols must be >= 1. Received: ncols={ncols}"
        )
    count = images.shape[0]
    if labels is not None:
        labels = list(labels)
        if len(labels) != count:
            raise ValueError(
                "plot_digits: labels must have one entry per image. "
                f"Received: len(labels)={len(labels)}, "
                f"images.shape={images.shape}"
            )
    ncols = min(int(ncols), count)
    nrows = math.ceil(count / ncols)
    fig, axes = new_figure(
        1.0 * ncols + 0.2, 1.15 * nrows + 0.1,
        nrows=nrows, ncols=ncols, squeeze=False,
    )
    flat = list(axes.ravel())
    for index, ax in enumerate(flat):
        if index >= count:
            ax.remove()
            continue
        title = None if labels is None else str(labels[index])
        _show_image(ax, images[index], title)
    return fig


def plot_crops(images: Sequence[Any], titles: Sequence[str]):
    """Draw several images (a digit and its crops) at the same pixel scale.

    Every panel spans as many pixels as the largest image, so a 14 x 14 crop
    looks half as wide as the 28 x 28 digit it was cut from. Each title gets
    the image's shape appended.

    Introduced in section 2.2.

    Args:
        images: a sequence of rank-2 arrays.
        titles: one title per image.

    Returns:
        A Matplotlib ``Figure`` with one axes per image.

    Raises:
        TypeError: if an image is not numeric or a title is not a string.
        ValueError: if ``images`` is empty, an image is not rank 2, or
            ``titles`` has the wrong length.

    Example:
        >>> import matplotlib.pyplot as plt
        >>> digit = np.arange(784).reshape(28, 28)
        >>> fig = plot_crops([digit, digit[14:, 14:]], ["digit", "corner"])
        >>> fig.axes[1].get_title()
        'corner\\nshape (14, 14)'
        >>> plt.close(fig)
    """
    if isinstance(images, np.ndarray) and images.ndim == 3:
        images = list(images)
    if not isinstance(images, (list, tuple)) or not images:
        raise ValueError(
            "plot_crops: images must be a non-empty list of rank-2 arrays. "
            f"Received: images={type(images).__name__} "
            f"of length {len(images) if hasattr(images, '__len__') else '?'}"
        )
    arrays = [
        _as_image(image, "plot_crops", f"images[{index}]")
        for index, image in enumerate(images)
    ]
    titles = list(titles) if not isinstance(titles, str) else [titles]
    if len(titles) != len(arrays):
        raise ValueError(
            "plot_crops: titles must have one entry per image. "
            f"Received: len(titles)={len(titles)}, len(images)={len(arrays)}"
        )
    for title in titles:
        if not isinstance(title, str):
            raise TypeError(
                "plot_crops: every title must be a string. "
                f"Received: {title!r}"
            )
    height = max(image.shape[0] for image in arrays)
    width = max(image.shape[1] for image in arrays)
    fig, axes = _axes_row(len(arrays), 2.1 * len(arrays), 2.5)
    for ax, image, title in zip(axes, arrays, titles):
        _show_image(ax, image, f"{title}\nshape {image.shape}")
        # Centre the image in a frame as large as the largest image.
        rows, cols = image.shape
        ax.set_xlim((cols - width) / 2 - 0.5, (cols + width) / 2 - 0.5)
        ax.set_ylim((rows + height) / 2 - 0.5, (rows - height) / 2 - 0.5)
        ax.set_aspect("equal")
        for spine in ax.spines.values():
            spine.set_color(COLORS["muted"])
    return fig


def _draw_cell(ax, x: float, y: float, text: str | None, face: str) -> None:
    """One unit square with its value written in it."""
    ax.add_patch(
        Rectangle(
            (x, y), 1.0, 1.0, facecolor=face,
            edgecolor=COLORS["ink"], linewidth=0.8,
        )
    )
    if text is not None:
        ax.text(
            x + 0.5, y + 0.5, text, ha="center", va="center",
            fontsize=8, color=COLORS["ink"],
        )


def _format_value(value: Any) -> str:
    """Short text for a cell: integers as such, floats to two decimals."""
    value = value.item() if hasattr(value, "item") else value
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.2g}"
    return str(int(value)) if isinstance(value, float) else str(value)


def plot_tensor_ranks(tensors: Sequence[Any]):
    """Draw small tensors of rank 0 to 3 as grids of numbered cells.

    A scalar is one cell, a vector a row of cells, a matrix a grid, and a
    rank-3 tensor a stack of matrices seen at an angle. The title gives each
    tensor's ``ndim`` and ``shape``.

    Introduced in section 2.2.

    Args:
        tensors: a non-empty sequence of arrays of rank 0 to 3 with at most
            8 entries along every axis.

    Returns:
        A Matplotlib ``Figure`` with one axes per tensor.

    Raises:
        TypeError: if a tensor is not numeric.
        ValueError: if ``tensors`` is empty, or a tensor has rank > 3 or an
            axis longer than 8.

    Example:
        >>> import matplotlib.pyplot as plt
        >>> fig = plot_tensor_ranks([np.array(7), np.arange(3)])
        >>> [ax.get_title() for ax in fig.axes]
        ['rank 0: shape ()', 'rank 1: shape (3,)']
        >>> plt.close(fig)
    """
    if isinstance(tensors, np.ndarray) or not isinstance(
        tensors, (list, tuple)
    ):
        raise TypeError(
            "plot_tensor_ranks: tensors must be a list of arrays. "
            f"Received: type(tensors)={type(tensors).__name__}"
        )
    if not tensors:
        raise ValueError(
            "plot_tensor_ranks: tensors must not be empty. Received: []"
        )
    arrays = []
    for index, tensor in enumerate(tensors):
        array = _as_numeric_array(tensor, "plot_tensor_ranks",
                                  f"tensors[{index}]")
        if array.ndim > 3 or any(size > _MAX_CELLS for size in array.shape):
            raise ValueError(
                "plot_tensor_ranks: each tensor must have rank <= 3 and at "
                f"most {_MAX_CELLS} entries per axis. "
                f"Received: tensors[{index}].shape={array.shape}"
            )
        if 0 in array.shape:
            raise ValueError(
                "plot_tensor_ranks: tensors must not be empty. "
                f"Received: tensors[{index}].shape={array.shape}"
            )
        arrays.append(array)
    fig, axes = _axes_row(len(arrays), 2.4 * len(arrays), 2.6)
    faces = [COLORS["paper"], "#dbe7f5", "#f6d7dc", "#fbeacb"]
    for ax, array in zip(axes, arrays):
        rank = array.ndim
        if rank == 3:
            depth = array.shape[0]
            shift = 0.45
            # Back layers first, so the front matrix covers them.
            for layer in range(depth - 1, -1, -1):
                offset = layer * shift
                rows, cols = array.shape[1:]
                for i in range(rows):
                    for j in range(cols):
                        text = (
                            _format_value(array[layer, i, j])
                            if layer == 0 else None
                        )
                        _draw_cell(
                            ax, j + offset, rows - 1 - i + offset, text,
                            faces[3] if layer else faces[rank],
                        )
        else:
            matrix = array.reshape((1,) * (2 - rank) + array.shape)
            rows, cols = matrix.shape
            for i in range(rows):
                for j in range(cols):
                    _draw_cell(
                        ax, j, rows - 1 - i, _format_value(matrix[i, j]),
                        faces[rank],
                    )
        ax.set_title(f"rank {rank}: shape {array.shape}", fontsize=9)
    # One scale for every panel, so a scalar is one cell, not a big square;
    # each drawing is centred in its panel.
    sizes = []
    for array in arrays:
        back = 0.45 * (array.shape[0] - 1) if array.ndim == 3 else 0.0
        cols = array.shape[-1] if array.ndim >= 1 else 1
        rows = array.shape[-2] if array.ndim >= 2 else 1
        sizes.append((cols + back, rows + back))
    half_x = max(width for width, _ in sizes) / 2 + 0.3
    half_y = max(height for _, height in sizes) / 2 + 0.3
    for ax, (width, height) in zip(axes, sizes):
        ax.set_xlim(width / 2 - half_x, width / 2 + half_x)
        ax.set_ylim(height / 2 - half_y, height / 2 + half_y)
        ax.set_aspect("equal")
        ax.axis("off")
    return fig


# ---------------------------------------------------------------------------
# Data layouts: blocks drawn in an oblique projection.

_OBLIQUE = (math.cos(math.radians(40)) * 0.55,
            math.sin(math.radians(40)) * 0.55)


def _block_size(n: int) -> float:
    """Drawn length of an axis of size n: logarithmic, so 3 and 20000 fit."""
    return min(3.0, 0.45 + 0.55 * math.log10(n))


def _draw_block(ax, x: float, y: float, sizes: tuple[float, float, float],
                face: str, gid: str) -> None:
    """A cuboid with front face at (x, y): sizes are (height, width, depth)."""
    height, width, depth = sizes
    dx, dy = depth * _OBLIQUE[0], depth * _OBLIQUE[1]
    style = {"edgecolor": COLORS["ink"], "linewidth": 0.8}
    top = Polygon(
        [(x, y + height), (x + width, y + height),
         (x + width + dx, y + height + dy), (x + dx, y + height + dy)],
        closed=True, facecolor=face, alpha=1.0, **style,
    )
    side = Polygon(
        [(x + width, y), (x + width + dx, y + dy),
         (x + width + dx, y + height + dy), (x + width, y + height)],
        closed=True, facecolor=face, **style,
    )
    front = Rectangle((x, y), width, height, facecolor=face, **style)
    for patch in (top, side, front):
        patch.set_gid(gid)
        ax.add_patch(patch)


def _label(ax, x: float, y: float, text: str, **kwargs) -> None:
    kwargs.setdefault("color", COLORS["ink"])
    ax.text(x, y, text, fontsize=7.5, **kwargs)


# An axis of up to this many entries is drawn copy by copy; a longer one is
# drawn as _SHOWN_COPIES copies followed by three dots.
_MAX_COPIES = 4
_SHOWN_COPIES = 3


def _copies(n: int) -> tuple[int, bool]:
    """How many copies to draw for an axis of length n, and whether the
    drawing leaves some out (then three dots mark the gap)."""
    if n <= _MAX_COPIES:
        return n, False
    return _SHOWN_COPIES, True


def _dots(ax, xs: Sequence[float], ys: Sequence[float]) -> None:
    """Three dots saying "and more copies like these"."""
    (line,) = ax.plot(xs, ys, linestyle="none", marker="o", markersize=2.2,
                      color=COLORS["ink"])
    line.set_gid("ellipsis")


def _draw_layout(ax, shape: tuple[int, ...], names: Sequence[str]) -> None:
    """Draw one batch layout of rank 2 to 5 into ``ax``."""
    rank = len(shape)
    face = "#dbe7f5"
    if rank == 2:
        height, width = _block_size(shape[0]), _block_size(shape[1])
        patch = Rectangle((0, 0), width, height, facecolor=face,
                          edgecolor=COLORS["ink"], linewidth=0.8)
        patch.set_gid("block")
        ax.add_patch(patch)
        _label(ax, -0.1, height / 2, f"{names[0]}\n{shape[0]:,}",
               ha="right", va="center")
        _label(ax, width / 2, -0.1, f"{names[1]}: {shape[1]:,}",
               ha="center", va="top")
        return
    # The last three axes form one block: height, width, depth. A rank-4
    # layout stacks blocks along its first axis, front to back; a rank-5
    # layout draws a row of such stacks, one per sample.
    inner = tuple(_block_size(n) for n in shape[-3:])
    inner_names = names[-3:]
    across, across_cut = _copies(shape[0]) if rank == 5 else (1, False)
    back_copies, back_cut = _copies(shape[-4]) if rank >= 4 else (1, False)
    step_back = 0.35
    height, width, depth = inner
    dx, dy = depth * _OBLIQUE[0], depth * _OBLIQUE[1]
    stack_width = width + dx + step_back * (back_copies - 1)
    if back_cut:
        stack_width += 4 * 0.16
    gap = 1.0
    span = stack_width + gap
    for copy in range(across):
        x0 = copy * span
        for back in range(back_copies - 1, -1, -1):
            _draw_block(
                ax, x0 + back * step_back, back * step_back, inner,
                face if back == 0 else "#eef3fa", "block",
            )
        if back_cut:
            # Dots continue the stack backwards, beyond its last block.
            corner_x = x0 + (back_copies - 1) * step_back + width + dx
            corner_y = (back_copies - 1) * step_back + height + dy
            steps = [0.16 * k for k in (1, 2, 3)]
            _dots(ax, [corner_x + s for s in steps],
                  [corner_y + s for s in steps])
    total = across * span - gap
    if across_cut:
        middle = (height + dy) / 2
        _dots(ax, [total + 0.25 * k for k in (1, 2, 3)], [middle] * 3)
        total += 0.25 * 4
    # Labels of the innermost block (the front one, leftmost copy).
    _label(ax, -0.1, height / 2, f"{inner_names[0]}\n{shape[-3]:,}",
           ha="right", va="center")
    _label(ax, width / 2, -0.1, f"{inner_names[1]}: {shape[-2]:,}",
           ha="center", va="top")
    _label(ax, width + dx / 2 + 0.08, dy / 2 - 0.05,
           f"{inner_names[2]}: {shape[-1]:,}", ha="left", va="top")
    if rank >= 4:
        top_x = (back_copies - 1) * step_back + dx / 2
        top_y = height + dy + (back_copies - 1) * step_back + 0.08
        _label(ax, top_x, top_y, f"{names[-4]}: {shape[-4]:,}",
               ha="center", va="bottom", color=COLORS["secondary"])
    if rank == 5:
        ax.annotate(
            "", xy=(total, -0.75), xytext=(0, -0.75),
            arrowprops={"arrowstyle": "<->", "color": COLORS["secondary"]},
        )
        _label(ax, total / 2, -0.85, f"{names[0]}: {shape[0]:,}",
               ha="center", va="top", color=COLORS["secondary"])


def plot_data_layouts(layouts: Sequence[tuple[str, Any, Sequence[str]]]):
    """Draw how batches of data are laid out as tensors of rank 2 to 5.

    Each layout is drawn from its shape: a rank-2 tensor as a rectangle,
    rank 3 as a block, rank 4 as a stack of blocks along its first axis, and
    rank 5 as a row of such stacks. Lengths grow with the logarithm of each
    size, so a 3-feature axis and a 20,000-word axis both fit. An axis of
    stacked or repeated copies is drawn copy by copy when it has at most 4
    entries; a longer one shows 3 copies followed by three dots (a line
    with gid ``"ellipsis"``), so the drawing never claims fewer copies than
    the shape holds.

    Introduced in section 2.2.

    Args:
        layouts: a non-empty sequence of ``(title, shape, axis_names)``
            triples, with ``len(shape) == len(axis_names)`` between 2 and 5.

    Returns:
        A Matplotlib ``Figure`` with one axes per layout.

    Raises:
        TypeError: if a layout is not a triple or a shape is not a tuple of
            ints.
        ValueError: if ``layouts`` is empty, a rank is outside 2-5, a size is
            below 1, or the names do not match the shape.

    Example:
        >>> import matplotlib.pyplot as plt
        >>> fig = plot_data_layouts(
        ...     [("timeseries", (250, 390, 3),
        ...       ("samples", "timesteps", "features"))])
        >>> fig.axes[0].get_title()
        'timeseries\\nshape (250, 390, 3)'
        >>> plt.close(fig)
    """
    if not isinstance(layouts, (list, tuple)):
        raise TypeError(
            "plot_data_layouts: layouts must be a list of (title, shape, "
            f"axis_names) triples. Received: type(layouts)="
            f"{type(layouts).__name__}"
        )
    if not layouts:
        raise ValueError(
            "plot_data_layouts: layouts must not be empty. Received: []"
        )
    checked = []
    for index, layout in enumerate(layouts):
        if not isinstance(layout, (list, tuple)) or len(layout) != 3:
            raise TypeError(
                "plot_data_layouts: each layout must be a (title, shape, "
                f"axis_names) triple. Received: layouts[{index}]={layout!r}"
            )
        title, shape, names = layout
        shape = _as_shape(shape, "plot_data_layouts",
                          f"layouts[{index}] shape")
        names = [str(name) for name in names]
        if not 2 <= len(shape) <= 5:
            raise ValueError(
                "plot_data_layouts: shapes must have rank 2 to 5. "
                f"Received: layouts[{index}] shape={shape}"
            )
        if len(names) != len(shape):
            raise ValueError(
                "plot_data_layouts: axis_names must name every axis of the "
                f"shape. Received: layouts[{index}] shape={shape}, "
                f"axis_names={tuple(names)}"
            )
        checked.append((str(title), shape, names))
    fig, axes = _axes_row(len(checked), 3.2 * len(checked), 3.2)
    widths, lows, highs = [], [], []
    for ax, (title, shape, names) in zip(axes, checked):
        _draw_layout(ax, shape, names)
        ax.set_title(f"{title}\nshape {shape}", fontsize=9)
        ax.autoscale_view()
        (x0, y0), (x1, y1) = ax.dataLim.get_points()
        widths.append((x0, x1))
        lows.append(y0)
        highs.append(y1)
    # Same vertical range everywhere and panel widths proportional to their
    # contents: every layout is drawn at the same scale.
    low, high = min(lows) - 1.1, max(highs) + 0.5
    for ax, (x0, x1) in zip(axes, widths):
        ax.set_xlim(x0 - 1.3, x1 + 1.3)
        ax.set_ylim(low, high)
        ax.set_aspect("equal")
        ax.axis("off")
    axes[0].get_gridspec().set_width_ratios(
        [x1 - x0 + 2.6 for x0, x1 in widths]
    )
    fig.set_size_inches(
        sum(x1 - x0 + 2.6 for x0, x1 in widths) * 0.55 + 0.5,
        (high - low) * 0.55 + 0.8,
    )
    return fig


# ---------------------------------------------------------------------------
# The matrix product as boxes.


def plot_matmul_boxes(x_shape: Any, y_shape: Any, row: int = 0,
                      col: int = 0):
    """Draw ``x @ y`` as boxes whose sides show which axes must agree.

    ``x`` sits left of the result and ``y`` above it, so the width of ``x``
    lines up with the height of ``y`` (the axis the product sums over), and
    the result inherits the height of ``x`` and the width of ``y``. One row
    of ``x``, one column of ``y`` and the entry they produce are shaded.
    Rank-1 shapes are drawn as a single row (``x``) or column (``y``).
    Lengths are proportional to the sizes.

    Introduced in section 2.3.3.

    Args:
        x_shape: shape of ``x``, rank 1 or 2.
        y_shape: shape of ``y``, rank 1 or 2.
        row: the row of ``x`` (and of the result) to shade.
        col: the column of ``y`` (and of the result) to shade.

    Returns:
        A Matplotlib ``Figure``; its patches carry the gids ``"x"``,
        ``"y"``, ``"z"`` (the boxes) and ``"x_row"``, ``"y_col"``,
        ``"z_entry"`` (the shading).

    Raises:
        TypeError: if a shape is not a tuple of ints.
        ValueError: if a shape has rank other than 1 or 2, the last axis of
            ``x`` differs from the first axis of ``y``, or ``row``/``col``
            is out of range.

    Example:
        >>> import matplotlib.pyplot as plt
        >>> fig = plot_matmul_boxes((3, 4), (4, 2))
        >>> fig.axes[0].get_title()
        'x @ y: (3, 4) @ (4, 2) -> (3, 2)'
        >>> plt.close(fig)
    """
    x_shape = _as_shape(x_shape, "plot_matmul_boxes", "x_shape")
    y_shape = _as_shape(y_shape, "plot_matmul_boxes", "y_shape")
    for name, shape in (("x_shape", x_shape), ("y_shape", y_shape)):
        if len(shape) not in (1, 2):
            raise ValueError(
                f"plot_matmul_boxes: {name} must have rank 1 or 2. "
                f"Received: {name}={shape}"
            )
    x2 = x_shape if len(x_shape) == 2 else (1,) + x_shape
    y2 = y_shape if len(y_shape) == 2 else y_shape + (1,)
    if x2[1] != y2[0]:
        raise ValueError(
            "plot_matmul_boxes: the last axis of x must match the first "
            f"axis of y. Received: x_shape={x_shape}, y_shape={y_shape}"
        )
    a, b, c = x2[0], x2[1], y2[1]
    z_shape = x_shape[:-1] + y_shape[1:]
    for name, index, limit in (("row", row, a), ("col", col, c)):
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
            raise TypeError(
                f"plot_matmul_boxes: {name} must be an int. "
                f"Received: {name}={index!r}"
            )
        if not 0 <= index < limit:
            raise ValueError(
                f"plot_matmul_boxes: {name} must be in [0, {limit}). "
                f"Received: {name}={index}"
            )
    unit = 4.0 / max(a, b, c)
    gap = 0.5
    fig, ax = new_figure(5.0, 4.6)
    boxes = {
        # gid: (left, bottom, width, height)
        "x": (-gap - b * unit, -a * unit, b * unit, a * unit),
        "y": (0.0, gap, c * unit, b * unit),
        "z": (0.0, -a * unit, c * unit, a * unit),
    }
    faces = {"x": "#dbe7f5", "y": "#f6d7dc", "z": "#fbeacb"}
    for gid, (left, bottom, width, height) in boxes.items():
        patch = Rectangle((left, bottom), width, height,
                          facecolor=faces[gid], edgecolor=COLORS["ink"],
                          linewidth=1.0)
        patch.set_gid(gid)
        ax.add_patch(patch)
    shade = {"facecolor": COLORS["accent"], "edgecolor": COLORS["ink"],
             "linewidth": 0.6, "alpha": 0.9}
    x_left, _, x_width, _ = boxes["x"]
    row_top = -row * unit
    col_left = col * unit
    for gid, rect in (
        ("x_row", (x_left, row_top - unit, x_width, unit)),
        ("y_col", (col_left, gap, unit, b * unit)),
        ("z_entry", (col_left, row_top - unit, unit, unit)),
    ):
        patch = Rectangle(rect[:2], rect[2], rect[3], **shade)
        patch.set_gid(gid)
        ax.add_patch(patch)
    # Dashed guides from the shaded row and column to the entry.
    guide = {"color": COLORS["muted"], "linestyle": "--", "linewidth": 0.8}
    ax.plot([-gap, col_left], [row_top - unit / 2] * 2, **guide)
    ax.plot([col_left + unit / 2] * 2, [gap, row_top], **guide)
    # Side labels: the sizes that must agree are written in the same colour.
    size_text = {"fontsize": 9, "color": COLORS["ink"]}
    ax.text(x_left + x_width / 2, 0.12, f"b = {b}", ha="center",
            va="bottom", color=COLORS["secondary"], fontsize=9)
    ax.text(-0.12, gap + b * unit / 2, f"b = {b}", ha="right",
            va="center", color=COLORS["secondary"], fontsize=9)
    ax.text(x_left - 0.12, -a * unit / 2, f"a = {a}", ha="right",
            va="center", **size_text)
    ax.text(c * unit / 2, gap + b * unit + 0.12, f"c = {c}", ha="center",
            va="bottom", **size_text)
    ax.text(x_left + x_width / 2, -a * unit / 2, "x", ha="center",
            va="center", fontsize=13, weight="bold", color=COLORS["primary"])
    ax.text(c * unit / 2, gap + b * unit / 2, "y", ha="center",
            va="center", fontsize=13, weight="bold", color=COLORS["primary"])
    ax.text(c * unit / 2, -a * unit - 0.12, "z = x @ y", ha="center",
            va="top", fontsize=10, weight="bold", color=COLORS["primary"])
    ax.set_title(f"x @ y: {x_shape} @ {y_shape} -> {z_shape}", fontsize=10)
    ax.set_aspect("equal")
    ax.autoscale_view()
    ax.margins(0.12)
    ax.axis("off")
    return fig
