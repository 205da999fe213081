"""Tests for dlpy.plotting.concepts, the chapter-1 figures.

Each figure is checked for what it must show (axes, scatters with the right
number of points, one panel per layer, boxes per stage), against counts and
coordinates worked out by hand; bad input must raise with a clear message.
"""

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.patches import Circle, Ellipse

from dlpy.plotting import concepts
from dlpy.plotting.style import COLORS


pytestmark = pytest.mark.usefixtures("close_figures")


def _points_and_labels():
    rng = np.random.default_rng(0)
    points = rng.uniform(-1.0, 1.0, size=(50, 2))
    labels = (points[:, 1] < points[:, 0]).astype(int)
    return points, labels


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


@pytest.mark.parametrize(
    ("stage", "n_layers", "n_boxes", "must_have"),
    [
        # x, y_pred, and a layer and its weights per layer: 2 + 2 * n.
        ("weights", 2, 6, {"x\n(inputs)", "y_pred\n(prediction)",
                           "layer 2", "weights 2"}),
        ("weights", 3, 8, {"layer 3", "weights 3"}),
        # + y_true, the loss function and the loss value.
        ("loss", 2, 9, {"y_true\n(correct answer)", "loss\nfunction",
                        "loss value\n(one number)"}),
        # + the optimizer.
        ("optimizer", 2, 10, {"optimizer", "loss value\n(one number)"}),
        ("optimizer", 1, 8, {"layer 1", "optimizer"}),
    ],
)
def test_training_loop_stages_add_boxes(stage, n_layers, n_boxes,
                                        must_have):
    fig = concepts.plot_training_loop(stage, n_layers=n_layers)
    (ax,) = fig.axes
    assert len(_boxes(ax)) == n_boxes
    assert must_have <= _box_texts(ax)
    assert f"layer {n_layers + 1}" not in _box_texts(ax)
    plt.close(fig)


def test_training_loop_stages_share_one_layout():
    """Shown in turn, the three stages must line up: same size, same view."""
    figures = [concepts.plot_training_loop(stage, n_layers=3)
               for stage in concepts.TRAINING_LOOP_STAGES]
    sizes = {tuple(fig.get_size_inches()) for fig in figures}
    views = {(fig.axes[0].get_xlim(), fig.axes[0].get_ylim())
             for fig in figures}
    assert len(sizes) == 1 and len(views) == 1
    for fig in figures:
        plt.close(fig)


def test_training_loop_optimizer_feeds_every_weights_box():
    """One green arrow from the optimizer rail ends under each weights box."""
    fig = concepts.plot_training_loop("optimizer", n_layers=3)
    (ax,) = fig.axes
    weights = [p for p in _boxes(ax)
               if any(t.get_text().startswith("weights")
                      and p.contains_point(ax.transData.transform(
                          t.get_position()))
                      for t in ax.texts)]
    assert len(weights) == 3
    arrow_tips = [a.xy for a in ax.texts
                  if hasattr(a, "arrow_patch") and a.arrow_patch is not None
                  and a.arrow_patch.get_edgecolor()[:3]
                  == matplotlib.colors.to_rgb(COLORS["positive"])]
    for box in weights:
        bbox = box.get_bbox()
        centre = (bbox.x0 + bbox.x1) / 2
        assert any(abs(x - centre) < 1e-9 and y <= bbox.y0 + 0.05
                   for x, y in arrow_tips), box
    plt.close(fig)


def test_points_one_scatter_per_class_with_right_points():
    points, labels = _points_and_labels()
    fig = concepts.plot_points(points, labels, title="Raw data")
    (ax,) = fig.axes
    assert len(ax.collections) == 2
    for index, collection in enumerate(ax.collections):
        np.testing.assert_allclose(collection.get_offsets(),
                                   points[labels == index])
    assert ax.get_title() == "Raw data"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == [f"white ({np.sum(labels == 0)})",
                      f"black ({np.sum(labels == 1)})"]
    plt.close(fig)


def test_points_three_classes():
    points = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0], [3.0, 3.0]])
    fig = concepts.plot_points(points, [0, 1, 2, 2],
                               class_names=("a", "b", "c"))
    sizes = [len(c.get_offsets()) for c in fig.axes[0].collections]
    assert sizes == [1, 1, 2]
    plt.close(fig)


def test_coordinate_change_panels_show_raw_and_transformed_points():
    points, labels = _points_and_labels()
    theta = np.pi / 4
    rotation = np.array([[np.cos(theta), -np.sin(theta)],
                         [np.sin(theta), np.cos(theta)]])

    def transform(p):
        return p @ rotation.T

    fig = concepts.plot_coordinate_change(points, labels, transform)
    assert len(fig.axes) == 3
    raw, middle, new = fig.axes
    np.testing.assert_allclose(raw.collections[1].get_offsets(),
                               points[labels == 1])
    # Panel 3 shows the rotated points; the black ones all have new x > 0
    # because the classes were split by the line y = x.
    black = np.asarray(new.collections[-1].get_offsets())
    np.testing.assert_allclose(black, transform(points[labels == 1]))
    assert np.all(black[:, 0] > 0)
    # Panel 2 traces both new axes: two contour sets over the scatters.
    assert len(middle.collections) >= 4
    plt.close(fig)


