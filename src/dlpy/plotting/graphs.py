"""Draw computation graphs built by dlpy.autodiff.Value (section 2.4.4).

The figures are computed from the graph object itself: the nodes come from
``root.topological_order()`` and the arrows from ``root.edges()``, so what
the reader sees is exactly what ``backward()`` walks. The layout is found
automatically, in plain Matplotlib: a node's column is its depth (the
longest chain of operations from the inputs to it), an input sits one
column before the first operation that uses it, and nodes that share a
column are stacked vertically.

Five modes tell the story of backpropagation step by step:

- ``"structure"``: the graph alone, each node with its label and operation;
- ``"forward"``: each node with the value the forward pass computed;
- ``"backward"``: arrows reversed, from each result to its operands, each
  labelled with its local derivative;
- ``"path"``: like ``"backward"``, with the path(s) from the root to the
  ``highlight`` node drawn in colour and everything else muted;
- ``"grad"``: each node with the gradient of the root with respect to it.

Every artist carries a ``gid`` so tests (and curious readers) can find it:
``"node:<i>"`` for the box of the ``i``-th node in topological order,
``"edge:<j>"`` for the arrow of the ``j``-th edge of ``root.edges()`` and
``"edge-label:<j>"`` for its derivative text.

Two more pictures zoom out from scalars to whole models (section 2.4.4 and
2.5): :func:`model_graph` walks the layers of an actual model (Keras's
``Sequential`` of ``Dense`` layers or dlpy's ``NaiveSequential``) and
:func:`plot_model_graph` draws the tensor-level graph it finds, weights
included; :func:`plot_training_loop` draws data, model, loss and optimizer
as one loop, each box naming the objects that play that role.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np
from matplotlib.patches import Ellipse, FancyArrowPatch, FancyBboxPatch

from dlpy.plotting.style import COLORS, new_figure

__all__ = [
    "LOOP_ROLES",
    "MODES",
    "ModelGraph",
    "graph_layout",
    "model_graph",
    "plot_graph",
    "plot_model_graph",
    "plot_training_loop",
]

#: The drawing modes accepted by :func:`plot_graph`.
MODES = ("structure", "forward", "backward", "path", "grad")

_COLUMN_STEP = 3.0
_ROW_STEP = 1.7
_BOX_WIDTH = 1.25
_BOX_HEIGHT = 0.8
_INCHES_PER_UNIT = 0.6


def _fmt(value) -> str:
    """Format a node value or derivative compactly (2.0 -> '2')."""
    number = float(np.asarray(value))
    if number == int(number) and abs(number) < 1e6:
        return str(int(number))
    return f"{number:.3g}"


def _check_root(name: str, root):
    for method in ("topological_order", "edges"):
        if not callable(getattr(root, method, None)):
            raise TypeError(
                f"{name}: root must be a dlpy.autodiff.Value (with "
                "topological_order() and edges()). "
                f"Received: type(root)={type(root).__name__}"
            )


def _graph(root):
    """Return (nodes, index_of, edges as (src, dst, local_grad) indices).

    ``src`` is the operand and ``dst`` the result of the operation; the
    direction is read from the topological order (operands come first),
    so it does not depend on how an edge names its two ends.
    """
    nodes = list(root.topological_order())
    index = {id(node): i for i, node in enumerate(nodes)}
    edges = []
    for edge in root.edges():
        a, b = index[id(edge.parent)], index[id(edge.child)]
        src, dst = (a, b) if a < b else (b, a)
        edges.append((src, dst, edge.local_grad))
    return nodes, index, edges


def graph_layout(root) -> dict[int, tuple[float, float]]:
    """Compute a left-to-right layout of the graph that ends in ``root``.

    A computed node's column is the length of the longest chain of
    operations from the inputs to it; an input (a node no operation
    produced) sits one column before the first node that uses it. Nodes in
    one column are stacked top to bottom, computed nodes first, each group
    in topological order.

    Introduced in section 2.4.4.

    Args:
        root: the final :class:`dlpy.autodiff.Value` (usually the loss).

    Returns:
        A dict mapping each node's index in ``root.topological_order()``
        to its ``(x, y)`` position.

    Raises:
        TypeError: if ``root`` is not a ``Value``.
    """
    _check_root("graph_layout", root)
    nodes, _, edges = _graph(root)
    operands = defaultdict(list)
    users = defaultdict(list)
    for src, dst, _ in edges:
        operands[dst].append(src)
        users[src].append(dst)
    depth = {}
    for i in range(len(nodes)):  # topological order: operands come first
        depth[i] = 1 + max((depth[j] for j in operands[i]), default=-1)
    for i in range(len(nodes)):
        if not operands[i] and users[i]:
            depth[i] = max(0, min(depth[j] for j in users[i]) - 1)
    columns = defaultdict(list)
    for i in range(len(nodes)):
        columns[depth[i]].append(i)
    positions = {}
    for column, members in columns.items():
        members.sort(key=lambda i: (not operands[i], i))
        top = (len(members) - 1) / 2
        for row, i in enumerate(members):
            positions[i] = (column * _COLUMN_STEP, (top - row) * _ROW_STEP)
    return positions


def _names(nodes) -> list[str]:
    """Each node's label; unlabelled nodes are called v1, v2, ... in order."""
    names, unnamed = [], 0
    for node in nodes:
        label = str(getattr(node, "label", "") or "")
        if not label:
            unnamed += 1
            label = f"v{unnamed}"
        names.append(label)
    return names


