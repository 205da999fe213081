"""Tests for dlpy.plotting.concepts, the chapter-1 figures.

Each figure is checked for what it must show (axes, scatters with the right
points, one panel per representation, arrows from station to station),
against counts and coordinates worked out by hand or with the math module;
bad input must raise with a clear message.
"""

import math

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.patches import Ellipse

from dlpy.plotting import concepts


pytestmark = pytest.mark.usefixtures("close_figures")


def _boxes(ax):
    return [p for p in ax.patches if p.get_gid() == "box"]


def _box_texts(ax):
    return {t.get_text() for t in ax.texts}


# ---------------------------------------------------------------------------
# Conceptual diagrams
# ---------------------------------------------------------------------------


def test_nested_fields_draws_three_nested_regions():
    fig = concepts.plot_nested_fields()
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    ellipses = [p for p in ax.patches if isinstance(p, Ellipse)]
    assert len(ellipses) == 3
    # Each region lies inside the previous one: compare the ellipses'
    # extents in data coordinates.
    extents = [e.get_extents().transformed(ax.transData.inverted())
               for e in ellipses]
    for outer, inner in zip(extents, extents[1:]):
        assert outer.x0 < inner.x0 and inner.x1 < outer.x1
        assert outer.y0 < inner.y0 and inner.y1 < outer.y1
    labels = _box_texts(ax)
    assert {"Artificial intelligence", "Machine learning",
            "Deep learning"} <= labels
    plt.close(fig)


def test_rules_vs_learning_swaps_rules_and_answers():
    fig = concepts.plot_rules_vs_learning()
    assert len(fig.axes) == 2
    classical, learning = fig.axes
    assert len(_boxes(classical)) == 4
    assert len(_boxes(learning)) == 4
    assert "Classical\nprogramming" in _box_texts(classical)
    assert "Machine\nlearning" in _box_texts(learning)
    assert {"Rules", "Data", "Answers"} <= _box_texts(classical)
    assert {"Rules", "Data", "Answers"} <= _box_texts(learning)
    plt.close(fig)


def _arrows(ax):
    """(start, end) of each annotation arrow, in data coordinates."""
    return [(np.array(a.xyann), np.array(a.xy)) for a in ax.texts
            if getattr(a, "arrow_patch", None) is not None]


def test_training_cycle_joins_each_station_to_the_next():
    fig = concepts.plot_training_cycle()
    (ax,) = fig.axes
    boxes = _boxes(ax)
    assert len(boxes) == len(concepts.TRAINING_CYCLE) + 1  # + the weights
    assert set(concepts.TRAINING_CYCLE) | {"the weights"} <= _box_texts(ax)
    centres = {}
    for text in ax.texts:
        if text.get_text() in concepts.TRAINING_CYCLE:
            centres[text.get_text()] = np.array(text.get_position())
    stations = [centres[name] for name in concepts.TRAINING_CYCLE]
    arrows = _arrows(ax)
    assert len(arrows) == len(stations)
    # Each arrow starts nearest station i and ends nearest station i + 1,
    # the last one closing the ring.
    for i, (start, end) in enumerate(arrows):
        nearest_start = np.argmin([np.linalg.norm(start - c)
                                   for c in stations])
        nearest_end = np.argmin([np.linalg.norm(end - c) for c in stations])
        assert (nearest_start, nearest_end) == (i, (i + 1) % len(stations))
    plt.close(fig)


def test_wind_views_show_degrees_and_compass_points():
    degrees = np.array([0.0, 30.0, 90.0, 180.0, 270.0, 350.0])
    labels = np.array([1, 1, 0, 0, 0, 1])
    fig = concepts.plot_wind_views(degrees, labels, 315.5, 0.7)
    line, circle = fig.axes
    # One scatter per class, "other" first, on both panels.
    other, north = circle.collections
    expected = [(math.sin(math.radians(d)), math.cos(math.radians(d)))
                for d in degrees]
    np.testing.assert_allclose(north.get_offsets(),
                               [expected[i] for i in (0, 1, 5)], atol=1e-12)
    np.testing.assert_allclose(other.get_offsets(),
                               [expected[i] for i in (2, 3, 4)], atol=1e-12)
    np.testing.assert_allclose(line.collections[1].get_offsets()[:, 0],
                               [0.0, 30.0, 350.0])
    (vertical,) = [ln for ln in line.lines if ln.get_gid() == "threshold"]
    (horizontal,) = [ln for ln in circle.lines
                     if ln.get_gid() == "threshold"]
    np.testing.assert_allclose(vertical.get_xdata(), [315.5, 315.5])
    np.testing.assert_allclose(horizontal.get_ydata(), [0.7, 0.7])
    legend = [t.get_text() for t in line.get_legend().get_texts()]
    assert legend == ["other (3)", "northerly (3)"]
    plt.close(fig)


