"""Tests for dlpy.plotting.graphs: the drawing matches the graph object."""

from types import SimpleNamespace

import matplotlib.pyplot as plt
import pytest
from matplotlib.figure import Figure

from dlpy.autodiff import Value, rain_example
from dlpy.plotting import graphs


pytestmark = pytest.mark.usefixtures("close_figures")


def _with_gid(artists, prefix):
    return [a for a in artists if str(a.get_gid()).startswith(prefix)]


def _by_gid(artists, gid):
    (artist,) = [a for a in artists if a.get_gid() == gid]
    return artist


@pytest.fixture
def loss():
    return rain_example()["loss"]


@pytest.mark.parametrize("mode", graphs.MODES)
def test_one_box_per_value_and_one_arrow_per_edge(loss, mode):
    highlight = "w_h" if mode == "path" else None
    fig = graphs.plot_graph(loss, mode=mode, highlight=highlight)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    nodes = loss.topological_order()
    assert len(_with_gid(ax.patches, "node:")) == len(nodes) == 13
    assert len(_with_gid(ax.patches, "edge:")) == len(loss.edges()) == 13
    plt.close(fig)


def test_forward_mode_shows_each_label_and_value(loss):
    fig = graphs.plot_graph(loss, mode="forward")
    ax = fig.axes[0]
    expected = {  # the forward pass, by hand
        "h": "= 0.75", "p": "= 0.5", "w_h": "= 2", "w_p": "= 1.5",
        "b": "= -0.25", "y_true": "= 2.5", "v1": "= 1.5", "v2": "= 0.75",
        "v3": "= 2.25", "z": "= 2", "y_pred": "= 2", "err": "= -0.5",
        "loss": "= 0.25",
    }
    shown = {}
    for i, _ in enumerate(loss.topological_order()):
        label = _by_gid(ax.texts, f"node-label:{i}").get_text()
        shown[label] = _by_gid(ax.texts, f"node-value:{i}").get_text()
    for label, value in expected.items():
        assert shown[label] == value
    assert not _with_gid(ax.texts, "edge-label:")
    plt.close(fig)


def test_backward_mode_labels_each_edge_with_its_local_derivative(loss):
    fig = graphs.plot_graph(loss, mode="backward")
    ax = fig.axes[0]
    edges = loss.edges()
    labels = _with_gid(ax.texts, "edge-label:")
    assert len(labels) == len(edges)
    texts = {label.get_text() for label in labels}
    # Local derivatives by hand: d(w_h*h)/dw_h = h = 0.75, d(w_h*h)/dh =
    # w_h = 2, relu passes (z > 0), d(y_pred-y_true)/dy_true = -1,
    # d(err*err)/derr = err = -0.5 along each of two edges.
    for text in ["\u2202v1/\u2202w_h\n= 0.75", "\u2202v1/\u2202h\n= 2",
                 "\u2202v2/\u2202p\n= 1.5", "\u2202z/\u2202b\n= 1",
                 "\u2202y_pred/\u2202z\n= 1",
                 "\u2202err/\u2202y_true\n= -1",
                 "\u2202loss/\u2202err\n= -0.5"]:
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


def test_path_mode_colours_exactly_the_path_from_loss_to_w_h(loss):
    fig = graphs.plot_graph(loss, mode="path", highlight="w_h")
    ax = fig.axes[0]
    on_path = []
    for j, edge in enumerate(loss.edges()):
        pair = (edge.parent.label or edge.parent.op,
                edge.child.label or edge.child.op)
        arrow = _by_gid(ax.patches, f"edge:{j}")
        if arrow.get_linewidth() > 2:
            on_path.append(pair)
    assert sorted(on_path) == sorted([
        ("w_h", "*"), ("*", "+"), ("+", "z"), ("z", "y_pred"),
        ("y_pred", "err"), ("err", "loss"), ("err", "loss")])
    plt.close(fig)


def test_grad_mode_shows_the_gradients(loss):
    fig = graphs.plot_graph(loss, mode="grad")
    ax = fig.axes[0]
    shown = {}
    for i, _ in enumerate(loss.topological_order()):
        label = _by_gid(ax.texts, f"node-label:{i}").get_text()
        shown[label] = _by_gid(ax.texts, f"node-value:{i}").get_text()
    # By hand: grad(loss, err) = 2 * err = -1, passed unchanged down to
    # z, then times h = 0.75 for w_h and times 1 for b.
    assert shown["err"] == "grad = -1"
    assert shown["w_h"] == "grad = -0.75"
    assert shown["b"] == "grad = -1"
    assert shown["h"] == "grad = -2"
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
    assert {"w_h * h", "v3 + b", "relu(z)", "y_pred - y_true", "err * err",
            "input"} <= details
    plt.close(fig)


# --- The graph of a whole model (2.4.4) and the training loop (2.5) -------


@pytest.fixture(scope="module")
def keras_model():
    from dlpy import training

    return training.build_model()


def test_model_graph_walks_the_keras_model(keras_model):
    graph = graphs.model_graph(keras_model, loss="xent")
    # input -> Dense(relu) -> Dense(softmax) -> loss, one op per step.
    assert graph.chain == ["x", "matmul 1", "+ 1", "relu 1", "matmul 2",
                           "+ 2", "softmax 2", "loss"]
    weights = {name: detail for name, (kind, detail) in graph.nodes.items()
               if kind == "weight"}
    # The shapes come from the layers' own variables.
    expected = {f"{name}{i}": str(tuple(v.shape))
                for i, layer in enumerate(keras_model.layers, start=1)
                for name, v in (("W", layer.kernel), ("b", layer.bias))}
    assert weights == expected == {"W1": "(784, 512)", "b1": "(512,)",
                                   "W2": "(512, 10)", "b2": "(10,)"}
    # Each weight is an operand of exactly the operation that uses it.
    operands = {(src, dst) for src, dst, _ in graph.edges}
    assert {("W1", "matmul 1"), ("b1", "+ 1"), ("W2", "matmul 2"),
            ("b2", "+ 2"), ("y_true", "loss"),
            ("softmax 2", "loss")} <= operands
    assert graph.nodes["loss"] == ("op", "xent")
    assert graph.nodes["x"] == ("input", "(n, 784)")


