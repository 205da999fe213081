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
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from dlpy.plotting.style import COLORS, new_figure

__all__ = ["MODES", "graph_layout", "plot_graph"]

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
