"""Figures of sections 2.4-2.5: functions and their slopes, descent paths,
where descents end, loss curves.

The book computes every slope and path (with ``jax.grad`` and
:mod:`dlpy.optim`); these helpers only draw them. A function ``f`` is
called on a whole array: shape ``(n,)`` for one variable, ``(..., 2)`` for
two (then it returns shape ``(...)``), as NumPy and JAX functions allow.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from numpy.typing import ArrayLike, NDArray

from dlpy.plotting.style import COLORS, new_figure

__all__ = [
    "plot_descent_1d",
    "plot_descent_2d",
    "plot_function",
    "plot_function_with_tangent",
    "plot_local_global",
    "plot_loss_curve",
    "plot_momentum_sweep",
    "plot_slopes",
]

Function = Callable[[NDArray[Any]], ArrayLike]
Range = tuple[float, float]

_PATH_COLORS = ("secondary", "positive", "accent", "primary", "muted")


def _values(f: Function, x: NDArray[Any]) -> NDArray[np.float64]:
    return np.asarray(f(x), dtype=float)


def _path(path: ArrayLike) -> NDArray[np.float64]:
    """A 1D path as a vector: ``descend`` returns shape ``(steps, 1)``."""
    points = np.asarray(path, dtype=float)
    return points[:, 0] if points.ndim == 2 else points


def _path_range(points: NDArray[Any], margin: float = 0.25) -> Range:
    low, high = float(points.min()), float(points.max())
    span = max(high - low, 1.0)
    return low - margin * span, high + margin * span


def _style_axes(ax: Axes, xlabel: str, ylabel: str) -> None:
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, color=COLORS["muted"], alpha=0.2)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _curve(ax: Axes, f: Function, x_range: Range, num: int,
           label: str = "f(x)") -> None:
    x = np.linspace(x_range[0], x_range[1], num)
    ax.plot(x, _values(f, x), color=COLORS["primary"], linewidth=2,
            label=label)


def _start(ax: Axes, x: float, y: float) -> None:
    ax.plot([x], [y], linestyle="none", marker="o", markersize=9,
            markerfacecolor="none", color=COLORS["ink"], label="start")


def plot_function(f: Function, x_range: Range = (-3.0, 3.0), *,
                  num: int = 400, title: str | None = None,
                  xlabel: str = "x", ylabel: str = "y = f(x)") -> Figure:
    """``f`` over ``x_range`` as one curve of ``num`` points (2.4.1)."""
    fig, ax = new_figure(6, 3.6)
    _curve(ax, f, x_range, num)
    _style_axes(ax, xlabel, ylabel)
    if title:
        ax.set_title(title)
    return fig


def plot_function_with_tangent(
    f: Function, x0: float, slope: float, *, x_range: Range = (-3.0, 3.0),
    eps: float | None = None, half_width: float | None = None,
    num: int = 400, title: str | None = None,
) -> Figure:
    """``f`` and its tangent of slope ``slope`` at ``x0``; with ``eps``,
    ``x0 + eps`` marked on the curve and on the tangent (2.4.1)."""
    x0, slope = float(x0), float(slope)
    low, high = x_range
    if half_width is None:
        half_width = (high - low) / 4
    y0 = float(_values(f, np.array([x0]))[0])
    fig, ax = new_figure(6, 3.8)
    _curve(ax, f, x_range, num)
    xt = np.linspace(x0 - half_width, x0 + half_width, 2)
    ax.plot(xt, y0 + slope * (xt - x0), color=COLORS["secondary"],
            linewidth=1.8, linestyle="--", label="tangent")
    ax.plot([x0], [y0], "o", color=COLORS["ink"], label="point", zorder=3)
    ax.annotate(f"slope a = {slope:.3g}", (x0, y0),
                xytext=(12, -18 if slope > 0 else 12),
                textcoords="offset points", color=COLORS["secondary"])
    if eps is not None:
        x1 = x0 + eps
        y1 = float(_values(f, np.array([x1]))[0])
        ax.plot([x1, x1], [y1, y0 + slope * eps], "s",
                color=COLORS["accent"], markersize=5, label="x0 + eps",
                zorder=3)
        ax.axvline(x1, color=COLORS["accent"], alpha=0.5, linewidth=1)
    _style_axes(ax, "x", "y = f(x)")
    ax.legend(loc="best", frameon=False)
    if title:
        ax.set_title(title)
    return fig


def plot_slopes(f: Function, xs: ArrayLike, slopes: ArrayLike, *,
                x_range: Range = (-3.0, 3.0), half_width: float = 0.35,
                num: int = 400, title: str | None = None) -> Figure:
    """``f`` with a short tangent segment (label ``"tangent"``) at each
    point of ``xs``, coloured and labelled by its slope (2.4.1)."""
    points, rates = _path(xs), _path(slopes)
    ys = _values(f, points)
    fig, ax = new_figure(6.4, 3.8)
    _curve(ax, f, x_range, num)
    for x0, y0, a in zip(points, ys, rates):
        dx = half_width / np.sqrt(1.0 + a * a)  # one length for any slope
        xt = np.array([x0 - dx, x0 + dx])
        color = (COLORS["positive"] if a > 1e-9 else COLORS["secondary"]
                 if a < -1e-9 else COLORS["muted"])
        ax.plot(xt, y0 + a * (xt - x0), color=color, linewidth=2.5,
                label="tangent")
        ax.plot([x0], [y0], "o", color=COLORS["ink"], markersize=4,
                label="point")
        norm = np.hypot(a, 1.0)  # the label beside the segment
        ax.annotate(f"{a:+.2f}", (x0, y0),
                    xytext=(-16 * a / norm, 16 / norm + 4),
                    textcoords="offset points", ha="center", va="center",
                    color=color, fontsize=9,
                    bbox={"boxstyle": "round,pad=0.1", "facecolor": "white",
                          "edgecolor": "none", "alpha": 0.85})
    _style_axes(ax, "x", "y = f(x)")
    if title:
        ax.set_title(title)
    return fig


def plot_descent_1d(f: Function, path: ArrayLike, *,
                    x_range: Range | None = None, num: int = 400,
                    title: str | None = None, xlabel: str = "parameter w",
                    ylabel: str = "loss") -> Figure:
    """A 1D loss and the points a descent visited (label ``"descent"``,
    at ``(w, f(w))``), joined by arrows (2.4.3)."""
    points = _path(path)
    fig, ax = new_figure(6, 3.8)
    _curve(ax, f, x_range or _path_range(points), num, label="loss")
    ys = _values(f, points)
    color = COLORS["secondary"]
    ax.plot(points, ys, linestyle="none", marker="o", markersize=5,
            color=color, label="descent", zorder=3)
    for xa, ya, xb, yb in zip(points[:-1], ys[:-1], points[1:], ys[1:]):
        ax.annotate("", xy=(xb, yb), xytext=(xa, ya), arrowprops={
            "arrowstyle": "->", "color": color, "alpha": 0.6})
    _start(ax, points[0], _values(f, points[:1])[0])
    _style_axes(ax, xlabel, ylabel)
    ax.legend(loc="best", frameon=False)
    if title:
        ax.set_title(title)
    return fig


def plot_descent_2d(f: Function, path: ArrayLike, *,
                    x_range: Range | None = None,
                    y_range: Range | None = None, levels: int = 20,
                    num: int = 120, title: str | None = None) -> Figure:
    """The contours of a loss of two weights and a descent path on them
    (label ``"descent"``); ranges default to the path's (2.4.3)."""
    points = np.asarray(path, dtype=float)
    x_low, x_high = x_range or _path_range(points[:, 0])
    y_low, y_high = y_range or _path_range(points[:, 1])
    grid_x, grid_y = np.meshgrid(np.linspace(x_low, x_high, num),
                                 np.linspace(y_low, y_high, num))
    z = _values(f, np.stack([grid_x, grid_y], axis=-1))
    fig, ax = new_figure(5.6, 4.6)
    filled = ax.contourf(grid_x, grid_y, z, levels=levels, cmap="Blues_r",
                         alpha=0.85)
    ax.contour(grid_x, grid_y, z, levels=levels, colors=COLORS["paper"],
               linewidths=0.4, alpha=0.6)
    fig.colorbar(filled, ax=ax, label="loss")
    ax.plot(points[:, 0], points[:, 1], marker="o", markersize=4,
            linewidth=1.2, color=COLORS["secondary"], label="descent")
    _start(ax, points[0, 0], points[0, 1])
    ax.set_xlabel("w[0]")
    ax.set_ylabel("w[1]")
    ax.legend(loc="upper right", frameon=True)
    if title:
        ax.set_title(title)
    return fig


