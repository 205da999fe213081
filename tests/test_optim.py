"""Update rules against keras.optimizers.SGD and hand-computed descents."""

import numpy as np
import pytest

import dlpy  # noqa: F401  (sets KERAS_BACKEND before keras is imported)
from dlpy.optim import descend, momentum_step, sgd_step

import keras  # noqa: E402, I001  (a hard dependency: imported, not skipped)

STEPS = 5


def to_numpy(variable):
    # Variable.numpy() warns under NumPy 2 (its __array__ lacks ``copy``).
    return keras.ops.convert_to_numpy(variable.value)


def keras_trajectory(w0, gradients, learning_rate, momentum):
    """Weights and velocities after each Keras SGD update, in float32."""
    variable = keras.Variable(w0, dtype="float32")
    optimizer = keras.optimizers.SGD(learning_rate=learning_rate,
                                     momentum=momentum)
    optimizer.build([variable])
    weights, velocities = [], []
    for g in gradients:
        optimizer.apply([g], [variable])
        weights.append(to_numpy(variable))
        if momentum:
            velocities.append(to_numpy(optimizer.momentums[0]))
    return weights, velocities


@pytest.fixture
def problem():
    """A float32 starting point and a sequence of float32 gradients."""
    rng = np.random.default_rng(0)
    w0 = rng.normal(size=(3, 4)).astype(np.float32)
    gradients = rng.normal(size=(STEPS, 3, 4)).astype(np.float32)
    return w0, gradients


@pytest.mark.parametrize("learning_rate", [0.01, 0.1])
def test_sgd_step_matches_keras_sgd(problem, learning_rate):
    w0, gradients = problem
    expected, _ = keras_trajectory(w0, gradients, learning_rate, 0.0)
    w = w0
    for g, keras_w in zip(gradients, expected):
        w = sgd_step(w, g, learning_rate)
        assert w.dtype == np.float32
        np.testing.assert_allclose(w, keras_w, rtol=1e-6)


@pytest.mark.parametrize(("learning_rate", "momentum"),
                         [(0.01, 0.9), (0.1, 0.5), (0.05, 0.0)])
def test_momentum_step_matches_keras_sgd(problem, learning_rate, momentum):
    w0, gradients = problem
    expected_w, expected_v = keras_trajectory(w0, gradients, learning_rate,
                                              momentum)
    w, velocity = w0, np.zeros_like(w0)
    for step, g in enumerate(gradients):
        w, velocity = momentum_step(w, velocity, g, learning_rate, momentum)
        assert w.dtype == velocity.dtype == np.float32
        np.testing.assert_allclose(w, expected_w[step], rtol=1e-6)
        if momentum:
            np.testing.assert_allclose(velocity, expected_v[step], rtol=1e-6)


def test_steps_do_not_modify_their_inputs():
    w, v, g = np.ones(2), np.full(2, 0.5), np.full(2, 2.0)
    sgd_step(w, g, 0.1)
    momentum_step(w, v, g, 0.1, 0.9)
    for array, value in ((w, 1.0), (v, 0.5), (g, 2.0)):
        np.testing.assert_array_equal(array, [value, value])


def test_momentum_step_by_hand():
    # velocity = 0.9 * 1 - 0.1 * 2 = 0.7; w = 1 + 0.7 = 1.7
    w, velocity = momentum_step(1.0, 1.0, 2.0, 0.1, 0.9)
    assert (float(w), float(velocity)) == pytest.approx((1.7, 0.7))


# --- descend -----------------------------------------------------------------


def test_descend_1d_quadratic_follows_the_closed_form():
    # f(x) = x ** 2, f'(x) = 2 x: each step multiplies x by 1 - 2 * lr.
    points = descend(lambda x: 2 * x, 3.0, learning_rate=0.1, steps=10)
    assert points.shape == (11,)
    np.testing.assert_allclose(points, 3.0 * 0.8 ** np.arange(11),
                               rtol=1e-12)


def test_descend_2d_bowl_follows_the_closed_form():
    # f(x, y) = x ** 2 + 10 * y ** 2 has gradient (2 x, 20 y).
    def grad(p):
        return np.array([2.0, 20.0]) * p

    points = descend(grad, np.array([1.0, 1.0]), learning_rate=0.04,
                     steps=6)
    k = np.arange(7)
    expected = np.stack([0.92 ** k, 0.2 ** k], axis=1)
    assert points.shape == (7, 2)
    np.testing.assert_allclose(points, expected, rtol=1e-12)


