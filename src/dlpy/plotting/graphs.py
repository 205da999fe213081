"""Computation graphs (sections 2.4.4 and 2.5), drawn from the objects.

:func:`plot_graph` draws the graph of a :class:`dlpy.autodiff.Value` from
``root.topological_order()`` and ``root.edges()``, what ``backward()``
walks; a node's column is the longest chain of operations from the inputs
to it. :func:`model_graph` reads a model's layers into its tensor-level
graph, which :func:`plot_model_graph` draws; :func:`plot_training_loop`
draws data, model, loss and optimizer as one loop. Artists carry gids:
``"node:<i>"``, ``"edge:<j>"`` (the ``j``-th of ``root.edges()``) and
``"edge-label:<j>"``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Ellipse, FancyArrowPatch, FancyBboxPatch

from dlpy import _checks as checks
from dlpy.autodiff import Value
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

#: The modes of :func:`plot_graph`: the graph alone, the forward values,
#: the local derivatives on reversed arrows, the path(s) from the root to
#: one node, the gradients.
MODES = ("structure", "forward", "backward", "path", "grad")

#: The four roles of :func:`plot_training_loop`, in drawing order.
LOOP_ROLES = ("data", "model", "loss", "optimizer")

_COLUMN_STEP, _ROW_STEP = 3.0, 1.7
_BOX_WIDTH, _BOX_HEIGHT = 1.5, 0.8
Edge = tuple[int, int, float]  # operand index, result index, local grad
Point = tuple[float, float]
_LABEL_BOX = {"boxstyle": "round,pad=0.15", "facecolor": "white",
              "edgecolor": "none", "alpha": 0.9}


def _fmt(value: float) -> str:
    """A value or derivative, compactly: 2.0 -> '2'."""
    number = float(np.asarray(value))
    if number == int(number) and abs(number) < 1e6:
        return str(int(number))
    return f"{number:.3g}"


def _graph(root: Value) -> tuple[list[Value], dict[int, int], list[Edge]]:
    """The nodes, each node's index by ``id`` and the edges by index,
    operand first (operands come first in topological order)."""
    nodes = root.topological_order()
    index = {id(node): i for i, node in enumerate(nodes)}
    edges = []
    for edge in root.edges():
        a, b = index[id(edge.parent)], index[id(edge.child)]
        edges.append((min(a, b), max(a, b), edge.local_grad))
    return nodes, index, edges


def graph_layout(root: Value) -> dict[int, Point]:
    """Left-to-right positions, by index in ``root.topological_order()``:
    an input one column before its first user, columns stacked (2.4.4)."""
    nodes, _, edges = _graph(root)
    operands, users = defaultdict(list), defaultdict(list)
    for src, dst, _ in edges:
        operands[dst].append(src)
        users[src].append(dst)
    depth: dict[int, int] = {}
    for i in range(len(nodes)):
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


def _arc_midpoint(start: Point, end: Point, rad: float) -> Point:
    """Midpoint of Matplotlib's ``arc3`` curve (equal aspect)."""
    (x1, y1), (x2, y2) = start, end
    return ((x1 + x2) / 2 + 0.5 * rad * (y2 - y1),
            (y1 + y2) / 2 - 0.5 * rad * (x2 - x1))


def _edge_rads(edges: list[Edge], positions: dict[int, Point]
               ) -> list[float]:
    """Parallel edges (``x * x``) fan out; an edge that skips a column
    arcs above the nodes in between."""
    count: dict[tuple[int, int], int] = defaultdict(int)
    for src, dst, _ in edges:
        count[(src, dst)] += 1
    seen: dict[tuple[int, int], int] = defaultdict(int)
    rads = []
    for src, dst, _ in edges:
        k, n = seen[(src, dst)], count[(src, dst)]
        seen[(src, dst)] += 1
        rad = 0.0 if n == 1 else 0.3 * (k - (n - 1) / 2)
        if positions[dst][0] - positions[src][0] > 1.5 * _COLUMN_STEP:
            rad -= 0.3
        rads.append(rad)
    return rads