def _expression(i: int, node, names, edges) -> str:
    """How node ``i`` was computed, e.g. ``"x * w"``; ``"input"`` if not.

    The operands are read from the edges, which list them in order.
    """
    operands = [names[src] for src, dst, _ in edges if dst == i]
    op = str(getattr(node, "op", "") or "")
    if not operands:
        return "input"
    if len(operands) == 2:
        return f"{operands[0]} {op} {operands[1]}"
    return f"{op}({', '.join(operands)})"


def _edge_rads(edges, positions) -> list[float]:
    """Curvature of each arrow, in the operand -> result direction.

    Parallel edges (``x * x``) fan out; an edge that skips a column arcs
    above the nodes in between instead of running through them.
    """
    count = defaultdict(int)
    for src, dst, _ in edges:
        count[(src, dst)] += 1
    seen = defaultdict(int)
    rads = []
    for src, dst, _ in edges:
        k, n = seen[(src, dst)], count[(src, dst)]
        seen[(src, dst)] += 1
        rad = 0.0 if n == 1 else 0.3 * (k - (n - 1) / 2)
        if positions[dst][0] - positions[src][0] > 1.5 * _COLUMN_STEP:
            rad -= 0.3
        rads.append(rad)
    return rads


def _arc_midpoint(start, end, rad) -> tuple[float, float]:
    """Midpoint of Matplotlib's ``arc3`` Bezier curve (equal aspect)."""
    (x1, y1), (x2, y2) = start, end
    return (
        (x1 + x2) / 2 + 0.5 * rad * (y2 - y1),
        (y1 + y2) / 2 - 0.5 * rad * (x2 - x1),
    )


def _forward_closure(start: int, edges) -> set[int]:
    reached = {start}
    changed = True
    while changed:
        changed = False
        for src, dst, _ in edges:
            if src in reached and dst not in reached:
                reached.add(dst)
                changed = True
    return reached


