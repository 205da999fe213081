"""The toy autodiff engine against jax.grad, the trusted reference.

JAX runs in float64 here (``jax.enable_x64``) so that its forward values
are bit-for-bit those of the float64 ``Value`` graph: both take the same
branch of ``abs`` and ``relu`` and the gradients agree to rounding.
"""

import operator

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dlpy.autodiff import Edge, Value, dense_relu_backward, rain_example


def jax_grads(f, *args):
    """The gradient of ``f`` with respect to each argument, in float64."""
    with jax.enable_x64(True):
        args = [jnp.float64(a) for a in args]
        grads = jax.grad(f, argnums=tuple(range(len(args))))(*args)
        return [float(g) for g in grads]


def value_grads(f, *args):
    """The same gradients from a ``Value`` graph."""
    inputs = [Value(a) for a in args]
    output = f(*inputs)
    output.backward()
    return output.data, [v.grad for v in inputs]


# --- The section's example (2.4.4): a relu unit forecasting rain ---------


def rain_loss(h, p, w_h, w_p, b, y_true):
    return (jax.nn.relu(w_h * h + w_p * p + b) - y_true) ** 2


RAIN_INPUTS = ("h", "p", "w_h", "w_p", "b", "y_true")


def test_rain_example_forward_values_match_jax():
    nodes = rain_example()
    assert all(node.label == name for name, node in nodes.items())
    args = [nodes[name].data for name in RAIN_INPUTS]
    with jax.enable_x64(True):
        expected = float(rain_loss(*map(jnp.float64, args)))
    assert nodes["loss"].data == pytest.approx(expected, rel=1e-15)
    assert nodes["z"].data > 0  # the relu passes: the example's point


def test_rain_example_gradients_match_jax():
    nodes = rain_example()
    args = [nodes[name].data for name in RAIN_INPUTS]
    expected = jax_grads(rain_loss, *args)
    assert [nodes[name].grad for name in RAIN_INPUTS] == pytest.approx(
        expected, rel=1e-15)


def test_rain_example_intermediate_gradients_match_jax():
    nodes = rain_example()
    y_true = nodes["y_true"].data
    (d_z,) = jax_grads(lambda z: (jax.nn.relu(z) - y_true) ** 2,
                       nodes["z"].data)
    (d_err,) = jax_grads(lambda e: e * e, nodes["err"].data)
    assert nodes["z"].grad == pytest.approx(d_z)
    assert nodes["y_pred"].grad == pytest.approx(d_z)  # the relu passes
    assert nodes["err"].grad == pytest.approx(d_err)
    assert nodes["loss"].grad == 1.0


def test_rain_example_edges_carry_hand_computed_local_gradients():
    nodes = rain_example()
    loss = nodes["loss"]
    h, p, w_h, w_p = (nodes[k].data for k in ("h", "p", "w_h", "w_p"))
    err = nodes["err"].data
    edges = [(e.parent.label or e.parent.op, e.child.label or e.child.op,
              e.local_grad) for e in loss.edges()]
    assert sorted(edges) == sorted([
        ("w_h", "*", h), ("h", "*", w_h),  # d(a * b)/da = b
        ("w_p", "*", p), ("p", "*", w_p),
        ("*", "+", 1.0), ("*", "+", 1.0),  # the sum of the two products
        ("+", "z", 1.0), ("b", "z", 1.0),
        ("z", "y_pred", 1.0),  # relu at z > 0
        ("y_pred", "err", 1.0), ("y_true", "err", -1.0),
        ("err", "loss", err), ("err", "loss", err),  # two edges, e * e
    ])
    assert all(isinstance(e, Edge) for e in loss.edges())


def test_topological_order_puts_parents_first():
    loss = rain_example()["loss"]
    order = loss.topological_order()
    assert order[-1] is loss
    assert len({id(v) for v in order}) == len(order) == 13
    position = {id(v): i for i, v in enumerate(order)}
    for edge in loss.edges():
        assert position[id(edge.parent)] < position[id(edge.child)]
    assert {v.label for v in order if not v.op} == set(RAIN_INPUTS)


@pytest.mark.parametrize("x", [-1.0, -0.0, 0.0, 2.0])
def test_relu_derivative_convention_matches_jax(x):
    data, (grad,) = value_grads(lambda v: v.relu(), x)
    assert data == max(x, 0.0)
    assert grad == jax_grads(jax.nn.relu, x)[0]


# --- Several paths, repeated backward ----------------------------------------


