"""Tests for dlpy.plotting.calculus: what each figure draws, and bad input."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure

from dlpy.plotting import calculus


pytestmark = pytest.mark.usefixtures("close_figures")


def _line(ax, label):
    (line,) = [line for line in ax.lines if line.get_label() == label]
    return line


def _bowl(points):
    """A 2D quadratic bowl, vectorised over the last axis."""
    points = np.asarray(points)
    return points[..., 0] ** 2 + 3 * points[..., 1] ** 2


def test_plot_function_draws_the_function_values():
    fig = calculus.plot_function(np.cos, (-1.0, 2.0), num=50)
    assert isinstance(fig, Figure)
    (line,) = fig.axes[0].lines
    x = line.get_xdata()
    np.testing.assert_allclose(x, np.linspace(-1.0, 2.0, 50))
    np.testing.assert_allclose(line.get_ydata(), np.cos(x))
    plt.close(fig)


def test_tangent_is_the_local_linear_approximation():
    # f(x) = x**2 at x0 = 1: tangent y = 1 + 2 (x - 1), by hand.
    fig = calculus.plot_function_with_tangent(
        np.square, 1.0, 2.0, x_range=(-2, 3), eps=0.5
    )
    ax = fig.axes[0]
    tangent = _line(ax, "tangent")
    x, y = tangent.get_xdata(), tangent.get_ydata()
    np.testing.assert_allclose(y, 1 + 2 * (x - 1))
    assert x.min() < 1.0 < x.max()
    point = _line(ax, "point")
    assert point.get_xdata().tolist() == [1.0]
    assert point.get_ydata().tolist() == [1.0]
    # x0 + eps on the curve (2.25) and on the tangent (2.0).
    marks = _line(ax, "x0 + eps")
    np.testing.assert_allclose(marks.get_xdata(), [1.5, 1.5])
    np.testing.assert_allclose(marks.get_ydata(), [2.25, 2.0])
    plt.close(fig)


def test_plot_slopes_one_segment_and_label_per_point():
    xs = [-1.0, 0.0, 2.0]
    slopes = [-2.0, 0.0, 4.0]  # derivative of x**2 at xs, by hand
    fig = calculus.plot_slopes(np.square, xs, slopes, x_range=(-3, 3))
    ax = fig.axes[0]
    segments = [line for line in ax.lines if line.get_label() == "tangent"]
    assert len(segments) == 3
    for segment, x0, a in zip(segments, xs, slopes):
        x, y = segment.get_xdata(), segment.get_ydata()
        np.testing.assert_allclose(y, x0**2 + a * (x - x0))
        np.testing.assert_allclose(x.mean(), x0)
    assert [t.get_text() for t in ax.texts] == ["-2.00", "+0.00", "+4.00"]
    plt.close(fig)


def test_plot_descent_1d_one_marker_per_point_on_the_curve():
    path = np.array([2.0, 1.2, 0.72, 0.432])
    fig = calculus.plot_descent_1d(np.square, path)
    ax = fig.axes[0]
    descent = _line(ax, "descent")
    assert descent.get_marker() == "o"
    assert descent.get_linestyle() == "None"
    np.testing.assert_allclose(descent.get_xdata(), path)
    np.testing.assert_allclose(descent.get_ydata(), path**2)
    # One arrow between consecutive points.
    arrows = [t for t in ax.texts if t.arrow_patch is not None]
    assert len(arrows) == len(path) - 1
    # The default range covers the whole path.
    low, high = ax.get_xlim()
    assert low < path.min() and path.max() < high
    plt.close(fig)


def test_plot_descent_1d_accepts_descend_shape():
    path = np.array([[1.0], [0.5], [0.25]])  # (steps + 1, 1)
    fig = calculus.plot_descent_1d(np.square, path, x_range=(-2, 2))
    np.testing.assert_allclose(
        _line(fig.axes[0], "descent").get_xdata(), [1.0, 0.5, 0.25]
    )
    plt.close(fig)


def test_plot_descent_2d_draws_contours_and_the_path():
    path = np.array([[2.0, 1.0], [1.6, 0.4], [1.28, 0.16]])
    fig = calculus.plot_descent_2d(_bowl, path, x_range=(-3, 3),
                                   y_range=(-2, 2), levels=8)
    ax = fig.axes[0]
    assert len(ax.collections) >= 1  # the filled contours
    descent = _line(ax, "descent")
    np.testing.assert_allclose(descent.get_xdata(), path[:, 0])
    np.testing.assert_allclose(descent.get_ydata(), path[:, 1])
    assert len(descent.get_xdata()) == len(path)
    assert len(fig.axes) == 2  # plus the colour bar
    plt.close(fig)


def test_plot_local_global_marks_each_final_position():
    def two_valleys(x):
        return (x**2 - 1) ** 2 + 0.3 * x

    paths = {
        "no momentum": [1.5, 1.2, 1.0, 0.97],
        "momentum": [1.5, 0.8, -0.5, -1.03],
    }
    fig = calculus.plot_local_global(two_valleys, paths, x_range=(-2, 2))
    ax = fig.axes[0]
    for label, path in paths.items():
        np.testing.assert_allclose(_line(ax, label).get_xdata(), path)
        end = _line(ax, f"{label} (end)")
        np.testing.assert_allclose(end.get_xdata(), [path[-1]])
        np.testing.assert_allclose(end.get_ydata(),
                                   [two_valleys(path[-1])])
    plt.close(fig)


def test_plot_loss_curve_numbers_epochs_from_one():
    losses = [0.9, 0.5, 0.35, 0.3]
    fig = calculus.plot_loss_curve(losses, label="from scratch")
    (line,) = fig.axes[0].lines
    assert line.get_xdata().tolist() == [1, 2, 3, 4]
    np.testing.assert_allclose(line.get_ydata(), losses)
    assert line.get_label() == "from scratch"
    assert len(fig.axes[0].texts) == 4
    plt.close(fig)


def test_plot_momentum_sweep_one_marker_per_run_by_outcome():
    momenta = [0.0, 0.3, 0.6, 0.9]
    finals = [1.3, 1.3, -1.5, -1.2]
    outcomes = ["local", "local", "global", "moving"]
    fig = calculus.plot_momentum_sweep(
        momenta, finals, outcomes, {"global": -1.48, "local": 1.33},
        categories=["local", "global", "moving"])
    ax = fig.axes[0]
    for label, xs, ys in [("local", [0.0, 0.3], [1.3, 1.3]),
                          ("global", [0.6], [-1.5]),
                          ("moving", [0.9], [-1.2])]:
        (line,) = [line for line in ax.lines[2:]
                   if line.get_label() == label]
        np.testing.assert_allclose(line.get_xdata(), xs)
        np.testing.assert_allclose(line.get_ydata(), ys)
    minima = ax.lines[:2]
    assert [line.get_ydata()[0] for line in minima] == [-1.48, 1.33]
    # The right-hand axis names the minima at their heights.
    right = fig.axes[1]
    assert [t.get_text() for t in right.get_yticklabels()] == ["global",
                                                               "local"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "local", "global", "moving"]


BAD_INPUTS = [
    (calculus.plot_momentum_sweep,
     {"momenta": [0.1], "finals": [1.0], "outcomes": ["a"], "minima": {},
      "categories": ["b"]}, ValueError,
     "plot_momentum_sweep: every outcome must be one of categories. "
     "Received: outcomes not in categories: ['a']"),
]


def test_bad_input_is_refused_with_a_clear_message(bad_input):
    bad_input.check()