def plot_graph(root: Value, mode: str = "forward",
               highlight: Value | str | None = None, *,
               title: str | None = None) -> Figure:
    """The graph ending in ``root`` in one of :data:`MODES`, ``highlight``
    (a node or label) outlined, its paths to the root coloured (2.4.4)."""
    fn = "plot_graph"
    checks.one_of(fn, "mode", mode, MODES)
    nodes, index, edges = _graph(root)
    target = None
    if highlight is not None:
        target = next((i for i, n in enumerate(nodes) if n.label ==
                       highlight), None) if isinstance(highlight, str) \
            else index.get(id(highlight))
        if target is None:
            raise ValueError(
                f"{fn}: highlight must be a node of the graph. Received: "
                f"highlight={highlight!r}; the graph's labels are "
                f"{[n.label for n in nodes]}")
    path_nodes: set[int] = set()
    if mode == "path":
        if target is None:
            raise ValueError(
                f"{fn}: mode='path' needs highlight (the node whose path to "
                "the root is drawn). Received: highlight=None")
        path_nodes = {target}  # every node reachable from the target
        for src, dst, _ in edges:  # operands come first: one pass is enough
            if src in path_nodes:
                path_nodes.add(dst)
    names, unnamed = [], 0
    for node in nodes:  # unlabelled nodes are v1, v2, ...
        unnamed += not node.label
        names.append(node.label or f"v{unnamed}")
    positions = graph_layout(root)
    rads = _edge_rads(edges, positions)
    xs = [p[0] for p in positions.values()]
    ys = [p[1] for p in positions.values()] + [
        _arc_midpoint(positions[src], positions[dst], rad)[1]
        for (src, dst, _), rad in zip(edges, rads)]
    x_low, x_high = min(xs) - _BOX_WIDTH, max(xs) + _BOX_WIDTH
    y_low, y_high = min(ys) - 0.7, max(ys) + 0.7
    fig, ax = new_figure((x_high - x_low) * 0.6, (y_high - y_low) * 0.6)
    ax.set_xlim(x_low, x_high)
    ax.set_ylim(y_low, y_high)
    ax.set_aspect("equal")
    ax.axis("off")
    backward = mode in ("backward", "path")
    reverse = backward or mode == "grad"
    boxes = {}
    for i, node in enumerate(nodes):
        x, y = positions[i]
        face = "#e8f0fa" if any(dst == i for _, dst, _ in edges) else \
            COLORS["paper"]
        edge_color, width = COLORS["primary"], 1.4
        if node is root:
            face, edge_color = "#fbe9eb", COLORS["secondary"]
        if i in path_nodes:
            edge_color, width = COLORS["secondary"], 2.2
        if i == target:
            face, edge_color, width = "#fdf1dc", COLORS["accent"], 2.6
        boxes[i] = FancyBboxPatch(
            (x - _BOX_WIDTH / 2, y - _BOX_HEIGHT / 2), _BOX_WIDTH,
            _BOX_HEIGHT, boxstyle="round,pad=0.04,rounding_size=0.15",
            facecolor=face, edgecolor=edge_color, linewidth=width,
            gid=f"node:{i}", zorder=2)
        ax.add_patch(boxes[i])
        if mode == "structure":
            operands = [names[src] for src, dst, _ in edges if dst == i]
            detail = ("input" if not operands else
                      f"{operands[0]} {node.op} {operands[1]}"
                      if len(operands) == 2 else
                      f"{node.op}({', '.join(operands)})")
        elif mode == "grad":
            detail = f"grad = {_fmt(node.grad)}"
        else:
            detail = f"= {_fmt(node.data)}"
        ax.text(x, y + 0.15, names[i], ha="center", va="center",
                fontsize=10, fontweight="bold", color=COLORS["ink"],
                zorder=3, gid=f"node-label:{i}")
        ax.text(x, y - 0.18, detail, ha="center", va="center", fontsize=9,
                color=COLORS["ink"], zorder=3, gid=f"node-value:{i}")
    for j, ((src, dst, local_grad), rad) in enumerate(zip(edges, rads)):
        start, end = positions[src], positions[dst]
        patch_start, patch_end = boxes[src], boxes[dst]
        if reverse:
            start, end = end, start
            patch_start, patch_end = patch_end, patch_start
            rad = -rad
        color, width = COLORS["muted"], 1.3
        if mode == "path":
            color, width = ((COLORS["secondary"], 2.4) if src in path_nodes
                            else ("#c4c4c4", width))
        elif reverse:
            color = COLORS["secondary"]
        ax.add_patch(FancyArrowPatch(
            start, end, arrowstyle="-|>", mutation_scale=14,
            connectionstyle=f"arc3,rad={rad}", patchA=patch_start,
            patchB=patch_end, shrinkA=1, shrinkB=1, color=color,
            linewidth=width, gid=f"edge:{j}", zorder=1))
        if backward:
            mx, my = _arc_midpoint(start, end, rad)
            ax.text(mx, my, f"\u2202{names[dst]}/\u2202{names[src]}\n= "
                    f"{_fmt(local_grad)}", ha="center", va="center",
                    fontsize=7.5, linespacing=1.0,
                    color=color if mode == "path" else COLORS["ink"],
                    bbox=_LABEL_BOX, zorder=4, gid=f"edge-label:{j}")
    if title:
        ax.set_title(title)
    return fig