@pytest.mark.parametrize("x", [-2.0, -0.5, 0.0, 1.5, 3.0])
def test_gradients_add_up_over_several_paths(x):
    def f(x):
        return x * x + x  # x reaches the output along three edges

    data, (grad,) = value_grads(f, x)
    assert data == x * x + x
    assert grad == pytest.approx(jax_grads(f, x)[0])
    assert grad == 2 * x + 1


def test_backward_twice_does_not_double_count():
    x = Value(3.0)
    y = x * x * x
    y.backward()
    first = x.grad
    y.backward()
    assert x.grad == first == 27.0


@pytest.mark.parametrize("x", [-1.0, -0.0, 0.0, 2.0])
def test_abs_derivative_convention_matches_jax(x):
    _, (grad,) = value_grads(abs, x)
    assert grad == jax_grads(jnp.abs, x)[0]
    _, (grad,) = value_grads(lambda v: v.abs(), x)
    assert grad == jax_grads(jnp.abs, x)[0]


def test_operations_with_plain_numbers():
    def f(a):
        return 2 + a, a + 2, 5 - a, a - 5, 3 * a, a * 3, -a

    for i in range(7):
        data, (grad,) = value_grads(lambda a, i=i: f(a)[i], 1.5)
        assert data == f(1.5)[i]
        assert grad == jax_grads(lambda a, i=i: f(a)[i], 1.5)[0]


# --- Random expressions vs jax.grad ------------------------------------------

VARIABLES = ("a", "b", "c")
BINARY = ("+", "-", "*")


def _extend(children):
    return (st.tuples(st.sampled_from(BINARY), children, children)
            | st.tuples(st.just("abs"), children)
            | st.tuples(st.just("relu"), children)
            | st.tuples(st.just("neg"), children))


# Leaves are variables or small integer constants; at most 8 leaves keep
# the values small.
EXPRESSIONS = st.recursive(
    st.sampled_from(VARIABLES) | st.integers(-3, 3).map(float),
    _extend,
    max_leaves=8,
)


def evaluate(tree, env):
    """Evaluate ``tree`` with Python operators: works for Value and JAX."""
    if isinstance(tree, str):
        return env[tree]
    if isinstance(tree, float):
        return tree
    op, *args = tree
    args = [evaluate(arg, env) for arg in args]
    if op == "abs":
        return abs(args[0])
    if op == "neg":
        return -args[0]
    if op == "relu":
        arg = args[0]
        if isinstance(arg, Value):
            return arg.relu()
        return max(arg, 0.0) if isinstance(arg, float) else jax.nn.relu(arg)
    left, right = args
    return {"+": left + right, "-": left - right, "*": left * right}[op]


def _uses_a_variable(tree):
    if isinstance(tree, str):
        return True
    return isinstance(tree, tuple) and any(map(_uses_a_variable, tree[1:]))


INTEGER_VALUES = st.integers(-3, 3).map(float)  # hits abs at 0 often
FLOAT_VALUES = st.floats(-3, 3, allow_subnormal=False)


@pytest.mark.parametrize("values", [INTEGER_VALUES, FLOAT_VALUES],
                         ids=["integers", "floats"])
@given(data=st.data())
def test_random_expressions_match_jax_grad(values, data):
    tree = data.draw(EXPRESSIONS.filter(_uses_a_variable), label="tree")
    point = data.draw(st.tuples(values, values, values), label="point")

    def f(a, b, c):
        return evaluate(tree, dict(zip(VARIABLES, (a, b, c))))

    output, grads = value_grads(f, *point)
    with jax.enable_x64(True):
        expected_output = float(f(*map(jnp.float64, point)))
    assert output == pytest.approx(expected_output, rel=1e-12, abs=1e-12)
    np.testing.assert_allclose(grads, jax_grads(f, *point),
                               rtol=1e-12, atol=1e-12)


# --- One Dense layer at tensor level (2.4.4) ------------------------------


def _dense_problem(seed=0, n=5, features=4, units=3):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features))
    W = rng.normal(size=(features, units))
    b = rng.normal(size=(units,))
    c = rng.normal(size=(n, units))  # loss = sum(relu(x @ W + b) * c)
    return x, W, b, c


def _dense_loss(W, b, x, c):
    return jnp.sum(jax.nn.relu(x @ W + b) * c)


