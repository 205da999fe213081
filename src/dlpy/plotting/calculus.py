"""Figures for derivatives, gradients and gradient descent (section 2.4).

Every function takes the data to draw (a function, the points a descent
visited, a list of losses) and returns a Matplotlib figure made with
:func:`dlpy.plotting.style.new_figure`; nothing is computed here that the
book should compute and show itself. Slopes, descent paths and losses come
from ``jax.grad`` and :mod:`dlpy.optim` in the book's cells.

Functions ``f`` of one variable are called on a 1D NumPy array of inputs and
should return an array of the same shape (NumPy and JAX functions do); a
function that only accepts scalars is evaluated point by point instead.
Functions of two variables are called on an array of shape ``(..., 2)`` and
should return an array of shape ``(...)``, again with a pointwise fallback.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch

from dlpy.plotting.style import COLORS, new_figure

__all__ = [
    "plot_descent_1d",
    "plot_descent_2d",
    "plot_function",
    "plot_function_with_tangent",
    "plot_local_global",
    "plot_loss_curve",
    "plot_momentum_sweep",
    "plot_outcome_grid",
    "plot_slopes",
]

_PATH_COLORS = ("secondary", "positive", "accent", "primary", "muted")


# ----------------------------------------------------------------------------
# Validation and evaluation helpers
# ----------------------------------------------------------------------------


def _check_callable(name: str, f) -> None:
    if not callable(f):
        raise TypeError(
            f"{name}: f must be a callable. "
            f"Received: type(f)={type(f).__name__}"
        )


def _check_range(name: str, arg: str, value) -> tuple[float, float]:
    try:
        low, high = (float(v) for v in value)
    except (TypeError, ValueError):
        raise TypeError(
            f"{name}: {arg} must be a pair of numbers (low, high). "
            f"Received: {arg}={value!r}"
        ) from None
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise ValueError(
            f"{name}: {arg} must satisfy low < high (both finite). "
            f"Received: {arg}={value!r}"
        )
    return low, high


def _check_number(name: str, arg: str, value) -> float:
    if isinstance(value, bool):
        raise TypeError(
            f"{name}: {arg} must be a number. Received: {arg}={value!r}"
        )
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise TypeError(
            f"{name}: {arg} must be a number. Received: {arg}={value!r}"
        ) from None
    if not np.isfinite(number):
        raise ValueError(
            f"{name}: {arg} must be finite. Received: {arg}={value!r}"
        )
    return number


def _as_path(name: str, path, ndim_point: int, arg: str = "path"):
    try:
        points = np.asarray(path, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(
            f"{name}: {arg} must be an array of numbers. "
            f"Received: type({arg})={type(path).__name__}"
        ) from None
    if ndim_point == 1:
        if points.ndim == 2 and points.shape[1] == 1:
            points = points[:, 0]
        if points.ndim != 1:
            raise ValueError(
                f"{name}: {arg} must have shape (steps,) or (steps, 1). "
                f"Received: {arg}.shape={points.shape}"
            )
    elif points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(
            f"{name}: {arg} must have shape (steps, 2). "
            f"Received: {arg}.shape={points.shape}"
        )
    if points.shape[0] == 0:
        raise ValueError(
            f"{name}: {arg} must contain at least one point. "
            f"Received: {arg}.shape={points.shape}"
        )
    if not np.all(np.isfinite(points)):
        raise ValueError(
            f"{name}: {arg} must contain only finite values "
            "(a diverging descent produces inf or nan)."
        )
    return points


def _evaluate(f, x: np.ndarray) -> np.ndarray:
    """Evaluate ``f`` on an array of points, vectorised or point by point.

    ``x`` has shape ``(n,)`` for one variable or ``(..., 2)`` for two; the
    result has shape ``x.shape`` or ``x.shape[:-1]`` respectively.
    """
    expected = x.shape if x.ndim == 1 else x.shape[:-1]
    try:
        y = np.asarray(f(x), dtype=float)
    except Exception:  # noqa: BLE001 - scalar-only function: go pointwise
        y = None
    if y is None or y.shape != expected:
        flat = x.reshape(-1) if x.ndim == 1 else x.reshape(-1, 2)
        y = np.array([float(f(p)) for p in flat]).reshape(expected)
    return y


def _path_range(points: np.ndarray, margin: float = 0.25):
    low, high = float(points.min()), float(points.max())
    span = max(high - low, 1.0)
    return low - margin * span, high + margin * span


def _style_axes(ax, xlabel: str, ylabel: str) -> None:
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, color=COLORS["muted"], alpha=0.2)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


# ----------------------------------------------------------------------------
# Derivatives
# ----------------------------------------------------------------------------


def plot_function(
    f: Callable,
    x_range: tuple[float, float] = (-3.0, 3.0),
    *,
    num: int = 400,
    title: str | None = None,
    xlabel: str = "x",
    ylabel: str = "y = f(x)",
):
    """Draw a smooth function of one variable as one continuous curve.

    Introduced in section 2.4.1.

    Args:
        f: the function; called on an array of ``num`` inputs.
        x_range: ``(low, high)`` interval of inputs to draw.
        num: number of sample points (at least 2).
        title: optional axes title.
        xlabel: label of the horizontal axis.
        ylabel: label of the vertical axis.

    Returns:
        A ``matplotlib.figure.Figure`` with one line: the curve.

    Raises:
        TypeError: if ``f`` is not callable or ``x_range`` is not a pair.
        ValueError: if ``x_range`` is empty or ``num`` < 2.

    Example:
        >>> import matplotlib.pyplot as plt
        >>> fig = plot_function(np.sin, (0, 3))
        >>> len(fig.axes[0].lines)
        1
        >>> plt.close(fig)
    """
    name = "plot_function"
    _check_callable(name, f)
    low, high = _check_range(name, "x_range", x_range)
    if isinstance(num, bool) or not isinstance(num, (int, np.integer)):
        raise TypeError(f"{name}: num must be an int. Received: num={num!r}")
    if num < 2:
        raise ValueError(f"{name}: num must be >= 2. Received: num={num}")
    x = np.linspace(low, high, int(num))
    y = _evaluate(f, x)
    fig, ax = new_figure(6, 3.6)
    ax.plot(x, y, color=COLORS["primary"], linewidth=2, label="f(x)")
    _style_axes(ax, xlabel, ylabel)
    if title:
        ax.set_title(title)
    return fig


def plot_function_with_tangent(
    f: Callable,
    x0: float,
    slope: float,
    *,
    x_range: tuple[float, float] = (-3.0, 3.0),
    eps: float | None = None,
    half_width: float | None = None,
    num: int = 400,
    title: str | None = None,
):
    """Draw ``f``, the point ``(x0, f(x0))`` and the tangent line there.

    The tangent is the line ``y = f(x0) + slope * (x - x0)``: near ``x0``,
    ``f(x0 + eps)`` is close to ``f(x0) + slope * eps``. With ``eps`` given,
    the figure also marks ``x0 + eps`` on the curve and on the tangent, so
    the reader can see how small the gap between them is.

    Introduced in section 2.4.1.

    Args:
        f: the function; called on an array of inputs.
        x0: where the tangent touches the curve.
        slope: the derivative ``f'(x0)``, computed by the caller (for
            example with ``jax.grad``).
        x_range: ``(low, high)`` interval of inputs to draw.
        eps: optional small step; marks ``x0 + eps`` on curve and tangent.
        half_width: half-length (along x) of the drawn tangent segment;
            defaults to a quarter of ``x_range``.
        num: number of sample points of the curve.
        title: optional axes title.

    Returns:
        A ``matplotlib.figure.Figure``; its axes hold the curve (label
        ``"f(x)"``), the tangent (label ``"tangent"``) and the point.

    Raises:
        TypeError: if ``f`` is not callable or a number is not a number.
        ValueError: if ``x0`` lies outside ``x_range``.

    Example:
        >>> import matplotlib.pyplot as plt
        >>> fig = plot_function_with_tangent(np.sin, 0.0, 1.0)
        >>> [line.get_label() for line in fig.axes[0].lines][:2]
        ['f(x)', 'tangent']
        >>> plt.close(fig)
    """
    name = "plot_function_with_tangent"
    _check_callable(name, f)
    low, high = _check_range(name, "x_range", x_range)
    x0 = _check_number(name, "x0", x0)
    slope = _check_number(name, "slope", slope)
    if not low <= x0 <= high:
        raise ValueError(
            f"{name}: x0 must lie inside x_range. "
            f"Received: x0={x0}, x_range={x_range!r}"
        )
    if half_width is None:
        half_width = (high - low) / 4
    half_width = _check_number(name, "half_width", half_width)
    if half_width <= 0:
        raise ValueError(
            f"{name}: half_width must be positive. "
            f"Received: half_width={half_width}"
        )
    x = np.linspace(low, high, num)
    y = _evaluate(f, x)
    y0 = float(_evaluate(f, np.array([x0]))[0])

    fig, ax = new_figure(6, 3.8)
    ax.plot(x, y, color=COLORS["primary"], linewidth=2, label="f(x)")
    xt = np.linspace(x0 - half_width, x0 + half_width, 2)
    ax.plot(
        xt,
        y0 + slope * (xt - x0),
        color=COLORS["secondary"],
        linewidth=1.8,
        linestyle="--",
        label="tangent",
    )
    ax.plot([x0], [y0], "o", color=COLORS["ink"], label="point", zorder=3)
    ax.annotate(
        f"slope a = {slope:.3g}",
        (x0, y0),
        xytext=(12, -18 if slope > 0 else 12),
        textcoords="offset points",
        color=COLORS["secondary"],
    )
    if eps is not None:
        eps = _check_number(name, "eps", eps)
        x1 = x0 + eps
        y_true = float(_evaluate(f, np.array([x1]))[0])
        y_lin = y0 + slope * eps
        ax.plot(
            [x1, x1],
            [y_true, y_lin],
            "s",
            color=COLORS["accent"],
            markersize=5,
            label="x0 + eps",
            zorder=3,
        )
        ax.axvline(x1, color=COLORS["accent"], alpha=0.5, linewidth=1)
    _style_axes(ax, "x", "y = f(x)")
    ax.legend(loc="best", frameon=False)
    if title:
        ax.set_title(title)
    return fig


def plot_slopes(
    f: Callable,
    xs: Sequence[float],
    slopes: Sequence[float],
    *,
    x_range: tuple[float, float] = (-3.0, 3.0),
    half_width: float = 0.35,
    num: int = 400,
    title: str | None = None,
):
    """Draw ``f`` with a short tangent segment at each of several points.

    Each segment is labelled with its slope, so the figure shows where the
    function rises (positive slope), falls (negative) or is flat (near 0),
    and how steeply.

    Introduced in section 2.4.1.

    Args:
        f: the function; called on an array of inputs.
        xs: the points where slopes are drawn.
        slopes: the derivative at each point of ``xs``, computed by the
            caller (for example with ``jax.vmap(jax.grad(f))``).
        x_range: ``(low, high)`` interval of inputs to draw.
        half_width: half-length (along x) of each tangent segment.
        num: number of sample points of the curve.
        title: optional axes title.

    Returns:
        A ``matplotlib.figure.Figure``: one curve, one segment per point
        (labelled ``"tangent"``) and one slope text per point.

    Raises:
        TypeError: if ``f`` is not callable.
        ValueError: if ``xs`` and ``slopes`` differ in length, are empty, or
            a point lies outside ``x_range``.

    Example:
        >>> import matplotlib.pyplot as plt
        >>> fig = plot_slopes(np.sin, [0.0, 1.5], [1.0, 0.07])
        >>> len(fig.axes[0].texts)
        2
        >>> plt.close(fig)
    """
    name = "plot_slopes"
    _check_callable(name, f)
    low, high = _check_range(name, "x_range", x_range)
    xs = _as_path(name, xs, 1, arg="xs")
    slopes = _as_path(name, slopes, 1, arg="slopes")
    if xs.shape != slopes.shape:
        raise ValueError(
            f"{name}: xs and slopes must have the same length. "
            f"Received: len(xs)={len(xs)}, len(slopes)={len(slopes)}"
        )
    if np.any((xs < low) | (xs > high)):
        raise ValueError(
            f"{name}: every point of xs must lie inside x_range. "
            f"Received: xs={xs.tolist()}, x_range={x_range!r}"
        )
    x = np.linspace(low, high, num)
    ys = _evaluate(f, xs)
    fig, ax = new_figure(6.4, 3.8)
    ax.plot(x, _evaluate(f, x), color=COLORS["primary"], linewidth=2,
            label="f(x)")
    for x0, y0, a in zip(xs, ys, slopes):
        # Same length along the tangent for every slope, so steep segments
        # do not shoot off the axes.
        dx = half_width / np.sqrt(1.0 + a * a)
        xt = np.array([x0 - dx, x0 + dx])
        if a > 1e-9:
            color = COLORS["positive"]
        elif a < -1e-9:
            color = COLORS["secondary"]
        else:
            color = COLORS["muted"]
        ax.plot(xt, y0 + a * (xt - x0), color=color, linewidth=2.5,
                label="tangent")
        ax.plot([x0], [y0], "o", color=COLORS["ink"], markersize=4,
                label="point")
        # Put the label beside the segment, perpendicular to it.
        norm = np.hypot(a, 1.0)
        ax.annotate(
            f"{a:+.2f}",
            (x0, y0),
            xytext=(-16 * a / norm, 16 / norm + 4),
            textcoords="offset points",
            ha="center",
            va="center",
            color=color,
            fontsize=9,
            bbox={"boxstyle": "round,pad=0.1", "facecolor": "white",
                  "edgecolor": "none", "alpha": 0.85},
        )
    _style_axes(ax, "x", "y = f(x)")
    if title:
        ax.set_title(title)
    return fig


# ----------------------------------------------------------------------------
# Gradient descent
# ----------------------------------------------------------------------------


def _draw_path_1d(ax, f, points, color, label):
    ys = _evaluate(f, points)
    ax.plot(
        points,
        ys,
        linestyle="none",
        marker="o",
        markersize=5,
        color=color,
        label=label,
        zorder=3,
    )
    for (xa, ya), (xb, yb) in zip(
        zip(points[:-1], ys[:-1]), zip(points[1:], ys[1:])
    ):
        ax.annotate(
            "",
            xy=(xb, yb),
            xytext=(xa, ya),
            arrowprops={"arrowstyle": "->", "color": color, "alpha": 0.6},
        )
    return ys


def plot_descent_1d(
    f: Callable,
    path,
    *,
    x_range: tuple[float, float] | None = None,
    num: int = 400,
    title: str | None = None,
    xlabel: str = "parameter w",
    ylabel: str = "loss",
):
    """Draw a 1D loss curve and the points a gradient descent visited.

    Introduced in section 2.4.3.

    Args:
        f: the loss as a function of one parameter.
        path: the visited parameter values, shape ``(steps,)`` or
            ``(steps, 1)``, e.g. from :func:`dlpy.optim.descend`.
        x_range: ``(low, high)`` interval to draw; defaults to the path's
            extent with a margin.
        num: number of sample points of the curve.
        title: optional axes title.
        xlabel: label of the horizontal axis.
        ylabel: label of the vertical axis.

    Returns:
        A ``matplotlib.figure.Figure``. Its line labelled ``"descent"`` has
        one marker per point of ``path``, at ``(path[i], f(path[i]))``;
        arrows join consecutive points.

    Raises:
        TypeError: if ``f`` is not callable or ``path`` is not numeric.
        ValueError: if ``path`` has the wrong shape or non-finite values.

    Example:
        >>> import matplotlib.pyplot as plt
        >>> fig = plot_descent_1d(np.square, [2.0, 1.0, 0.5])
        >>> fig.axes[0].lines[1].get_xdata().tolist()
        [2.0, 1.0, 0.5]
        >>> plt.close(fig)
    """
    name = "plot_descent_1d"
    _check_callable(name, f)
    points = _as_path(name, path, 1)
    if x_range is None:
        x_range = _path_range(points)
    low, high = _check_range(name, "x_range", x_range)
    x = np.linspace(low, high, num)
    fig, ax = new_figure(6, 3.8)
    ax.plot(x, _evaluate(f, x), color=COLORS["primary"], linewidth=2,
            label="loss")
    _draw_path_1d(ax, f, points, COLORS["secondary"], "descent")
    ax.plot([points[0]], [_evaluate(f, points[:1])[0]], linestyle="none",
            marker="o", markersize=9, markerfacecolor="none",
            color=COLORS["ink"], label="start")
    _style_axes(ax, xlabel, ylabel)
    ax.legend(loc="best", frameon=False)
    if title:
        ax.set_title(title)
    return fig


def plot_descent_2d(
    f: Callable,
    path,
    *,
    x_range: tuple[float, float] | None = None,
    y_range: tuple[float, float] | None = None,
    levels: int = 20,
    num: int = 120,
    title: str | None = None,
):
    """Draw the contour lines of a 2D loss surface and a descent path on it.

    Introduced in section 2.4.3.

    Args:
        f: the loss as a function of two parameters; called on an array of
            shape ``(..., 2)`` and returning shape ``(...)``.
        path: the visited points, shape ``(steps, 2)``, e.g. from
            :func:`dlpy.optim.descend`.
        x_range: interval of the first parameter; defaults to the path's.
        y_range: interval of the second parameter; defaults to the path's.
        levels: number of contour levels.
        num: grid points per axis.
        title: optional axes title.

    Returns:
        A ``matplotlib.figure.Figure``: filled contours of ``f``, and a line
        labelled ``"descent"`` with one marker per point of ``path``.

    Raises:
        TypeError: if ``f`` is not callable or ``path`` is not numeric.
        ValueError: if ``path`` does not have shape ``(steps, 2)``.

    Example:
        >>> import matplotlib.pyplot as plt
        >>> bowl = lambda p: (p ** 2).sum(axis=-1)
        >>> fig = plot_descent_2d(bowl, [[1.0, 1.0], [0.5, 0.5]])
        >>> fig.axes[0].lines[0].get_xdata().tolist()
        [1.0, 0.5]
        >>> plt.close(fig)
    """
    name = "plot_descent_2d"
    _check_callable(name, f)
    points = _as_path(name, path, 2)
    if x_range is None:
        x_range = _path_range(points[:, 0])
    if y_range is None:
        y_range = _path_range(points[:, 1])
    x_low, x_high = _check_range(name, "x_range", x_range)
    y_low, y_high = _check_range(name, "y_range", y_range)
    grid_x, grid_y = np.meshgrid(
        np.linspace(x_low, x_high, num), np.linspace(y_low, y_high, num)
    )
    z = _evaluate(f, np.stack([grid_x, grid_y], axis=-1))
    fig, ax = new_figure(5.6, 4.6)
    filled = ax.contourf(grid_x, grid_y, z, levels=levels, cmap="Blues_r",
                         alpha=0.85)
    ax.contour(grid_x, grid_y, z, levels=levels, colors=COLORS["paper"],
               linewidths=0.4, alpha=0.6)
    fig.colorbar(filled, ax=ax, label="loss")
    ax.plot(
        points[:, 0],
        points[:, 1],
        marker="o",
        markersize=4,
        linewidth=1.2,
        color=COLORS["secondary"],
        label="descent",
    )
    ax.plot([points[0, 0]], [points[0, 1]], linestyle="none", marker="o",
            markersize=9, markerfacecolor="none", color=COLORS["ink"],
            label="start")
    ax.set_xlabel("w[0]")
    ax.set_ylabel("w[1]")
    ax.legend(loc="upper right", frameon=True)
    if title:
        ax.set_title(title)
    return fig


def plot_local_global(
    f: Callable,
    paths: Mapping[str, object],
    *,
    x_range: tuple[float, float] | None = None,
    num: int = 400,
    title: str | None = None,
):
    """Draw a 1D loss with several minima and one or more descent paths.

    Used to contrast a descent that settles in a local minimum with one
    (for example with momentum) that rolls on to the global minimum. Each
    path's final point is drawn as a large marker.

    Introduced in section 2.4.3.

    Args:
        f: the loss as a function of one parameter.
        paths: mapping from a legend label to the visited points of one
            descent, shape ``(steps,)`` or ``(steps, 1)``.
        x_range: interval to draw; defaults to the extent of all paths.
        num: number of sample points of the curve.
        title: optional axes title.

    Returns:
        A ``matplotlib.figure.Figure``. For each path there is a line with
        that path's label (one marker per point) and a line labelled
        ``"<label> (end)"`` holding the final point.

    Raises:
        TypeError: if ``f`` is not callable or ``paths`` is not a mapping.
        ValueError: if ``paths`` is empty or a path is malformed.

    Example:
        >>> import matplotlib.pyplot as plt
        >>> fig = plot_local_global(np.square, {"sgd": [1.0, 0.2]})
        >>> fig.axes[0].lines[2].get_label()
        'sgd (end)'
        >>> plt.close(fig)
    """
    name = "plot_local_global"
    _check_callable(name, f)
    if not isinstance(paths, Mapping):
        raise TypeError(
            f"{name}: paths must be a mapping from label to path. "
            f"Received: type(paths)={type(paths).__name__}"
        )
    if not paths:
        raise ValueError(f"{name}: paths must not be empty. Received: {{}}")
    arrays = {
        str(label): _as_path(name, path, 1, arg=f"paths[{label!r}]")
        for label, path in paths.items()
    }
    if x_range is None:
        x_range = _path_range(np.concatenate(list(arrays.values())))
    low, high = _check_range(name, "x_range", x_range)
    x = np.linspace(low, high, num)
    fig, ax = new_figure(6.4, 4)
    ax.plot(x, _evaluate(f, x), color=COLORS["primary"], linewidth=2,
            label="loss")
    for i, (label, points) in enumerate(arrays.items()):
        color = COLORS[_PATH_COLORS[i % len(_PATH_COLORS)]]
        ys = _evaluate(f, points)
        ax.plot(points, ys, linestyle="none", marker="o", markersize=3.5,
                alpha=0.55, color=color, label=label, zorder=3)
        ax.plot([points[-1]], [ys[-1]], linestyle="none", marker="*",
                markersize=16, color=color, markeredgecolor=COLORS["ink"],
                label=f"{label} (end)", zorder=4)
    ax.plot([arrays[next(iter(arrays))][0]],
            [_evaluate(f, arrays[next(iter(arrays))][:1])[0]],
            linestyle="none", marker="o", markersize=10,
            markerfacecolor="none", color=COLORS["ink"], label="start")
    _style_axes(ax, "parameter w", "loss")
    ax.legend(loc="best", frameon=False)
    if title:
        ax.set_title(title)
    return fig


def _category_colors(name: str, outcomes, categories=None) -> dict:
    """One colour per outcome: in the order of ``categories`` if given,
    else in order of first appearance."""
    order = list(dict.fromkeys(outcomes)) if categories is None else [
        str(c) for c in categories]
    unknown = sorted(set(outcomes) - set(order))
    if unknown:
        raise ValueError(
            f"{name}: every outcome must be one of categories. "
            f"Received: outcomes not in categories: {unknown}"
        )
    return {outcome: COLORS[_PATH_COLORS[k % len(_PATH_COLORS)]]
            for k, outcome in enumerate(order)}


def plot_momentum_sweep(
    momenta,
    finals,
    outcomes: Sequence[str],
    minima: Mapping[str, float],
    *,
    categories: Sequence[str] | None = None,
    title: str | None = None,
):
    """Draw where a descent ends as a function of its momentum.

    One marker per run, at ``(momentum, final position)``, coloured by the
    run's outcome (e.g. ``"global minimum"``, ``"local minimum"``, ``"not
    settled"``) as the book classified it; a dashed line marks each
    minimum. Used to show how sensitive escaping a local minimum is to the
    momentum.

    Introduced in section 2.4.3.

    Args:
        momenta: the momentum of each run, shape ``(runs,)``.
        finals: the final position of each run, shape ``(runs,)``.
        outcomes: the outcome of each run, one string per run.
        minima: maps a label to the position of a minimum.
        categories: the possible outcomes, in the order their colours and
            legend entries are assigned; by default, the order in which
            they first appear in ``outcomes``.
        title: optional axes title.

    Returns:
        A ``matplotlib.figure.Figure``: one horizontal line per minimum
        (labelled with its key, which also names a tick of the right-hand
        axis), then one line of markers per category (labelled with it).

    Raises:
        ValueError: if the three sequences differ in length or are empty,
            or an outcome is not one of ``categories``.

    Example:
        >>> import matplotlib.pyplot as plt
        >>> fig = plot_momentum_sweep([0.0, 0.5], [1.0, -1.0],
        ...                           ["right", "left"], {"left": -1.0})
        >>> [line.get_label() for line in fig.axes[0].lines]
        ['left', 'right', 'left']
        >>> plt.close(fig)
    """
    name = "plot_momentum_sweep"
    x = _as_path(name, momenta, 1, arg="momenta")
    y = _as_path(name, finals, 1, arg="finals")
    outcomes = [str(o) for o in outcomes]
    if not (len(x) == len(y) == len(outcomes)):
        raise ValueError(
            f"{name}: momenta, finals and outcomes must have the same "
            f"length. Received: len(momenta)={len(x)}, "
            f"len(finals)={len(y)}, len(outcomes)={len(outcomes)}"
        )
    colors = _category_colors(name, outcomes, categories)
    fig, ax = new_figure(6.4, 3.8)
    for label, position in minima.items():
        ax.axhline(float(position), color=COLORS["muted"], linestyle="--",
                   linewidth=1, label=str(label))
    for k, (outcome, color) in enumerate(colors.items()):
        chosen = [i for i, o in enumerate(outcomes) if o == outcome]
        ax.plot(x[chosen], y[chosen], linestyle="none",
                marker="os^Dv"[k % 5], markersize=6, color=color,
                markeredgecolor=COLORS["ink"], markeredgewidth=0.5,
                label=outcome, zorder=3)
    right = ax.twinx()  # name the minima on the right-hand axis
    right.set_ylim(ax.get_ylim())
    right.set_yticks([float(v) for v in minima.values()],
                     [str(k) for k in minima], fontsize=8)
    right.spines["top"].set_visible(False)
    _style_axes(ax, "momentum", "final position w")
    ax.legend(handles=ax.lines[len(minima):], loc="center left",
              frameon=True, fontsize=8)
    if title:
        ax.set_title(title)
    return fig


def plot_outcome_grid(
    x_values,
    y_values,
    outcomes,
    *,
    xlabel: str = "momentum",
    ylabel: str = "learning rate",
    categories: Sequence[str] | None = None,
    title: str | None = None,
):
    """Draw a map of categorical outcomes over a grid of two settings.

    Cell ``[i, j]`` of ``outcomes`` is the outcome of the run with
    ``y_values[i]`` and ``x_values[j]``; each distinct outcome gets one
    colour and a legend entry, in the order of ``categories`` (by default,
    of first appearance, scanning row by row).

    Introduced in section 2.4.3.

    Args:
        x_values: the settings along the horizontal axis, shape ``(nx,)``.
        y_values: the settings along the vertical axis, shape ``(ny,)``.
        outcomes: strings, shape ``(ny, nx)``.
        xlabel: label of the horizontal axis.
        ylabel: label of the vertical axis.
        categories: the possible outcomes, in colour and legend order.
        title: optional axes title.

    Returns:
        A ``matplotlib.figure.Figure`` with one mesh (its array holds each
        cell's category index) and one legend entry per outcome.

    Raises:
        ValueError: if ``outcomes`` does not have shape ``(ny, nx)`` or
            holds an outcome that is not one of ``categories``.

    Example:
        >>> import matplotlib.pyplot as plt
        >>> fig = plot_outcome_grid([0, 1], [0.1], [["a", "b"]])
        >>> fig.axes[0].collections[0].get_array().tolist()
        [[0.0, 1.0]]
        >>> plt.close(fig)
    """
    name = "plot_outcome_grid"
    x = _as_path(name, x_values, 1, arg="x_values")
    y = _as_path(name, y_values, 1, arg="y_values")
    grid = np.asarray(outcomes, dtype=str)
    if grid.shape != (len(y), len(x)):
        raise ValueError(
            f"{name}: outcomes must have shape (len(y_values), "
            f"len(x_values)) = {(len(y), len(x))}. "
            f"Received: outcomes.shape={grid.shape}"
        )
    colors = _category_colors(name, grid.ravel().tolist(), categories)
    index = {outcome: k for k, outcome in enumerate(colors)}
    codes = np.vectorize(index.get)(grid).astype(float)

    def edges(v):
        if len(v) == 1:
            return np.array([v[0] - 0.5, v[0] + 0.5])
        mid = (v[1:] + v[:-1]) / 2
        return np.concatenate([[2 * v[0] - mid[0]], mid,
                               [2 * v[-1] - mid[-1]]])

    fig, ax = new_figure(6.4, 3.8)
    ax.pcolormesh(edges(x), edges(y), codes,
                  cmap=ListedColormap(list(colors.values())),
                  vmin=-0.5, vmax=len(colors) - 0.5, edgecolors="white",
                  linewidth=0.3)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(handles=[Patch(facecolor=c, label=o)
                       for o, c in colors.items()],
              loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False,
              fontsize=8)
    if title:
        ax.set_title(title)
    return fig


def plot_loss_curve(
    losses,
    *,
    label: str = "training loss",
    xlabel: str = "epoch",
    ylabel: str = "loss",
    title: str | None = None,
):
    """Draw a loss (or any metric) per epoch, epochs numbered from 1.

    Introduced in section 2.5.

    Args:
        losses: one number per epoch, shape ``(epochs,)``.
        label: legend label of the curve.
        xlabel: label of the horizontal axis.
        ylabel: label of the vertical axis.
        title: optional axes title.

    Returns:
        A ``matplotlib.figure.Figure`` with one line holding the points
        ``(1, losses[0]), (2, losses[1]), ...``.

    Raises:
        TypeError: if ``losses`` is not numeric.
        ValueError: if ``losses`` is empty, not 1D, or not finite.

    Example:
        >>> import matplotlib.pyplot as plt
        >>> fig = plot_loss_curve([0.5, 0.3, 0.2])
        >>> fig.axes[0].lines[0].get_xdata().tolist()
        [1, 2, 3]
        >>> plt.close(fig)
    """
    name = "plot_loss_curve"
    values = _as_path(name, losses, 1, arg="losses")
    epochs = np.arange(1, len(values) + 1)
    fig, ax = new_figure(5.6, 3.4)
    ax.plot(epochs, values, marker="o", color=COLORS["primary"],
            linewidth=2, label=label)
    for e, v in zip(epochs, values):
        ax.annotate(f"{v:.3f}", (e, v), xytext=(0, 7),
                    textcoords="offset points", ha="center", fontsize=8,
                    color=COLORS["ink"])
    ax.set_xticks(epochs)
    ax.margins(x=0.06, y=0.15)  # room for the value labels
    _style_axes(ax, xlabel, ylabel)
    ax.legend(loc="best", frameon=False)
    if title:
        ax.set_title(title)
    return fig
