"""A tiny automatic differentiation engine over scalars.

Every arithmetic operation on :class:`Value` objects records a node in a
computation graph; each edge of the graph carries the local derivative of
the node it leads to with respect to the node it comes from. Calling
``backward()`` on the output walks the graph from the output back to the
inputs and applies the chain rule: the gradient of a node is the sum, over
every edge leaving it, of the local derivative times the gradient of the
node at the other end. Modern frameworks (JAX, TensorFlow, PyTorch) do the
same, over tensors instead of scalars.

The same chain rule, written once for whole tensors instead of once per
scalar, is :func:`dense_relu_backward`: the backward pass of one ``Dense``
layer with a relu, the bridge between the scalar graphs and ``jax.grad``.
:func:`jaxpr_lines` prints JAX's own record of a function's graph (a
jaxpr) one equation per line, to show a graph as data that ``jax.grad``
transforms.

Conventions: ``abs`` and ``relu`` have no derivative at 0; like
``jax.grad`` we use 1 for ``abs`` there (the slope for ``x >= 0``; any
value between -1 and 1 would be valid, and PyTorch and TensorFlow use 0)
and 0 for ``relu`` (the slope for ``x <= 0``).

Introduced in section 2.4.4 (backpropagation).
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from dlpy import _checks as checks

__all__ = ["Edge", "Value", "dense_relu_backward", "jaxpr_lines",
           "rain_example"]


class Edge(NamedTuple):
    """An edge of the graph: ``child`` was computed from ``parent``.

    ``local_grad`` is the derivative of ``child`` with respect to
    ``parent``, the factor the chain rule multiplies by along this edge.

    Introduced in section 2.4.4.
    """

    parent: Value
    child: Value
    local_grad: float


class Value:
    """A scalar that remembers how it was computed, for backpropagation.

    Introduced in section 2.4.4.

    Args:
        data: the number this node holds.
        label: a name to show in drawings of the graph, such as ``"w"``.
        op: the operation that produced this node (``"+"``, ``"*"``, ...);
            empty for an input.
        parents: the nodes this one was computed from.
        local_grads: for each parent, the derivative of this node with
            respect to that parent.

    Raises:
        TypeError: if ``data`` is not a real number.
        ValueError: if ``parents`` and ``local_grads`` differ in length.

    Example:
        >>> x = Value(2.0, label="x")
        >>> y = x * x + x  # two paths from x to y
        >>> y.backward()
        >>> y.data, x.grad
        (6.0, 5.0)
    """

    def __init__(self, data: float, label: str = "", op: str = "",
                 parents: Sequence[Value] = (),
                 local_grads: Sequence[float] = ()) -> None:
        checks.real("Value", "data", data)
        if len(parents) != len(local_grads):
            raise ValueError(
                "Value: parents and local_grads must have the same length. "
                f"Received: len(parents)={len(parents)}, "
                f"len(local_grads)={len(local_grads)}"
            )
        self.data = float(data)
        self.grad = 0.0
        self.label = label
        self.op = op
        self._parents = tuple(parents)
        self._local_grads = tuple(float(g) for g in local_grads)

    def __repr__(self) -> str:
        return (
            f"Value(data={self.data}, grad={self.grad}, "
            f"label={self.label!r})"
        )

    # --- Operations: each returns a new node and its local derivatives ---

    def __add__(self, other: Value | float) -> Value:
        other = _as_value(other, "+")
        data = self.data + other.data
        return Value(data, op="+", parents=(self, other), local_grads=(1, 1))

    def __sub__(self, other: Value | float) -> Value:
        other = _as_value(other, "-")
        data = self.data - other.data
        return Value(data, op="-", parents=(self, other), local_grads=(1, -1))

    def __mul__(self, other: Value | float) -> Value:
        other = _as_value(other, "*")
        return Value(
            self.data * other.data,
            op="*",
            parents=(self, other),
            local_grads=(other.data, self.data),  # d(a*b)/da = b, d/db = a
        )

    def abs(self) -> Value:
        """Return ``abs(self)``; its derivative is -1 below 0 and 1 above.

        At 0 the derivative is taken to be 1, as in ``jax.grad``.

        Example:
            >>> Value(-3.0).abs().data
            3.0
        """
        slope = 1.0 if self.data >= 0 else -1.0
        return Value(
            abs(self.data), op="abs", parents=(self,), local_grads=(slope,)
        )

    __abs__ = abs

    def relu(self) -> Value:
        """Return ``max(self, 0)``; its derivative is 1 above 0, else 0.

        At 0 the derivative is taken to be 0, as in ``jax.grad``.

        Example:
            >>> Value(-3.0).relu().data, Value(2.0).relu().data
            (0.0, 2.0)
        """
        slope = 1.0 if self.data > 0 else 0.0
        return Value(
            max(self.data, 0.0), op="relu", parents=(self,),
            local_grads=(slope,)
        )

    def __neg__(self) -> Value:
        return Value(-self.data, op="neg", parents=(self,), local_grads=(-1,))

    def __radd__(self, other: Value | float) -> Value:  # other + self
        return _as_value(other, "+") + self

    def __rsub__(self, other: Value | float) -> Value:  # other - self
        return _as_value(other, "-") - self

    def __rmul__(self, other: Value | float) -> Value:  # other * self
        return _as_value(other, "*") * self

    # --- The graph and the backward pass ---

    def topological_order(self) -> list[Value]:
        """List the nodes of this graph, each after all of its parents.

        The inputs come first and ``self`` (the output) comes last.

        Example:
            >>> a, b = Value(1.0, label="a"), Value(2.0, label="b")
            >>> [v.label for v in (a * b).topological_order()]
            ['a', 'b', '']
        """
        order: list[Value] = []
        visited: set[int] = set()

        def visit(node: Value) -> None:
            if id(node) not in visited:
                visited.add(id(node))
                for parent in node._parents:
                    visit(parent)
                order.append(node)

        visit(self)
        return order

    def edges(self) -> list[Edge]:
        """List every edge of this graph with its local derivative.

        Example:
            >>> a, b = Value(1.0, label="a"), Value(2.0, label="b")
            >>> [(e.parent.label, e.local_grad) for e in (a * b).edges()]
            [('a', 2.0), ('b', 1.0)]
        """
        return [
            Edge(parent, node, local_grad)
            for node in self.topological_order()
            for parent, local_grad in zip(node._parents, node._local_grads)
        ]

    def backward(self) -> None:
        """Set ``.grad`` of every node to the derivative of ``self`` by it.

        Gradients are reset to 0 first, so calling ``backward`` twice gives
        the same result. Going from the output back to the inputs, each
        node passes ``local_grad * node.grad`` to each parent; a node
        reached along several paths adds up what each path brings.

        Example:
            >>> x = Value(3.0)
            >>> (x * 4.0).backward()
            >>> x.grad
            4.0
        """
        order = self.topological_order()
        for node in order:
            node.grad = 0.0
        self.grad = 1.0
        for node in reversed(order):
            for parent, local_grad in zip(node._parents, node._local_grads):
                parent.grad += local_grad * node.grad


def _as_value(other: Value | float, op: str) -> Value:
    """Wrap a plain number as a constant node; pass a Value through."""
    if isinstance(other, Value):
        return other
    if isinstance(other, bool) or not isinstance(other, numbers.Real):
        raise TypeError(
            f"Value {op}: the other operand must be a Value or a real "
            f"number. Received: {other!r} (type {type(other).__name__})"
        )
    return Value(other)


def rain_example() -> dict[str, Value]:
    """Build and backpropagate the section's graph: one relu unit that
    forecasts rain from two readings of a weather station.

    The unit reads the humidity ``h`` and the pressure drop ``p`` (both
    scaled to small numbers), weighs them with ``w_h`` and ``w_p``, adds
    the bias ``b`` and applies a relu; its squared error against the rain
    that fell, ``y_true``, is the loss::

        z = w_h * h + w_p * p + b
        y_pred = relu(z)
        err = y_pred - y_true
        loss = err * err        # err reaches the loss along two edges

    with ``h = 0.75``, ``p = 0.5``, ``w_h = 2``, ``w_p = 1.5``,
    ``b = -0.25`` and ``y_true = 2.5``: binary fractions, so every value
    and gradient is exact. The two products and their sum are nodes of
    their own, without labels.

    Introduced in section 2.4.4.

    Returns:
        The labelled nodes by name (``"h"``, ``"p"``, ``"w_h"``,
        ``"w_p"``, ``"b"``, ``"y_true"``, ``"z"``, ``"y_pred"``,
        ``"err"`` and ``"loss"``), with ``.grad`` already holding the
        derivative of the loss.

    Example:
        >>> nodes = rain_example()
        >>> nodes["y_pred"].data, nodes["loss"].data
        (2.0, 0.25)
        >>> nodes["w_h"].grad, nodes["w_p"].grad, nodes["b"].grad
        (-0.75, -0.5, -1.0)
    """
    h = Value(0.75, label="h")
    p = Value(0.5, label="p")
    w_h = Value(2.0, label="w_h")
    w_p = Value(1.5, label="w_p")
    b = Value(-0.25, label="b")
    y_true = Value(2.5, label="y_true")
    z = w_h * h + w_p * p + b
    z.label = "z"
    y_pred = z.relu()
    y_pred.label = "y_pred"
    err = y_pred - y_true
    err.label = "err"
    loss = err * err
    loss.label = "loss"
    loss.backward()
    return {
        "h": h, "p": p, "w_h": w_h, "w_p": w_p, "b": b, "y_true": y_true,
        "z": z, "y_pred": y_pred, "err": err, "loss": loss,
    }


# --- The same chain rule at tensor level: one Dense layer ------------------


def dense_relu_backward(x: ArrayLike, W: ArrayLike, b: ArrayLike,
                        grad_y: ArrayLike
                        ) -> tuple[NDArray[Any], NDArray[Any], NDArray[Any]]:
    """Backpropagate through one layer ``y = relu(x @ W + b)``, by hand.

    Given ``grad_y``, the gradient of a scalar loss with respect to the
    layer's output ``y`` (one row per sample of the batch), return the
    gradients of the same loss with respect to ``W``, ``b`` and ``x``. Each
    is the chain rule of :meth:`Value.backward`, applied to every entry at
    once::

        z = x @ W + b              # the pre-activation, recomputed
        delta = grad_y * (z > 0)   # grad wrt z: the relu passes or blocks
        grad_W = x.T @ delta       # one outer product per sample, summed
        grad_b = delta.sum(axis=0) # b is added to every row: sum the rows
        grad_x = delta @ W.T       # what flows on to the layer below

    The relu's derivative at 0 is taken to be 0, as ``jax.grad`` does.

    Introduced in section 2.4.4.

    Args:
        x: the layer's input, shape ``(batch, features)``.
        W: the kernel, shape ``(features, units)``.
        b: the bias, shape ``(units,)``.
        grad_y: the loss's gradient with respect to the output, shape
            ``(batch, units)``.

    Returns:
        ``(grad_W, grad_b, grad_x)``, NumPy arrays shaped like ``W``,
        ``b`` and ``x``.

    Raises:
        TypeError: if an argument does not hold numbers.
        ValueError: if the shapes do not fit together.

    Example:
        >>> x = np.array([[1.0, 2.0]])
        >>> W = np.array([[1.0, -1.0], [1.0, -1.0]])
        >>> grad_W, grad_b, grad_x = dense_relu_backward(
        ...     x, W, np.zeros(2), grad_y=np.ones((1, 2)))
        >>> grad_W  # the second unit is off (z < 0): no gradient
        array([[1., 0.],
               [2., 0.]])
        >>> grad_b, grad_x
        (array([1., 0.]), array([[1., 1.]]))
    """
    x, W, b, grad_y = checks.dense("dense_relu_backward", x, W, b, grad_y)
    z = x @ W + b
    delta = grad_y * (z > 0)
    grad_W = x.T @ delta
    grad_b = delta.sum(axis=0)
    grad_x = delta @ W.T
    return grad_W, grad_b, grad_x


# --- A graph as data: JAX's record of a function ----------------------------


def jaxpr_lines(jaxpr: Any) -> list[str]:
    """The equations of a jaxpr, one line each, without types or the
    parameters of nested calls.

    ``jax.make_jaxpr(f)(*args)`` records the graph of ``f`` as a jaxpr:
    one equation per operation, ``outputs = primitive inputs``. Printed in
    full, a call such as ``jax.nn.relu`` spreads over a dozen lines of
    parameters; here it is one line, named by its ``name`` parameter
    (``h = relu g``), and ``f32[]``-style types are left out.

    Introduced in section 2.4.4.

    Args:
        jaxpr: what ``jax.make_jaxpr(f)(*args)`` returns.

    Returns:
        One string per top-level equation, in order.

    Example:
        >>> import jax
        >>> jaxpr_lines(jax.make_jaxpr(lambda a, b: a * b + a)(1.0, 2.0))
        ['c = mul a b', 'd = add c a']
    """
    # Without colours (a notebook's default, whose escape codes hold "[")
    # and without the types of variables; literals keep theirs: drop them.
    text = jaxpr.pretty_print(use_color=False, print_shapes=False)
    text = re.sub(r":[a-z]+[0-9]*\[[^\]]*\]", "", text)
    kept, i = "", 0
    while i < len(text):
        if text[i] != "[":
            kept += text[i]
            i += 1
            continue
        depth, j = 0, i  # a parameter block: skip to its closing bracket
        while True:
            depth += {"[": 1, "]": -1}.get(text[j], 0)
            j += 1
            if depth == 0:
                break
        name = re.search(r"name=(\w+)", text[i:j])
        if name:
            kept = re.sub(r"\w+$", name.group(1), kept)
        i = j
    body = kept.split(" let", 1)[1].rsplit(" in ", 1)[0]
    lines = body.replace(";", "\n").splitlines()  # short ones: one line
    return [" ".join(line.split()) for line in lines if " = " in line]
