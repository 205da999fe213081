"""Tests for dlpy.plotting.graphs: the drawing matches the graph object."""

import matplotlib.pyplot as plt
import pytest
from matplotlib.figure import Figure

from dlpy.autodiff import Value, chapter_example
from dlpy.plotting import graphs


pytestmark = pytest.mark.usefixtures("close_figures")


def _with_gid(artists, prefix):
    return [a for a in artists if str(a.get_gid()).startswith(prefix)]


def _by_gid(artists, gid):
    (artist,) = [a for a in artists if a.get_gid() == gid]
    return artist


@pytest.fixture
def loss():
    return chapter_example()["loss"]


@pytest.mark.parametrize("mode", graphs.MODES)
def test_one_box_per_value_and_one_arrow_per_edge(loss, mode):
    highlight = "w" if mode == "path" else None
    fig = graphs.plot_graph(loss, mode=mode, highlight=highlight)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    nodes = loss.topological_order()
    assert len(_with_gid(ax.patches, "node:")) == len(nodes) == 8
    assert len(_with_gid(ax.patches, "edge:")) == len(loss.edges()) == 7
    plt.close(fig)


def test_forward_mode_shows_each_label_and_value(loss):
    fig = graphs.plot_graph(loss, mode="forward")
    ax = fig.axes[0]
    expected = {  # the forward pass, by hand
        "x": "= 2", "w": "= 3", "b": "= 1", "y_true": "= 4",
        "x1": "= 6", "x2": "= 7", "loss": "= 3",
    }
    shown = {}
    for i, _ in enumerate(loss.topological_order()):
        label = _by_gid(ax.texts, f"node-label:{i}").get_text()
        shown[label] = _by_gid(ax.texts, f"node-value:{i}").get_text()
    for label, value in expected.items():
        assert shown[label] == value
    assert shown["v1"] == "= -3"  # y_true - x2 has no label of its own
    assert not _with_gid(ax.texts, "edge-label:")
    plt.close(fig)


def test_backward_mode_labels_each_edge_with_its_local_derivative(loss):
    fig = graphs.plot_graph(loss, mode="backward")
    ax = fig.axes[0]
    edges = loss.edges()
    labels = _with_gid(ax.texts, "edge-label:")
    assert len(labels) == len(edges)
    texts = {label.get_text() for label in labels}
    # Local derivatives by hand: d(x*w)/dw = x = 2, d(x*w)/dx = w = 3,
    # d(x1+b)/dx1 = 1, d(y_true-x2)/dx2 = -1, d|v|/dv = -1 at v = -3.
    for text in ["\u2202x1/\u2202w\n= 2", "\u2202x1/\u2202x\n= 3",
                 "\u2202x2/\u2202x1\n= 1", "\u2202x2/\u2202b\n= 1",
                 "\u2202v1/\u2202x2\n= -1", "\u2202v1/\u2202y_true\n= 1",
                 "\u2202loss/\u2202v1\n= -1"]:
        assert text in texts
    # Arrows point backward: from the result to the operand.
    positions = graphs.graph_layout(loss)
    index = {id(node): i for i, node in enumerate(loss.topological_order())}
    for j, edge in enumerate(edges):
        arrow = _by_gid(ax.patches, f"edge:{j}")
        start, end = arrow._posA_posB
        assert tuple(start) == positions[index[id(edge.child)]]
        assert tuple(end) == positions[index[id(edge.parent)]]
    plt.close(fig)


def test_forward_arrows_point_from_operand_to_result(loss):
    fig = graphs.plot_graph(loss, mode="structure")
    ax = fig.axes[0]
    positions = graphs.graph_layout(loss)
    index = {id(node): i for i, node in enumerate(loss.topological_order())}
    for j, edge in enumerate(loss.edges()):
        start, end = _by_gid(ax.patches, f"edge:{j}")._posA_posB
        assert tuple(start) == positions[index[id(edge.parent)]]
        assert tuple(end) == positions[index[id(edge.child)]]
    plt.close(fig)