def plot_graph(root, mode: str = "forward", highlight=None, *,
               title: str | None = None):
    """Draw the computation graph that ends in ``root``.

    Introduced in section 2.4.4.

    Args:
        root: the final :class:`dlpy.autodiff.Value` (usually the loss).
        mode: one of ``"structure"``, ``"forward"``, ``"backward"``,
            ``"path"`` or ``"grad"`` (see the module docstring).
        highlight: a ``Value`` of the graph (or its label) to emphasise. In
            ``"path"`` mode it is required: the edges on every path between
            it and ``root`` are drawn in colour. In the other modes the node
            is outlined.
        title: optional axes title.

    Returns:
        A ``matplotlib.figure.Figure`` with one box per node (``gid``
        ``"node:<i>"``) and one arrow per edge (``gid`` ``"edge:<j>"``); in
        ``"backward"`` and ``"path"`` modes each arrow also has a text
        (``gid`` ``"edge-label:<j>"``) holding its local derivative.

    Raises:
        TypeError: if ``root`` is not a ``Value``.
        ValueError: if ``mode`` is unknown, if ``highlight`` is not in the
            graph, or if ``"path"`` mode has no ``highlight``.

    Example:
        >>> import matplotlib.pyplot as plt
        >>> from dlpy.autodiff import chapter_example
        >>> values = chapter_example()
        >>> fig = plot_graph(values["loss"], mode="backward")
        >>> len([t for t in fig.axes[0].texts
        ...      if str(t.get_gid()).startswith("edge-label:")]) == len(
        ...     values["loss"].edges())
        True
        >>> plt.close(fig)
    """
    name = "plot_graph"
    _check_root(name, root)
    if mode not in MODES:
        raise ValueError(
            f"{name}: mode must be one of {MODES}. Received: mode={mode!r}"
        )
    nodes, index, edges = _graph(root)
    target = None
    if highlight is not None:
        if isinstance(highlight, str):
            matches = [i for i, n in enumerate(nodes)
                       if getattr(n, "label", None) == highlight]
            target = matches[0] if matches else None
        else:
            target = index.get(id(highlight))
        if target is None:
            labels = [getattr(n, "label", "") for n in nodes]
            raise ValueError(
                f"{name}: highlight must be a node of the graph. Received: "
                f"highlight={highlight!r}; the graph's labels are {labels}"
            )
    if mode == "path" and target is None:
        raise ValueError(
            f"{name}: mode='path' needs highlight (the node whose path to "
            "the root is drawn). Received: highlight=None"
        )
    on_path = set()
    path_nodes = set()
    if mode == "path":
        path_nodes = _forward_closure(target, edges)
        on_path = {j for j, (src, _, _) in enumerate(edges)
                   if src in path_nodes}

    names = _names(nodes)
    positions = graph_layout(root)
    rads = _edge_rads(edges, positions)
    xs = [p[0] for p in positions.values()]
    ys = [p[1] for p in positions.values()]
    for (src, dst, _), rad in zip(edges, rads):
        ys.append(_arc_midpoint(positions[src], positions[dst], rad)[1])
    x_low, x_high = min(xs) - _BOX_WIDTH, max(xs) + _BOX_WIDTH
    y_low, y_high = min(ys) - 0.7, max(ys) + 0.7
    fig, ax = new_figure((x_high - x_low) * _INCHES_PER_UNIT,
                         (y_high - y_low) * _INCHES_PER_UNIT)
    ax.set_xlim(x_low, x_high)
    ax.set_ylim(y_low, y_high)
    ax.set_aspect("equal")
    ax.axis("off")

    backward = mode in ("backward", "path")
    reverse = backward or mode == "grad"
    root_index = index[id(root)]
    boxes = {}
    for i, node in enumerate(nodes):
        x, y = positions[i]
        is_input = not any(dst == i for _, dst, _ in edges)
        face = COLORS["paper"] if is_input else "#e8f0fa"
        edge_color = COLORS["primary"]
        width = 1.4
        if i == root_index:
            face = "#fbe9eb"
            edge_color = COLORS["secondary"]
        if mode == "path" and i in path_nodes:
            edge_color = COLORS["secondary"]
            width = 2.2
        if i == target:
            face = "#fdf1dc"
            edge_color = COLORS["accent"]
            width = 2.6
        box = FancyBboxPatch(
            (x - _BOX_WIDTH / 2, y - _BOX_HEIGHT / 2),
            _BOX_WIDTH,
            _BOX_HEIGHT,
            boxstyle="round,pad=0.04,rounding_size=0.15",
            facecolor=face,
            edgecolor=edge_color,
            linewidth=width,
            gid=f"node:{i}",
            zorder=2,
        )
        ax.add_patch(box)
        boxes[i] = box
        head = names[i]
        if mode == "structure":
            detail = _expression(i, node, names, edges)
        elif mode == "grad":
            detail = f"grad = {_fmt(node.grad)}"
        else:
            detail = f"= {_fmt(node.data)}"
        ax.text(x, y + 0.15, head, ha="center", va="center", fontsize=10,
                fontweight="bold", color=COLORS["ink"], zorder=3,
                gid=f"node-label:{i}")
        ax.text(x, y - 0.18, detail, ha="center", va="center", fontsize=9,
                color=COLORS["ink"], zorder=3, gid=f"node-value:{i}")

    for j, ((src, dst, local_grad), rad) in enumerate(zip(edges, rads)):
        start, end = positions[src], positions[dst]
        patch_start, patch_end = boxes[src], boxes[dst]
        if reverse:
            start, end = end, start
            patch_start, patch_end = patch_end, patch_start
            rad = -rad
        color = COLORS["muted"]
        width = 1.3
        if mode == "path":
            if j in on_path:
                color, width = COLORS["secondary"], 2.4
            else:
                color = "#c4c4c4"
        elif reverse:
            color = COLORS["secondary"]
        arrow = FancyArrowPatch(
            start,
            end,
            arrowstyle="-|>",
            mutation_scale=14,
            connectionstyle=f"arc3,rad={rad}",
            patchA=patch_start,
            patchB=patch_end,
            shrinkA=1,
            shrinkB=1,
            color=color,
            linewidth=width,
            gid=f"edge:{j}",
            zorder=1,
        )
        ax.add_patch(arrow)
        mx, my = _arc_midpoint(start, end, rad)
        if backward:
            child, parent = names[dst], names[src]
            ax.text(
                mx,
                my,
                f"\u2202{child}/\u2202{parent}\n= {_fmt(local_grad)}",
                ha="center",
                va="center",
                fontsize=7.5,
                linespacing=1.0,
                color=color if mode == "path" else COLORS["ink"],
                bbox={"boxstyle": "round,pad=0.15", "facecolor": "white",
                      "edgecolor": "none", "alpha": 0.9},
                zorder=4,
                gid=f"edge-label:{j}",
            )
    if title:
        ax.set_title(title)
    return fig