def plot_local_global(f: Function, paths: Mapping[str, ArrayLike], *,
                      x_range: Range | None = None, num: int = 400,
                      title: str | None = None) -> Figure:
    """A loss with several minima and descents on it, labelled by key, each
    final point a star labelled ``"<key> (end)"`` (2.4.3)."""
    arrays = {str(label): _path(path) for label, path in paths.items()}
    fig, ax = new_figure(6.4, 4)
    _curve(ax, f, x_range or _path_range(np.concatenate(list(
        arrays.values()))), num, label="loss")
    for i, (label, points) in enumerate(arrays.items()):
        color = COLORS[_PATH_COLORS[i % len(_PATH_COLORS)]]
        ys = _values(f, points)
        ax.plot(points, ys, linestyle="none", marker="o", markersize=3.5,
                alpha=0.55, color=color, label=label, zorder=3)
        ax.plot([points[-1]], [ys[-1]], linestyle="none", marker="*",
                markersize=16, color=color, markeredgecolor=COLORS["ink"],
                label=f"{label} (end)", zorder=4)
    first = next(iter(arrays.values()))
    ax.plot([first[0]], [_values(f, first[:1])[0]], linestyle="none",
            marker="o", markersize=10, markerfacecolor="none",
            color=COLORS["ink"], label="start")
    _style_axes(ax, "parameter w", "loss")
    ax.legend(loc="best", frameon=False)
    if title:
        ax.set_title(title)
    return fig