def test_coordinate_change_new_axes_lie_where_expected():
    # A rotation by 90 degrees: new x = -y, new y = x. The new x axis
    # (new y == 0) is the old line x = 0; the new y axis is y = 0.
    points = np.array([[0.5, 0.5], [-0.5, -0.5]])

    def transform(p):
        return np.column_stack([-p[:, 1], p[:, 0]])

    fig = concepts.plot_coordinate_change(points, [0, 1], transform,
                                          grid_size=41)
    middle = fig.axes[1]
    contours = middle.collections[2:]
    new_x_axis = np.vstack([path.vertices
                            for path in contours[0].get_paths()])
    new_y_axis = np.vstack([path.vertices
                            for path in contours[1].get_paths()])
    np.testing.assert_allclose(new_x_axis[:, 0], 0.0, atol=1e-9)
    np.testing.assert_allclose(new_y_axis[:, 1], 0.0, atol=1e-9)
    plt.close(fig)


def test_hypothesis_search_marks_the_best_candidate():
    angles = np.array([0.0, 45.0, 90.0])
    scores = np.array([0.5, 1.0, 0.5])
    fig = concepts.plot_hypothesis_search(angles, scores)
    curve, best = fig.axes[0].lines
    np.testing.assert_allclose(curve.get_xydata(),
                               np.column_stack([angles, scores]))
    np.testing.assert_allclose(best.get_xydata(), [[45.0, 1.0]])
    plt.close(fig)


def test_network_diagram_draws_capped_columns_and_all_edges():
    fig = concepts.plot_network_diagram([784, 64, 32, 10], max_units=10)
    (ax,) = fig.axes
    circles = [p for p in ax.patches if isinstance(p, Circle)]
    assert len(circles) == 40  # 10 units drawn per column
    edges = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert [len(c.get_segments()) for c in edges] == [100, 100, 100]
    texts = _box_texts(ax)
    assert "Input\n784 values" in texts
    assert "Layer 2\n32 units" in texts
    assert "Output\n10 units" in texts
    # 784, 64 and 32 units are elided; the 10 outputs are all drawn.
    assert [t.get_text() for t in ax.texts].count("⋮") == 3
    plt.close(fig)


def test_network_diagram_small_network_has_no_ellipsis():
    fig = concepts.plot_network_diagram([3, 2], layer_names=["in", "out"])
    ax = fig.axes[0]
    assert len([p for p in ax.patches if isinstance(p, Circle)]) == 5
    assert "⋮" not in _box_texts(ax)
    plt.close(fig)


def test_network_diagram_with_image_adds_an_inset():
    image = np.arange(28 * 28, dtype=float).reshape(28, 28)
    fig = concepts.plot_network_diagram([784, 10], image=image)
    (inset,) = fig.axes[0].child_axes
    np.testing.assert_array_equal(inset.images[0].get_array(), image)
    plt.close(fig)


def test_layer_activations_one_panel_per_layer():
    image = np.eye(28)
    hidden1 = np.linspace(0.0, 1.0, 64)
    hidden2 = np.linspace(1.0, 0.0, 32)
    probs = np.full(10, 0.05)
    probs[7] = 0.55
    fig = concepts.plot_layer_activations([hidden1, hidden2, probs], image)
    assert len(fig.axes) == 4
    first, second, third, last = fig.axes
    np.testing.assert_array_equal(first.images[0].get_array(), image)
    # 64 units -> an 8 x 8 grid; 32 units -> 4 x 8, row-major.
    np.testing.assert_allclose(second.images[0].get_array(),
                               hidden1.reshape(8, 8))
    np.testing.assert_allclose(third.images[0].get_array(),
                               hidden2.reshape(4, 8))
    heights = [bar.get_height() for bar in last.patches]
    np.testing.assert_allclose(heights, probs)
    assert second.get_title() == "Layer 1: 64 units"
    plt.close(fig)


def test_layer_activations_without_bars_draws_grids():
    fig = concepts.plot_layer_activations(
        [np.ones(6), np.ones(7)], np.zeros((2, 2)),
        layer_names=["a", "b"], last_as_bars=False,
    )
    assert fig.axes[2].images[0].get_array().shape == (1, 7)
    assert fig.axes[1].images[0].get_array().shape == (2, 3)
    assert [ax.get_title() for ax in fig.axes[1:]] == ["a", "b"]
    plt.close(fig)


# ---------------------------------------------------------------------------
# Bad input: only where Matplotlib's own error would be cryptic
# ---------------------------------------------------------------------------

_POINTS, _LABELS = _points_and_labels()

BAD_INPUTS = [
    (concepts.plot_points, (np.zeros((4, 3)), [0, 1, 0, 1]), ValueError,
     "plot_points: points must have shape (n, 2). "
     "Received: points.shape=(4, 3)"),
    (concepts.plot_points, ([["a", "b"]], [0]), TypeError,
     "plot_points: points must hold integers or floats. "
     "Received: points.dtype=<U1"),
    (concepts.plot_coordinate_change, (_POINTS, _LABELS, lambda p: p[:, :1]),
     ValueError, "plot_coordinate_change: transform(points) must have shape "
     "(n, 2). Received: transform(points).shape=(50, 1)"),
    (concepts.plot_training_loop, ("backprop",), ValueError,
     "plot_training_loop: stage must be one of ('weights', 'loss', "
     "'optimizer'). Received: stage='backprop'"),
]


def test_bad_input_is_refused_with_a_clear_message(bad_input):
    bad_input.check()