# --------------------------------------------------------------------------
# The graph of a whole model, at tensor level (section 2.4.4)
# --------------------------------------------------------------------------


class ModelGraph(NamedTuple):
    """The tensor-level computation graph of a model, as plain data.

    ``nodes`` maps a node's name to ``(kind, detail)``: ``kind`` is
    ``"input"`` (the data ``x``), ``"target"`` (``y_true``), ``"weight"``
    (a kernel or bias, ``detail`` its shape) or ``"op"`` (an operation,
    ``detail`` its name, e.g. ``"matmul"``). ``edges`` lists
    ``(source, destination, shape)``: the value computed or held by
    ``source`` is an operand of ``destination``, and ``shape`` is the shape
    of that value (``"n"`` stands for the batch size). ``chain`` is the
    main path, from ``x`` to the loss.

    Introduced in section 2.4.4.
    """

    nodes: dict
    edges: list
    chain: list


def _layer_parts(i: int, layer):
    """Kernel shape, bias shape (or None) and activation name of a layer.

    Reads a Keras ``Dense`` (``kernel``, ``bias``, ``activation``) or a
    dlpy ``NaiveDense`` (``W``, ``b``, ``activation``).
    """
    if hasattr(layer, "kernel"):
        kernel = tuple(layer.kernel.shape)
        bias = tuple(layer.bias.shape) if getattr(layer, "use_bias",
                                                  True) else None
    elif hasattr(layer, "W"):
        kernel, bias = tuple(np.shape(layer.W)), tuple(np.shape(layer.b))
    else:
        raise TypeError(
            f"model_graph: layer {i} must be a dense layer (a Keras Dense or "
            f"a dlpy NaiveDense). Received: type={type(layer).__name__}"
        )
    activation = getattr(layer, "activation", None)
    name = getattr(activation, "__name__", None) or "linear"
    return kernel, bias, name