class ModelGraph(NamedTuple):
    """A model's tensor-level computation graph, as plain data.

    ``nodes`` maps a name to ``(kind, detail)``: kind ``"input"`` (``x``),
    ``"target"`` (``y_true``), ``"weight"`` (detail: its shape) or ``"op"``
    (detail: the operation, e.g. ``"matmul"``). ``edges`` lists
    ``(source, destination, shape)``: ``source``'s value, of that shape
    (``n`` the batch size), is an operand of ``destination``. ``chain`` is
    the main path from ``x`` to the loss.
    """

    nodes: dict[str, tuple[str, str]]
    edges: list[tuple[str, str, str]]
    chain: list[str]


def _shape_text(shape: Sequence[object]) -> str:
    return "(" + ", ".join(str(d) for d in shape) + (
        "," if len(shape) == 1 else "") + ")"


def model_graph(model: Any, loss: str = "loss") -> ModelGraph:
    """The graph of a Keras ``Sequential`` or dlpy ``NaiveSequential`` of
    dense layers: matmul, bias, activation per layer, then the loss (2.4.4)."""
    layers = list(getattr(model, "layers", None) or [])
    if not layers:
        raise TypeError(
            "model_graph: model must have a non-empty list of layers (a "
            "keras.Sequential or a dlpy NaiveSequential). "
            f"Received: type={type(model).__name__}")
    parts = []
    for i, layer in enumerate(layers):
        if hasattr(layer, "kernel"):  # Keras Dense
            kernel = tuple(layer.kernel.shape)
            bias = tuple(layer.bias.shape) if getattr(
                layer, "use_bias", True) else None
        elif hasattr(layer, "W"):  # dlpy NaiveDense
            kernel, bias = tuple(np.shape(layer.W)), tuple(np.shape(layer.b))
        else:
            raise TypeError(
                f"model_graph: layer {i} must be a dense layer (a Keras "
                "Dense or a dlpy NaiveDense). "
                f"Received: type={type(layer).__name__}")
        activation = getattr(getattr(layer, "activation", None), "__name__",
                             None) or "linear"
        parts.append((kernel, bias, activation))
    shape: tuple[object, ...] = ("n", parts[0][0][0])
    nodes = {"x": ("input", _shape_text(shape))}
    edges: list[tuple[str, str, str]] = []
    chain, current = ["x"], "x"
    for i, (kernel, bias, activation) in enumerate(parts, start=1):
        steps = [(f"matmul {i}", "matmul", f"W{i}", kernel)]
        if bias is not None:
            steps.append((f"+ {i}", "+", f"b{i}", bias))
        for op_name, op, weight, weight_shape in steps:
            nodes[weight] = ("weight", _shape_text(weight_shape))
            nodes[op_name] = ("op", op)
            edges += [(current, op_name, _shape_text(shape)),
                      (weight, op_name, _shape_text(weight_shape))]
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
    edges += [(current, "loss", _shape_text(shape)),
              ("y_true", "loss", "(n,)")]
    chain.append("loss")
    return ModelGraph(nodes, edges, chain)


