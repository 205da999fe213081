"""Tests for dlpy.plotting.geometry: drawn coordinates, and bad input."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure

from dlpy.plotting import geometry

SQUARE = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])


pytestmark = pytest.mark.usefixtures("close_figures")


def _line(ax, gid):
    (line,) = [line for line in ax.lines if line.get_gid() == gid]
    return line


def _arrows(ax, gid):
    return [text for text in ax.texts if text.get_gid() == gid]


def test_plot_vector_sum_places_arrows_head_to_tail():
    fig = geometry.plot_vector_sum([1.0, 2.0], [2.0, -1.0])
    (ax,) = fig.axes
    (a,), (b,), (total,) = (_arrows(ax, gid) for gid in ("a", "b", "a+b"))
    assert tuple(a.xyann) == (0.0, 0.0) and a.xy == (1.0, 2.0)
    assert tuple(b.xyann) == (1.0, 2.0) and b.xy == (3.0, 1.0)
    assert total.xy == (3.0, 1.0)
    plt.close(fig)


def test_plot_transform_draws_both_point_sets():
    # A quarter turn, worked out by hand: (x, y) -> (-y, x).
    after = np.array([[0.0, 0.0], [0.0, 1.0], [-1.0, 1.0], [-1.0, 0.0]])
    fig = geometry.plot_transform(SQUARE, after, title="rotation")
    (ax,) = fig.axes
    assert ax.get_title() == "rotation"
    before_line, after_line = _line(ax, "before"), _line(ax, "after")
    np.testing.assert_allclose(before_line.get_xydata()[:4], SQUARE)
    np.testing.assert_allclose(after_line.get_xydata()[:4], after)
    # Closed outlines end where they start.
    np.testing.assert_allclose(after_line.get_xydata()[-1], after[0])
    # Both shapes are inside the visible area.
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    both = np.vstack([SQUARE, after])
    assert x0 < both[:, 0].min() and both[:, 0].max() < x1
    assert y0 < both[:, 1].min() and both[:, 1].max() < y1
    plt.close(fig)


def test_plot_transform_arrows_join_each_point_to_its_image():
    after = SQUARE + np.array([2.0, 0.5])
    fig = geometry.plot_transform(SQUARE, after, arrows=True, closed=False)
    (ax,) = fig.axes
    moves = _arrows(ax, "move")
    assert len(moves) == 4
    for arrow, start, end in zip(moves, SQUARE, after):
        np.testing.assert_allclose(arrow.xyann, start)
        np.testing.assert_allclose(arrow.xy, end)
    assert len(_line(ax, "after").get_xydata()) == 4  # not closed
    plt.close(fig)


def test_plot_stages_one_line_per_stage():
    stages = [SQUARE, 2 * SQUARE, SQUARE - 1]
    fig = geometry.plot_stages(stages, ["x", "2x", "x - 1"], title="t")
    (ax,) = fig.axes
    for index, stage in enumerate(stages):
        drawn = _line(ax, f"stage{index}").get_xydata()
        np.testing.assert_allclose(drawn[:4], stage)
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert labels == ["x", "2x", "x - 1"]
    plt.close(fig)


def test_plot_stages_marks_every_kth_point():
    dense = np.array([[0.0, 0.0], [0.5, 0.0], [1.0, 0.0], [1.0, 0.5]])
    fig = geometry.plot_stages([dense], ["outline"], markevery=2)
    line = _line(fig.axes[0], "stage0")
    assert line.get_markevery() == 2
    np.testing.assert_allclose(line.get_xydata()[:4], dense)
    plt.close(fig)


@pytest.mark.parametrize(("w", "c"), [([1.0, -1.0], 0.5), ([0.0, 2.0], -1.0),
                                      ([3.0, 0.5], -3.0), ([1.0, 0.0], -1.5)])
def test_plot_representations_draws_the_line_on_the_last_panel(w, c):
    points = np.array([[0.0, 0.0], [1.0, 2.0], [3.0, 1.0]])
    fig = geometry.plot_representations(
        [points, points], np.array([0, 1, 0]), ["a", "b"], line=(w, c))
    first, last = fig.axes
    assert not [l for l in first.lines if l.get_gid() == "line"]
    drawn = _line(last, "line").get_xydata()
    # Both drawn ends lie on the line w @ p + c = 0.
    np.testing.assert_allclose(drawn @ np.array(w) + c, 0.0, atol=1e-12)
    # The segment stays within the points' range, padded by 5 %.
    assert np.all(drawn >= points.min(axis=0) - 0.05 * 3 - 1e-12)
    assert np.all(drawn <= points.max(axis=0) + 0.05 * 3 + 1e-12)
    plt.close(fig)


def test_plot_representations_skips_a_line_that_misses_the_points():
    points = np.array([[0.0, 0.0], [1.0, 1.0]])
    fig = geometry.plot_representations([points], np.array([0, 1]), ["a"],
                                        line=([1.0, 0.0], 10.0))
    assert not [l for l in fig.axes[0].lines if l.get_gid() == "line"]
    plt.close(fig)


def test_plot_representations_scatters_each_class():
    points = np.array([[0.0, 0.0], [1.0, 2.0], [3.0, 1.0]])
    classes = np.array([0, 1, 0])
    fig = geometry.plot_representations([points, -points], classes,
                                        ["input", "layer 1"])
    first, second = fig.axes
    zeros, ones = first.collections
    np.testing.assert_allclose(zeros.get_offsets(), points[[0, 2]])
    np.testing.assert_allclose(ones.get_offsets(), points[[1]])
    np.testing.assert_allclose(second.collections[1].get_offsets(),
                               -points[[1]])
    assert [ax.get_title() for ax in fig.axes] == ["input", "layer 1"]
    plt.close(fig)


BAD_INPUTS = [
    (geometry.plot_vector_sum, ([1.0, 2.0, 3.0], [1, 2]), ValueError,
     "plot_vector_sum: a must have shape (2,). "
     "Received: a.shape=(3,)"),
    (geometry.plot_vector_sum, (["a", "b"], [1, 2]), TypeError,
     "plot_vector_sum: a must hold integers or floats. "
     "Received: a.dtype=<U1"),
    (geometry.plot_vector_sum, ([1, 2], [[1, 2]]), ValueError,
     "plot_vector_sum: b must have shape (2,). Received: b.shape=(1, 2)"),
    (geometry.plot_transform, (SQUARE.T, SQUARE.T), ValueError,
     "plot_transform: before must have shape (n, 2). "
     "Received: before.shape=(2, 4)"),
    (geometry.plot_stages, ([SQUARE, SQUARE[:, :1]], ["a", "b"]),
     ValueError, "plot_stages: stages[1] must have shape (n, 2). "
     "Received: stages[1].shape=(4, 1)"),
    (geometry.plot_representations,
     {"representations": [SQUARE], "classes": np.zeros(4, int),
      "titles": ["a"], "line": ([1.0, 2.0, 3.0], 1.0)}, ValueError,
     "plot_representations: line[0] must have shape (2,). "
     "Received: line[0].shape=(3,)"),
]


def test_bad_input_is_refused_with_a_clear_message(bad_input):
    bad_input.check()