def _category_colors(fn: str, outcomes: Sequence[str],
                     categories: Sequence[str] | None) -> dict[str, str]:
    """One colour per outcome, in the order of ``categories`` (by default
    of first appearance)."""
    order = list(dict.fromkeys(outcomes)) if categories is None else [
        str(c) for c in categories]
    unknown = sorted(set(outcomes) - set(order))
    if unknown:
        raise ValueError(
            f"{fn}: every outcome must be one of categories. Received: "
            f"outcomes not in categories: {unknown}")
    return {outcome: COLORS[_PATH_COLORS[k % len(_PATH_COLORS)]]
            for k, outcome in enumerate(order)}


def plot_momentum_sweep(momenta: ArrayLike, finals: ArrayLike,
                        outcomes: Sequence[str],
                        minima: Mapping[str, float], *,
                        categories: Sequence[str] | None = None,
                        title: str | None = None) -> Figure:
    """Where each descent ends against its momentum, one marker per outcome;
    each minimum a dashed line, named on the right (2.4.3)."""
    x, y = _path(momenta), _path(finals)
    labels = [str(o) for o in outcomes]
    colors = _category_colors("plot_momentum_sweep", labels, categories)
    fig, ax = new_figure(5.2, 2.6)
    for label, position in minima.items():
        ax.axhline(float(position), color=COLORS["muted"], linestyle="--",
                   linewidth=1, label=str(label))
    for k, (outcome, color) in enumerate(colors.items()):
        chosen = [i for i, o in enumerate(labels) if o == outcome]
        ax.plot(x[chosen], y[chosen], linestyle="none",
                marker="os^Dv"[k % 5], markersize=5, color=color,
                markeredgecolor=COLORS["ink"], markeredgewidth=0.5,
                label=outcome, zorder=3)
    right = ax.twinx()
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


def plot_loss_curve(losses: ArrayLike, *, label: str = "training loss",
                    xlabel: str = "epoch", ylabel: str = "loss",
                    title: str | None = None) -> Figure:
    """A loss (or any metric) per epoch, epochs numbered from 1, each point
    labelled with its value (2.5)."""
    values = _path(losses)
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