def plot_model_graph(model: Any, loss: str = "loss", *,
                     title: str | None = None) -> Figure:
    """:func:`model_graph` drawn: operations in a row, weights above, targets
    below, each arrow labelled with the shape it carries (2.4.4)."""
    graph = model_graph(model, loss)
    step, above, below = 2.2, 1.55, -1.55
    positions = {name: (k * step, 0.0) for k, name in enumerate(graph.chain)}
    for src, dst, _ in graph.edges:
        kind = graph.nodes[src][0]
        if kind in ("weight", "target"):
            positions[src] = (positions[dst][0],
                              above if kind == "weight" else below)
    last = (len(graph.chain) - 1) * step
    x_high = max(last + 1.2, last + 0.06 * len(loss) + 0.2)  # loss name
    fig, ax = new_figure((x_high + 1.2) * 0.62, 4.2 * 0.62 + 0.4)
    ax.set_xlim(-1.2, x_high)
    ax.set_ylim(below - 0.75, above + 0.75)
    ax.set_aspect("equal")
    ax.axis("off")
    patches: dict[str, Ellipse | FancyBboxPatch] = {}
    for name, (kind, detail) in graph.nodes.items():
        x, y = positions[name]
        if kind == "op":
            is_loss = name == "loss"
            patch: Ellipse | FancyBboxPatch = Ellipse(
                (x, y), 1.5, 0.85, facecolor="#fbe9eb" if is_loss else
                "#e8f0fa", edgecolor=COLORS["secondary"] if is_loss else
                COLORS["primary"], linewidth=1.4, gid=f"node:{name}",
                zorder=2)
            text = detail if not is_loss else "loss"
            if is_loss and detail != "loss":
                ax.text(x, y + 0.62, detail, ha="center", va="center",
                        fontsize=7, style="italic", color=COLORS["ink"],
                        zorder=3, gid="node-detail:loss")
        else:
            weight = kind == "weight"
            patch = FancyBboxPatch(
                (x - 0.68, y - 0.38), 1.36, 0.76,
                boxstyle="round,pad=0.03,rounding_size=0.1",
                facecolor="#fdf1dc" if weight else COLORS["paper"],
                edgecolor=COLORS["accent"] if weight else COLORS["ink"],
                linewidth=1.4, gid=f"node:{name}", zorder=2)
            text = f"{name}\n{detail}"
        ax.add_patch(patch)
        patches[name] = patch
        ax.text(x, y, text, ha="center", va="center", fontsize=8,
                linespacing=1.1, color=COLORS["ink"], zorder=3,
                fontweight="bold" if kind == "op" else "normal",
                gid=f"node-label:{name}")
    for j, (src, dst, shape_text) in enumerate(graph.edges):
        start, end = positions[src], positions[dst]
        ax.add_patch(FancyArrowPatch(
            start, end, arrowstyle="-|>", mutation_scale=12,
            patchA=patches[src], patchB=patches[dst], shrinkA=1, shrinkB=1,
            color=COLORS["muted"], linewidth=1.2, gid=f"edge:{j}", zorder=1))
        if start[1] == end[1]:  # along the chain: the shape flowing
            ax.text((start[0] + end[0]) / 2, 0.3, shape_text, ha="center",
                    va="center", fontsize=6.5, color=COLORS["muted"],
                    zorder=4, gid=f"edge-label:{j}")
    if title:
        ax.set_title(title)
    return fig


def _object_name(obj: object) -> str:
    """A string quoted, an array by its shape, a function by its name,
    anything else by its class."""
    if isinstance(obj, str):
        return f'"{obj}"'
    if isinstance(obj, np.ndarray):
        return f"array {_shape_text(obj.shape)}"
    name = getattr(obj, "__name__", None)
    if callable(obj) and name and not isinstance(obj, type):
        return f"{name}()"
    return type(obj).__name__


def plot_training_loop(implementations: Mapping[str, Mapping[str, Any]], *,
                       title: str | None = None) -> Figure:
    """Data, model, loss and optimizer as one loop, each box naming the
    objects that play the role in each implementation (2.5)."""
    lines: dict[str, list[str]] = {role: [] for role in LOOP_ROLES}
    for impl, roles in implementations.items():
        for role in LOOP_ROLES:
            objects = roles[role]
            if isinstance(objects, (str, np.ndarray)) or not isinstance(
                    objects, Sequence):
                objects = [objects]
            lines[role].append(
                f"{impl}: {', '.join(_object_name(o) for o in objects)}")
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
        patches[role] = FancyBboxPatch(
            (x - box_w / 2, y - box_h / 2), box_w, box_h,
            boxstyle="round,pad=0.05,rounding_size=0.2",
            facecolor=faces[role], edgecolor=COLORS["ink"], linewidth=1.3,
            gid=f"role:{role}", zorder=2)
        ax.add_patch(patches[role])
        ax.text(x, y + box_h / 2 - 0.28, role, ha="center", va="center",
                fontsize=10, fontweight="bold", color=COLORS["ink"],
                zorder=3, gid=f"role-title:{role}")
        ax.text(x, y - 0.2, "\n".join(lines[role]), ha="center",
                va="center", fontsize=7, linespacing=1.3,
                family="monospace", color=COLORS["ink"], zorder=3,
                gid=f"role-text:{role}")
    for src, dst, label, rad, (dx, dy) in [
        ("data", "model", "batch x", 0.0, (0.0, 0.0)),
        ("data", "loss", "targets y_true", -0.25, (0.0, 0.2)),
        ("model", "loss", "predictions\ny_pred", 0.0, (0.0, 0.0)),
        ("loss", "optimizer", "loss value,\ngradients", 0.0, (1.1, 0.0)),
        ("optimizer", "model", "new weights", 0.0, (-0.9, 0.0)),
    ]:
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
                gid=f"flow-label:{src}->{dst}", bbox={
                    "boxstyle": "round,pad=0.15", "facecolor": "white",
                    "edgecolor": "none", "alpha": 0.9})
    if title:
        ax.set_title(title)
    return fig