def test_threshold_search_one_panel_per_feature_best_marked():
    searches = {"a": ([0.5, 1.5, 2.5], [0.6, 0.9, 0.7]),
                "b": ([-1.0, 0.0], [1.0, 0.5])}
    fig = concepts.plot_threshold_search(searches)
    assert len(fig.axes) == 2
    for ax, (name, (ts, scores)) in zip(fig.axes, searches.items()):
        (curve,) = [ln for ln in ax.lines if ln.get_gid() != "best"]
        (best,) = [ln for ln in ax.lines if ln.get_gid() == "best"]
        np.testing.assert_allclose(curve.get_xydata(),
                                   np.column_stack([ts, scores]))
        k = max(range(len(scores)), key=scores.__getitem__)
        np.testing.assert_allclose(best.get_xydata(), [[ts[k], scores[k]]])
        assert ax.get_xlabel() == f"threshold on {name}"
    plt.close(fig)


def test_layer_maps_grid_of_scatters_coloured_by_label():
    rng = np.random.default_rng(0)
    labels = np.array([0, 1, 2, 1, 0, 2, 2])
    maps = [[rng.normal(size=(7, 2)) for _ in range(3)] for _ in range(2)]
    fig = concepts.plot_layer_maps(maps, labels, ["r0", "r1"],
                                   ["c0", "c1", "c2"])
    assert len(fig.axes) == 6
    for index, ax in enumerate(fig.axes):
        points = maps[index // 3][index % 3]
        assert len(ax.collections) == 3  # one per class
        for k, collection in enumerate(ax.collections):
            np.testing.assert_allclose(collection.get_offsets(),
                                       points[labels == k])
        assert ax.get_title() == f"c{index % 3}"
    assert fig.axes[3].get_ylabel() == "r1"
    plt.close(fig)


def test_step_losses_line_and_epoch_marks():
    losses = np.linspace(2.3, 0.3, 10)
    fig = concepts.plot_step_losses(losses, steps_per_epoch=4)
    (ax,) = fig.axes
    (curve,) = [ln for ln in ax.lines if ln.get_gid() != "epoch"]
    np.testing.assert_allclose(curve.get_xydata(),
                               np.column_stack([np.arange(1, 11), losses]))
    marks = [ln.get_xdata()[0] for ln in ax.lines if ln.get_gid() == "epoch"]
    # Steps 1-4 are epoch 1, 5-8 epoch 2, 9-10 epoch 3.
    assert marks == [4.5, 8.5]
    plt.close(fig)


# ---------------------------------------------------------------------------
# Bad input: only where Matplotlib's own error would be cryptic
# ---------------------------------------------------------------------------

BAD_INPUTS = [
    (concepts.plot_wind_views, ([0.0, 90.0, 180.0], [1, 0], 300.0, 0.7),
     ValueError, "plot_wind_views: degrees and labels must have the same "
     "shape. Received: degrees.shape=(3,), labels.shape=(2,)"),
    (concepts.plot_wind_views, (["n", "s"], [1, 0], 300.0, 0.7), TypeError,
     "plot_wind_views: degrees must hold integers or floats. "
     "Received: degrees.dtype=<U1"),
    (concepts.plot_layer_maps, ([[np.zeros((4, 3))]], [0, 1, 0, 1], ["r"],
                                ["c"]), ValueError,
     "plot_layer_maps: maps[0][0] must have shape (n, 2). "
     "Received: maps[0][0].shape=(4, 3)"),
    (concepts.plot_step_losses, (np.zeros((2, 3)), 4), ValueError,
     "plot_step_losses: losses must have rank 1. "
     "Received: losses.shape=(2, 3)"),
]


def test_bad_input_is_refused_with_a_clear_message(bad_input):
    bad_input.check()