@pytest.mark.parametrize("seed", range(5))
def test_dense_relu_backward_matches_jax_grad(seed):
    x, W, b, c = _dense_problem(seed)
    # d(sum(y * c))/dy = c: the gradient that reaches the layer's output.
    grad_W, grad_b, grad_x = dense_relu_backward(x, W, b, grad_y=c)
    with jax.enable_x64(True):
        ref = jax.grad(_dense_loss, argnums=(0, 1, 2))(
            jnp.float64(W), jnp.float64(b), jnp.float64(x), jnp.float64(c))
    for ours, theirs in zip((grad_W, grad_b, grad_x), ref):
        np.testing.assert_allclose(ours, np.asarray(theirs), rtol=1e-12,
                                   atol=1e-12)


def test_dense_relu_backward_matches_finite_differences():
    x, W, b, c = _dense_problem(7)

    def loss(W, b, x):
        return float(np.sum(np.maximum(x @ W + b, 0) * c))

    grads = dense_relu_backward(x, W, b, grad_y=c)
    eps = 1e-6
    for k, array in enumerate((W, b, x)):
        for index in np.ndindex(array.shape):
            args = [W.copy(), b.copy(), x.copy()]
            args[k][index] += eps
            plus = loss(*args)
            args[k][index] -= 2 * eps
            minus = loss(*args)
            numeric = (plus - minus) / (2 * eps)
            assert grads[k][index] == pytest.approx(numeric, abs=1e-6)


def test_dense_relu_backward_masks_units_that_are_off():
    x, W, b, c = _dense_problem(1)
    b = b.copy()
    b[1] = -100.0  # unit 1 is negative for every sample: relu blocks it
    grad_W, grad_b, _ = dense_relu_backward(x, W, b, grad_y=c)
    assert not np.any(grad_W[:, 1]) and grad_b[1] == 0
    # The formulas, written out: x.T @ delta and the sum over the batch.
    delta = c * (x @ W + b > 0)
    np.testing.assert_allclose(grad_W, sum(np.outer(x[i], delta[i])
                                           for i in range(len(x))))
    np.testing.assert_allclose(grad_b, delta.sum(axis=0))


def test_dense_relu_backward_keeps_float32():
    x, W, b, c = (a.astype(np.float32) for a in _dense_problem(2))
    grads = dense_relu_backward(x, W, b, c)
    assert [g.dtype for g in grads] == [np.float32] * 3
    assert [g.shape for g in grads] == [W.shape, b.shape, x.shape]


# --- Bad input ---------------------------------------------------------------

X, W, B, C = _dense_problem()

BAD_INPUTS = [
    (Value, ("3",), TypeError,
     "Value: data must be a real number. Received: data='3' (type str)"),
    (Value, (True,), TypeError,
     "Value: data must be a real number. Received: data=True (type bool)"),
    (Value, {"data": 1.0, "parents": (Value(2.0),)}, ValueError,
     "Value: parents and local_grads must have the same length. "
     "Received: len(parents)=1, len(local_grads)=0"),
    (operator.add, (Value(1.0), "2"), TypeError,
     "Value +: the other operand must be a Value or a real number. "
     "Received: '2' (type str)"),
    (operator.sub, ([1.0], Value(1.0)), TypeError,
     "Value -: the other operand must be a Value or a real number. "
     "Received: [1.0] (type list)"),
    (operator.mul, (Value(1.0), None), TypeError,
     "Value *: the other operand must be a Value or a real number. "
     "Received: None (type NoneType)"),
    (dense_relu_backward, (np.zeros((5, 3)), W, B, C), ValueError,
     "dense_relu_backward: expected x (batch, features), W (features, "
     "units), b (units,) and grad_y (batch, units). Received: "
     "x.shape=(5, 3), W.shape=(4, 3), b.shape=(3,), grad_y.shape=(5, 3)"),
    (dense_relu_backward, (X, W, np.zeros((1, 3)), C), ValueError,
     "dense_relu_backward: b must have rank 1. Received: b.shape=(1, 3)"),
    (dense_relu_backward, (X, W, B, np.zeros((4, 3))), ValueError,
     "dense_relu_backward: expected x (batch, features), W (features, "
     "units), b (units,) and grad_y (batch, units). Received: "
     "x.shape=(5, 4), W.shape=(4, 3), b.shape=(3,), grad_y.shape=(4, 3)"),
    (dense_relu_backward, (X, np.array([["a"] * 3] * 4), B, C), TypeError,
     "dense_relu_backward: W must hold integers or floats. Received: "
     "W.dtype=<U1"),
]


def test_bad_input_is_refused_with_a_clear_message(bad_input):
    bad_input.check()