def _shape_text(shape) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1
                                                      else "") + ")"


def model_graph(model, loss: str = "loss") -> ModelGraph:
    """Walk a model's layers and build its tensor-level computation graph.

    Each dense layer contributes a ``matmul`` with its kernel, an addition
    of its bias and its activation (none for a linear one); the last
    output and the targets ``y_true`` meet in the loss. Kernel and bias
    shapes are read from the layer objects, so the graph is the model's,
    not a drawing of it.

    Introduced in section 2.4.4.

    Args:
        model: an object with a ``layers`` list of dense layers: a built
            ``keras.Sequential`` of ``Dense`` layers or a
            :class:`dlpy.training.NaiveSequential`.
        loss: the name to give the loss operation.

    Returns:
        A :class:`ModelGraph`.

    Raises:
        TypeError: if ``model`` has no layers, or a layer is not dense.

    Example:
        >>> from types import SimpleNamespace as Layer
        >>> relu = lambda z: np.maximum(z, 0)
        >>> relu.__name__ = "relu"
        >>> model = Layer(layers=[Layer(W=np.zeros((3, 2)), b=np.zeros(2),
        ...                             activation=relu)])
        >>> graph = model_graph(model)
        >>> graph.chain
        ['x', 'matmul 1', '+ 1', 'relu 1', 'loss']
        >>> graph.nodes["W1"]
        ('weight', '(3, 2)')
    """
    layers = list(getattr(model, "layers", None) or [])
    if not layers:
        raise TypeError(
            "model_graph: model must have a non-empty list of layers (a "
            "keras.Sequential or a dlpy NaiveSequential). "
            f"Received: type={type(model).__name__}"
        )
    nodes: dict = {}
    edges: list = []
    parts = [_layer_parts(i, layer) for i, layer in enumerate(layers)]
    nodes["x"] = ("input", _shape_text(("n", parts[0][0][0])))
    chain = ["x"]
    current, shape = "x", ("n", parts[0][0][0])
    for i, (kernel, bias, activation) in enumerate(parts, start=1):
        steps = [(f"matmul {i}", "matmul", f"W{i}", kernel)]
        if bias is not None:
            steps.append((f"+ {i}", "+", f"b{i}", bias))
        for op_name, op, weight, weight_shape in steps:
            nodes[weight] = ("weight", _shape_text(weight_shape))
            nodes[op_name] = ("op", op)
            edges.append((current, op_name, _shape_text(shape)))
            edges.append((weight, op_name, _shape_text(weight_shape)))
            current, shape = op_name, ("n", kernel[1])
            chain.append(op_name)
        if activation != "linear":
            op_name = f"{activation} {i}"
            nodes[op_name] = ("op", activation)
            edges.append((current, op_name, _shape_text(shape)))
            current = op_name
            chain.append(op_name)
    nodes["y_true"] = ("target", "(n,)")
    nodes["loss"] = ("op", loss)
    edges.append((current, "loss", _shape_text(shape)))
    edges.append(("y_true", "loss", "(n,)"))
    chain.append("loss")
    return ModelGraph(nodes, edges, chain)