def test_model_graph_reads_a_naive_model_the_same_way(keras_model):
    import numpy as np

    from dlpy import training

    naive = training.build_naive_model(np.random.default_rng(0))
    assert graphs.model_graph(naive) == graphs.model_graph(keras_model)


def test_model_graph_follows_the_layers_it_is_given():
    import numpy as np
    from types import SimpleNamespace as Layer

    def tanh(z):
        return np.tanh(z)

    layers = [Layer(W=np.zeros((2, 3)), b=np.zeros(3), activation=tanh)
              for _ in range(3)]
    layers[0].W = np.zeros((5, 3))
    graph = graphs.model_graph(Layer(layers=layers))
    assert graph.chain.count("tanh 3") == 1 and len(graph.chain) == 11
    assert graph.nodes["W1"] == ("weight", "(5, 3)")


def test_plot_model_graph_draws_each_node_and_dependency(keras_model):
    fig = graphs.plot_model_graph(keras_model, loss="xent")
    graph = graphs.model_graph(keras_model)
    ax = fig.axes[0]
    boxes = {p.get_gid() for p in _with_gid(ax.patches, "node:")}
    assert boxes == {f"node:{name}" for name in graph.nodes}
    assert len(_with_gid(ax.patches, "edge:")) == len(graph.edges) == 12
    labels = [t.get_text() for t in _with_gid(ax.texts, "edge-label:")]
    assert labels == ["(n, 784)", "(n, 512)", "(n, 512)", "(n, 512)",
                      "(n, 10)", "(n, 10)", "(n, 10)"]
    assert _by_gid(ax.texts, "node-detail:loss").get_text() == "xent"
    # Weights sit above the operation that uses them.
    for i in (1, 2):
        w = _by_gid(ax.patches, f"node:W{i}").get_bbox()
        op = _by_gid(ax.patches, f"node:matmul {i}").center
        assert w.y0 > op[1] and w.x0 < op[0] < w.x1


def test_plot_training_loop_names_each_object(keras_model):
    import numpy as np

    from dlpy import training

    x = np.zeros((6, 784), np.float32)
    fig = graphs.plot_training_loop({
        "Keras": {"data": x, "model": keras_model,
                  "loss": "sparse_categorical_crossentropy",
                  "optimizer": "adam"},
        "dlpy": {"data": training.BatchGenerator(x, np.zeros(6), 2),
                 "model": training.build_naive_model(
                     np.random.default_rng(0)),
                 "loss": training.sparse_categorical_crossentropy,
                 "optimizer": training.train_step},
    })
    ax = fig.axes[0]
    text = {role: _by_gid(ax.texts, f"role-text:{role}").get_text()
            for role in graphs.LOOP_ROLES}
    assert text == {
        "data": "Keras: array (6, 784)\ndlpy: BatchGenerator",
        "model": "Keras: Sequential\ndlpy: NaiveSequential",
        "loss": 'Keras: "sparse_categorical_crossentropy"\n'
                "dlpy: sparse_categorical_crossentropy()",
        "optimizer": 'Keras: "adam"\ndlpy: train_step()',
    }
    flows = {p.get_gid() for p in _with_gid(ax.patches, "flow:")}
    # One loop model -> loss -> optimizer -> model, fed by the data.
    assert flows == {"flow:data->model", "flow:data->loss",
                     "flow:model->loss", "flow:loss->optimizer",
                     "flow:optimizer->model"}
    assert len(_with_gid(ax.patches, "role:")) == 4


# --- Bad input ---------------------------------------------------------------

LOSS = rain_example()["loss"]

BAD_INPUTS = [
    (graphs.plot_graph, (LOSS, "sideways"), ValueError,
     "plot_graph: mode must be one of ('structure', 'forward', 'backward', "
     "'path', 'grad'). Received: mode='sideways'"),
    (graphs.plot_graph, (LOSS, "path"), ValueError,
     "plot_graph: mode='path' needs highlight (the node whose path to the "
     "root is drawn). Received: highlight=None"),
    (graphs.plot_graph, (LOSS, "path", "nope"), ValueError,
     "plot_graph: highlight must be a node of the graph. Received: "
     "highlight='nope'; the graph's labels are ['w_h', 'h', '', 'w_p', "
     "'p', '', '', 'b', 'z', 'y_pred', 'y_true', 'err', 'loss']"),
    (graphs.model_graph, (SimpleNamespace(layers=[]),), TypeError,
     "model_graph: model must have a non-empty list of layers (a "
     "keras.Sequential or a dlpy NaiveSequential). "
     "Received: type=SimpleNamespace"),
    (graphs.model_graph,
     (SimpleNamespace(layers=[SimpleNamespace(units=3)]),), TypeError,
     "model_graph: layer 0 must be a dense layer (a Keras Dense or a dlpy "
     "NaiveDense). Received: type=SimpleNamespace"),
]


def test_bad_input_is_refused_with_a_clear_message(bad_input):
    bad_input.check()