def test_path_mode_colours_exactly_the_path_from_loss_to_w(loss):
    fig = graphs.plot_graph(loss, mode="path", highlight="w")
    ax = fig.axes[0]
    on_path = set()
    for j, edge in enumerate(loss.edges()):
        pair = (edge.parent.label or "v1", edge.child.label or "v1")
        arrow = _by_gid(ax.patches, f"edge:{j}")
        if arrow.get_linewidth() > 2:
            on_path.add(pair)
    assert on_path == {("w", "x1"), ("x1", "x2"), ("x2", "v1"),
                       ("v1", "loss")}
    plt.close(fig)


def test_grad_mode_shows_the_gradients(loss):
    fig = graphs.plot_graph(loss, mode="grad")
    ax = fig.axes[0]
    shown = {}
    for i, _ in enumerate(loss.topological_order()):
        label = _by_gid(ax.texts, f"node-label:{i}").get_text()
        shown[label] = _by_gid(ax.texts, f"node-value:{i}").get_text()
    # grad(loss, w) = 2 and grad(loss, b) = 1, worked out by hand.
    assert shown["w"] == "grad = 2"
    assert shown["b"] == "grad = 1"
    assert shown["x"] == "grad = 3"
    assert shown["loss"] == "grad = 1"
    plt.close(fig)


def test_two_paths_draw_two_arrows_between_the_same_nodes():
    x = Value(3.0, label="x")
    y = x * x + x
    y.label = "y"
    y.backward()
    fig = graphs.plot_graph(y, mode="backward")
    ax = fig.axes[0]
    assert len(_with_gid(ax.patches, "node:")) == 3
    arrows = _with_gid(ax.patches, "edge:")
    assert len(arrows) == len(y.edges()) == 4
    texts = sorted(t.get_text() for t in _with_gid(ax.texts, "edge-label:"))
    assert texts == ["\u2202v1/\u2202x\n= 3", "\u2202v1/\u2202x\n= 3",
                     "\u2202y/\u2202v1\n= 1", "\u2202y/\u2202x\n= 1"]
    plt.close(fig)


def test_layout_puts_inputs_left_of_their_users(loss):
    positions = graphs.graph_layout(loss)
    index = {id(node): i for i, node in enumerate(loss.topological_order())}
    for edge in loss.edges():
        src = positions[index[id(edge.parent)]]
        dst = positions[index[id(edge.child)]]
        assert src[0] < dst[0]
    # No two nodes share a position.
    assert len(set(positions.values())) == len(positions)


def test_structure_mode_names_the_operation(loss):
    fig = graphs.plot_graph(loss, mode="structure")
    details = {t.get_text() for t in _with_gid(fig.axes[0].texts,
                                                "node-value:")}
    assert {"x * w", "x1 + b", "y_true - x2", "abs(v1)", "input"} <= details
    plt.close(fig)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"root": 3.0}, TypeError,
         r"plot_graph: root must be a dlpy\.autodiff\.Value .*"
         r"Received: type\(root\)=float"),
        ({"mode": "sideways"}, ValueError,
         r"plot_graph: mode must be one of .* Received: mode='sideways'"),
        ({"mode": "path"}, ValueError,
         r"plot_graph: mode='path' needs highlight"),
        ({"mode": "path", "highlight": "nope"}, ValueError,
         r"plot_graph: highlight must be a node of the graph\. "
         r"Received: highlight='nope'"),
        ({"highlight": Value(1.0, label="stranger")}, ValueError,
         r"highlight must be a node of the graph"),
    ],
)
def test_bad_input_is_rejected(loss, kwargs, error, match):
    kwargs = {"root": loss, **kwargs}
    with pytest.raises(error, match=match):
        graphs.plot_graph(**kwargs)


def test_graph_layout_rejects_non_values():
    with pytest.raises(TypeError, match=r"graph_layout: root must be"):
        graphs.graph_layout([1, 2])