def plot_model_graph(model, loss: str = "loss", *, title: str | None = None):
    """Draw the computation graph of a model, found by :func:`model_graph`.

    Operations sit on one row from left to right, each drawn as an ellipse
    with its name; the values that enter from outside (the data ``x``, the
    targets ``y_true`` and the weights) are boxes holding their shapes, the
    weights above the operation that uses them. Every arrow is a
    dependency: the value at its tail is an operand of the operation at its
    head. Arrows along the chain are labelled with the shape of the tensor
    they carry; a loss name other than ``"loss"`` is written above the loss
    node.

    Introduced in section 2.4.4.

    Args:
        model: a built ``keras.Sequential`` of ``Dense`` layers or a
            :class:`dlpy.training.NaiveSequential`.
        loss: the name to give the loss operation.
        title: optional axes title.

    Returns:
        A ``matplotlib.figure.Figure``: one patch per node (``gid``
        ``"node:<name>"``), one arrow per edge (``gid`` ``"edge:<j>"``, in
        the order of ``model_graph(model).edges``) and, for the arrows along
        the chain, a shape label (``gid`` ``"edge-label:<j>"``).

    Raises:
        TypeError: as :func:`model_graph`.

    Example:
        >>> import matplotlib.pyplot as plt
        >>> from dlpy.training import build_naive_model
        >>> model = build_naive_model(np.random.default_rng(0))
        >>> fig = plot_model_graph(model)
        >>> sorted(p.get_gid() for p in fig.axes[0].patches
        ...        if str(p.get_gid()).startswith("node:W"))
        ['node:W1', 'node:W2']
        >>> plt.close(fig)
    """
    graph = model_graph(model, loss)
    step, above, below = 2.2, 1.55, -1.55
    positions = {name: (k * step, 0.0) for k, name in enumerate(graph.chain)}
    for src, dst, _ in graph.edges:
        kind = graph.nodes[src][0]
        if kind == "weight":
            positions[src] = (positions[dst][0], above)
        elif kind == "target":
            positions[src] = (positions[dst][0], below)
    last = (len(graph.chain) - 1) * step
    x_high = max(last + 1.2, last + 0.06 * len(loss) + 0.2)  # loss name
    fig, ax = new_figure((x_high + 1.2) * 0.62, 4.2 * 0.62 + 0.4)
    ax.set_xlim(-1.2, x_high)
    ax.set_ylim(below - 0.75, above + 0.75)
    ax.set_aspect("equal")
    ax.axis("off")
    patches = {}
    for name, (kind, detail) in graph.nodes.items():
        x, y = positions[name]
        if kind == "op":
            face = "#fbe9eb" if name == "loss" else "#e8f0fa"
            edge = COLORS["secondary"] if name == "loss" else COLORS["primary"]
            patch = Ellipse((x, y), 1.5, 0.85, facecolor=face,
                            edgecolor=edge, linewidth=1.4, gid=f"node:{name}",
                            zorder=2)
            text = detail if name != "loss" else "loss"
            if name == "loss" and detail != "loss":
                ax.text(x, y + 0.62, detail, ha="center", va="center",
                        fontsize=7, style="italic", color=COLORS["ink"],
                        zorder=3, gid="node-detail:loss")
        else:
            face = "#fdf1dc" if kind == "weight" else COLORS["paper"]
            edge = COLORS["accent"] if kind == "weight" else COLORS["ink"]
            patch = FancyBboxPatch((x - 0.68, y - 0.38), 1.36, 0.76,
                                   boxstyle="round,pad=0.03,rounding_size=0.1",
                                   facecolor=face, edgecolor=edge,
                                   linewidth=1.4, gid=f"node:{name}",
                                   zorder=2)
            text = f"{name}\n{detail}"
        ax.add_patch(patch)
        patches[name] = patch
        ax.text(x, y, text, ha="center", va="center", fontsize=8,
                linespacing=1.1, color=COLORS["ink"], zorder=3,
                fontweight="bold" if kind == "op" else "normal",
                gid=f"node-label:{name}")
    for j, (src, dst, shape) in enumerate(graph.edges):
        start, end = positions[src], positions[dst]
        ax.add_patch(FancyArrowPatch(
            start, end, arrowstyle="-|>", mutation_scale=12,
            patchA=patches[src], patchB=patches[dst], shrinkA=1, shrinkB=1,
            color=COLORS["muted"], linewidth=1.2, gid=f"edge:{j}", zorder=1,
        ))
        if start[1] == end[1]:  # along the chain: the shape flowing
            ax.text((start[0] + end[0]) / 2, 0.3, shape, ha="center",
                    va="center", fontsize=6.5, color=COLORS["muted"],
                    zorder=4, gid=f"edge-label:{j}")
    if title:
        ax.set_title(title)
    return fig