def test_descend_with_momentum_matches_keras(problem):
    # The gradient of f(w) = sum(w ** 2) / 2 is w itself. descend works in
    # float64 and Keras here in float32, hence the looser tolerance.
    w0, _ = problem
    points = descend(lambda w: w, w0, learning_rate=0.1, steps=STEPS,
                     momentum=0.9)
    variable = keras.Variable(w0, dtype="float32")
    optimizer = keras.optimizers.SGD(learning_rate=0.1, momentum=0.9)
    assert points.shape == (STEPS + 1, 3, 4)
    np.testing.assert_array_equal(points[0], w0)
    for point in points[1:]:
        optimizer.apply([variable.value], [variable])
        np.testing.assert_allclose(point, to_numpy(variable),
                                   rtol=1e-5)


def test_descend_zero_steps_returns_the_start():
    points = descend(lambda x: x, [1, 2], learning_rate=0.1, steps=0)
    np.testing.assert_array_equal(points, [[1.0, 2.0]])
    assert points.dtype == np.float64


# --- Bad input ---------------------------------------------------------------

W = np.zeros(3)

BAD_INPUTS = [
    (sgd_step, (W, np.zeros(2), 0.1), ValueError,
     "sgd_step: w and g must have the same shape. "
     "Received: w.shape=(3,), g.shape=(2,)"),
    (sgd_step, (W, W, 0.0), ValueError,
     "sgd_step: learning_rate must be a positive finite number. "
     "Received: learning_rate=0.0"),
    (sgd_step, (W, W, float("inf")), ValueError,
     "sgd_step: learning_rate must be a positive finite number. "
     "Received: learning_rate=inf"),
    (sgd_step, (W, W, "0.1"), TypeError,
     "sgd_step: learning_rate must be a real number. "
     "Received: learning_rate='0.1' (type str)"),
    (sgd_step, (["a"], W, 0.1), TypeError,
     "sgd_step: w must hold integers or floats. Received: w.dtype=<U1"),
    (momentum_step, (W, W, W, 0.1, 1.0), ValueError,
     "momentum_step: momentum must be in the range [0, 1). "
     "Received: momentum=1.0"),
    (momentum_step, (W, W, W, 0.1, -0.1), ValueError,
     "momentum_step: momentum must be in the range [0, 1). "
     "Received: momentum=-0.1"),
    (momentum_step, (W, W, W, 0.1, None), TypeError,
     "momentum_step: momentum must be a real number. "
     "Received: momentum=None (type NoneType)"),
    (momentum_step, (W, np.zeros((3, 1)), W, 0.1, 0.9), ValueError,
     "momentum_step: w, velocity and g must have the same shape. "
     "Received: w.shape=(3,), velocity.shape=(3, 1), g.shape=(3,)"),
    (momentum_step, (W, W, W, -1, 0.9), ValueError,
     "momentum_step: learning_rate must be a positive finite number. "
     "Received: learning_rate=-1"),
    (descend, ("not callable", 1.0, 0.1, 3), TypeError,
     "descend: grad_fn must be callable. Received: type(grad_fn)=str"),
    (descend, (lambda x: x, 1.0, 0.1, -1), ValueError,
     "descend: steps must be >= 0. Received: steps=-1"),
    (descend, (lambda x: x, 1.0, 0.1, 2.5), TypeError,
     "descend: steps must be an integer. "
     "Received: steps=2.5 (type float)"),
    (descend, (lambda x: x, 1.0, 0.1, 3, 1.5), ValueError,
     "descend: momentum must be in the range [0, 1). "
     "Received: momentum=1.5"),
    (descend, (lambda x: x, 1.0, -0.1, 3), ValueError,
     "descend: learning_rate must be a positive finite number. "
     "Received: learning_rate=-0.1"),
    (descend, (lambda x: np.zeros(2), 1.0, 0.1, 3), ValueError,
     "descend: grad_fn must return an array of the point's shape. "
     "Received: x.shape=(), grad_fn(x).shape=(2,)"),
    (descend, (lambda x: x, "start", 0.1, 3), TypeError,
     "descend: x0 must hold integers or floats. Received: x0.dtype=<U5"),
]


def test_bad_input_is_refused_with_a_clear_message(bad_input):
    bad_input.check()


# --- What the book shows: the teaching core of each rule --------------------


def test_the_book_shows_the_update_rules_without_their_checks(
        teaching_core):
    assert teaching_core(momentum_step) == (
        "def momentum_step(\n"
        "    w: ArrayLike, velocity: ArrayLike, g: ArrayLike, "
        "learning_rate: float,\n"
        "    momentum: float,\n"
        ") -> tuple[NDArray[Any], NDArray[Any]]:\n"
        "    velocity = momentum * velocity - learning_rate * g\n"
        "    w = w + velocity\n"
        "    return w, velocity\n"
    )
    assert teaching_core(sgd_step) == (
        "def sgd_step(w: ArrayLike, g: ArrayLike, learning_rate: float"
        ") -> NDArray[Any]:\n"
        "    return w - learning_rate * g\n"
    )