# --------------------------------------------------------------------------
# The training loop as one picture (section 2.5)
# --------------------------------------------------------------------------

#: The four roles of :func:`plot_training_loop`, in drawing order.
LOOP_ROLES = ("data", "model", "loss", "optimizer")


def _object_name(obj) -> str:
    """How a box names an object: a string quoted, an array by its shape
    and dtype, a function by its name, anything else by its class."""
    if isinstance(obj, str):
        return f'"{obj}"'
    if isinstance(obj, np.ndarray):
        return f"array {_shape_text(obj.shape)}"
    name = getattr(obj, "__name__", None)
    if callable(obj) and name and not isinstance(obj, type):
        return f"{name}()"
    return type(obj).__name__


def plot_training_loop(implementations: Mapping[str, Mapping[str, object]],
                       *, title: str | None = None):
    """Draw data, model, loss and optimizer as one loop.

    The data feeds a batch ``x`` to the model and its targets ``y_true`` to
    the loss; the model's predictions ``y_pred`` go to the loss; the loss
    value goes to the optimizer, which differentiates it and writes new
    weights back into the model, closing the loop. Each box names, for
    every implementation given, the objects that play its role: a string
    in quotes, an array by its shape, a function by its name followed by
    ``()``, any other object by its class, so the figure shows the objects
    themselves rather than labels typed beside them.

    Introduced in section 2.5.

    Args:
        implementations: maps a short name (e.g. ``"Keras"``) to a mapping
            from each role of :data:`LOOP_ROLES` to an object or a list of
            objects.
        title: optional axes title.

    Returns:
        A ``matplotlib.figure.Figure`` with one box per role (``gid``
        ``"role:<role>"``), whose text (``gid`` ``"role-text:<role>"``)
        has one ``"<implementation>: <object names>"`` line per
        implementation, and one arrow per flow (``gid``
        ``"flow:<source>-><destination>"``).

    Raises:
        TypeError: if ``implementations`` is not a mapping of mappings.
        ValueError: if it is empty or an implementation lacks a role.

    Example:
        >>> import matplotlib.pyplot as plt
        >>> fig = plot_training_loop({"toy": {
        ...     "data": np.zeros((4, 2)), "model": len,
        ...     "loss": "mse", "optimizer": ["sgd", 0.1]}})
        >>> [t.get_text() for t in fig.axes[0].texts
        ...  if str(t.get_gid()).startswith("role-text:")]
        ['toy: array (4, 2)', 'toy: len()', 'toy: "mse"', 'toy: "sgd", float']
        >>> plt.close(fig)
    """
    name = "plot_training_loop"
    if not isinstance(implementations, Mapping) or not all(
            isinstance(v, Mapping) for v in implementations.values()):
        raise TypeError(
            f"{name}: implementations must map a name to a mapping of "
            f"roles. Received: type={type(implementations).__name__}"
        )
    if not implementations:
        raise ValueError(
            f"{name}: implementations must not be empty. Received: {{}}"
        )
    for impl, roles in implementations.items():
        missing = [r for r in LOOP_ROLES if r not in roles]
        if missing:
            raise ValueError(
                f"{name}: implementation {impl!r} lacks the roles {missing}. "
                f"Received: roles={list(roles)}"
            )
    lines = {role: [] for role in LOOP_ROLES}
    for impl, roles in implementations.items():
        for role in LOOP_ROLES:
            objects = roles[role]
            if isinstance(objects, (str, np.ndarray)) or not isinstance(
                    objects, Sequence):
                objects = [objects]
            names = ", ".join(_object_name(o) for o in objects)
            lines[role].append(f"{impl}: {names}")
    # A triangle model -> loss -> optimizer -> model, fed by the data.
    longest = max(len(line) for role in lines.values() for line in role)
    box_w = max(3.0, 0.118 * longest + 0.5)
    pitch = box_w + 1.6  # room between boxes for the arrows' labels
    centres = {"data": (0.0, 1.4), "model": (pitch, 1.4),
               "loss": (2 * pitch, 1.4), "optimizer": (1.5 * pitch, -2.0)}
    box_h = 0.7 + 0.36 * len(implementations)
    x_low, x_high = -box_w / 2 - 0.3, 2 * pitch + box_w / 2 + 0.3
    y_low, y_high = -2.0 - box_h / 2 - 0.3, 1.4 + box_h / 2 + 1.3
    fig, ax = new_figure((x_high - x_low) * 0.62, (y_high - y_low) * 0.62)
    ax.set_xlim(x_low, x_high)
    ax.set_ylim(y_low, y_high)
    ax.set_aspect("equal")
    ax.axis("off")
    patches = {}
    faces = {"data": COLORS["paper"], "model": "#e8f0fa",
             "loss": "#fbe9eb", "optimizer": "#fdf1dc"}
    for role, (x, y) in centres.items():
        patch = FancyBboxPatch((x - box_w / 2, y - box_h / 2), box_w, box_h,
                               boxstyle="round,pad=0.05,rounding_size=0.2",
                               facecolor=faces[role],
                               edgecolor=COLORS["ink"], linewidth=1.3,
                               gid=f"role:{role}", zorder=2)
        ax.add_patch(patch)
        patches[role] = patch
        ax.text(x, y + box_h / 2 - 0.28, role, ha="center", va="center",
                fontsize=10, fontweight="bold", color=COLORS["ink"],
                zorder=3, gid=f"role-title:{role}")
        ax.text(x, y - 0.2, "\n".join(lines[role]), ha="center",
                va="center", fontsize=7, linespacing=1.3,
                family="monospace", color=COLORS["ink"], zorder=3,
                gid=f"role-text:{role}")
    flows = [("data", "model", "batch x", 0.0, (0.0, 0.0)),
             ("data", "loss", "targets y_true", -0.25, (0.0, 0.2)),
             ("model", "loss", "predictions\ny_pred", 0.0, (0.0, 0.0)),
             ("loss", "optimizer", "loss value,\ngradients", 0.0,
              (1.1, 0.0)),
             ("optimizer", "model", "new weights", 0.0, (-0.9, 0.0))]
    for src, dst, label, rad, (dx, dy) in flows:
        start, end = centres[src], centres[dst]
        back = src in ("loss", "optimizer")
        ax.add_patch(FancyArrowPatch(
            start, end, arrowstyle="-|>", mutation_scale=14,
            connectionstyle=f"arc3,rad={rad}", patchA=patches[src],
            patchB=patches[dst], shrinkA=2, shrinkB=2,
            color=COLORS["secondary"] if back else COLORS["primary"],
            linewidth=1.6, gid=f"flow:{src}->{dst}", zorder=1))
        mx, my = _arc_midpoint(start, end, rad)
        ax.text(mx + dx, my + dy, label, ha="center", va="center",
                fontsize=8, style="italic", color=COLORS["ink"], zorder=4,
                gid=f"flow-label:{src}->{dst}",
                bbox={"boxstyle": "round,pad=0.15", "facecolor": "white",
                      "edgecolor": "none", "alpha": 0.9})
    if title:
        ax.set_title(title)
    return fig
