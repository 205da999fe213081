"""2D transforms against hand-computed points."""

import math

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dlpy import geometry

SQUARE = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])


def close(actual, expected):
    np.testing.assert_allclose(actual, expected, rtol=1e-12, atol=1e-12)


def test_translate_by_hand():
    close(geometry.translate(SQUARE, [2, -1]),
          [[2, -1], [3, -1], [3, 0], [2, 0]])


@pytest.mark.parametrize(
    ("theta", "expected"),
    [
        (math.pi / 2, [[0, 1]]),
        (math.pi, [[-1, 0]]),
        (-math.pi / 2, [[0, -1]]),
        (math.pi / 4, [[math.sqrt(0.5), math.sqrt(0.5)]]),
        (2 * math.pi, [[1, 0]]),
    ],
)
def test_rotate_unit_x_counterclockwise(theta, expected):
    close(geometry.rotate([[1, 0]], theta), expected)


def test_rotate_the_square_a_quarter_turn():
    close(geometry.rotate(SQUARE, math.pi / 2),
          [[0, 0], [0, 1], [-1, 1], [-1, 0]])


def test_rotation_matrix_by_hand():
    c, s = math.cos(0.3), math.sin(0.3)
    # Points are rows: row k of the matrix is the image of unit vector k.
    close(geometry.rotation_matrix(0.3), [[c, s], [-s, c]])
    close(geometry.rotation_matrix(0), np.eye(2))


def test_scale_by_hand():
    close(geometry.scale(SQUARE, [2, 3]), [[0, 0], [2, 0], [2, 3], [0, 3]])


def test_linear_applies_point_times_matrix():
    shear = [[1, 0], [1, 1]]  # (x, y) -> (x + y, y)
    close(geometry.linear(SQUARE, shear), [[0, 0], [1, 0], [2, 1], [1, 1]])


def test_affine_by_hand():
    close(geometry.affine([[1, 2]], [[0, 1], [-1, 0]], [10, 20]),
          [[8, 21]])  # (1*0 - 2*1 + 10, 1*1 + 2*0 + 20)


def test_relu_by_hand():
    close(geometry.relu([[-1, 2], [3, -4], [-5, -6], [0.5, 0]]),
          [[0, 2], [3, 0], [0, 0], [0.5, 0]])


def test_results_are_new_float_arrays():
    points = np.array([[1, 2]])
    for result in (geometry.translate(points, [0, 0]),
                   geometry.rotate(points, 0.0),
                   geometry.scale(points, [1, 1]),
                   geometry.relu(points)):
        assert result.dtype == np.float64
        assert not np.shares_memory(result, points)
    np.testing.assert_array_equal(points, [[1, 2]])


def test_empty_point_sets():
    empty = np.zeros((0, 2))
    assert geometry.rotate(empty, 1.0).shape == (0, 2)
    assert geometry.affine(empty, np.eye(2), [1, 1]).shape == (0, 2)


NUMBERS = st.floats(-10, 10)


def matrices():
    return hnp.arrays(np.float64, (2, 2), elements=NUMBERS)


def vectors():
    return hnp.arrays(np.float64, (2,), elements=NUMBERS)


@given(
    points=hnp.arrays(np.float64, st.tuples(st.integers(0, 6), st.just(2)),
                      elements=NUMBERS),
    W1=matrices(), b1=vectors(), W2=matrices(), b2=vectors(),
)
def test_compose_affine_equals_applying_both(points, W1, b1, W2, b2):
    W, b = geometry.compose_affine(W1, b1, W2, b2)
    np.testing.assert_allclose(
        geometry.affine(points, W, b),
        geometry.affine(geometry.affine(points, W1, b1), W2, b2),
        rtol=1e-9, atol=1e-9,
    )


@given(points=hnp.arrays(np.float64, (3, 2), elements=NUMBERS),
       matrix=matrices())
def test_linear_matches_a_loop_over_points(points, matrix):
    expected = np.array([[p[0] * matrix[0, j] + p[1] * matrix[1, j]
                          for j in range(2)] for p in points]).reshape(-1, 2)
    close(geometry.linear(points, matrix), expected)


def test_compose_affine_by_hand():
    # Rotate a quarter turn, shift right by 1, then double and shift up.
    W, b = geometry.compose_affine([[0, 1], [-1, 0]], [1, 0],
                                   [[2, 0], [0, 2]], [0, 1])
    close(W, [[0, 2], [-2, 0]])
    close(b, [2, 1])


def test_relu_is_the_nearest_point_of_the_quarter_plane():
    # Reference: a brute-force search over a fine grid of the quarter.
    grid = np.stack(np.meshgrid(np.linspace(0, 3, 301),
                                np.linspace(0, 3, 301)), -1).reshape(-1, 2)
    points = np.array([[-1.0, 2.0], [1.5, -0.7], [-2.0, -1.0], [0.4, 1.1]])
    for point, image in zip(points, geometry.relu(points)):
        nearest = grid[np.argmin(np.sum((grid - point) ** 2, axis=1))]
        close(image, nearest)


def test_subdivide_by_hand():
    triangle = [[0, 0], [2, 0], [0, 2]]
    close(geometry.subdivide(triangle, 2),
          [[0, 0], [1, 0], [2, 0], [1, 1], [0, 2], [0, 1]])
    close(geometry.subdivide(triangle, 2, closed=False),
          [[0, 0], [1, 0], [2, 0], [1, 1], [0, 2]])
    close(geometry.subdivide(triangle, 1), triangle)
    close(geometry.subdivide([[3, 4]], 3), [[3, 4]] * 3)
    close(geometry.subdivide([[3, 4]], 3, closed=False), [[3, 4]])


def test_relu_of_a_subdivided_edge_bends_where_it_crosses_an_axis():
    # The edge from (-1, 1) to (1, 1) crosses the vertical axis at (0, 1):
    # its relu image runs along the axis to (0, 1), then straight to (1, 1).
    edge = geometry.subdivide([[-1, 1], [1, 1]], 4, closed=False)
    close(geometry.relu(edge),
          [[0, 1], [0, 1], [0, 1], [0.5, 1], [1, 1]])


def _best_line_by_loops(points, labels, directions):
    """Reference: every direction, every cut, counted one point at a time."""
    best = 0
    for k in range(directions):
        angle = 2 * math.pi * k / directions
        proj = [x * math.cos(angle) + y * math.sin(angle)
                for x, y in points]
        for cut in sorted(set(proj)) + [math.inf]:
            right = sum((p >= cut) == bool(label)
                        for p, label in zip(proj, labels))
            best = max(best, right)
    return best / len(points)


def test_best_line_accuracy_by_hand():
    xor = [[0, 0], [1, 1], [0, 1], [1, 0]]
    assert geometry.best_line_accuracy(xor, [0, 0, 1, 1]) == 0.75
    line = [[0, 0], [1, 0], [2, 0], [3, 0]]
    assert geometry.best_line_accuracy(line, [0, 0, 1, 1]) == 1.0
    assert geometry.best_line_accuracy(line, [1, 0, 1, 0]) == 0.75
    assert geometry.best_line_accuracy(line, [1, 1, 1, 1]) == 1.0
    # Two classes at the same place: no line can tell them apart.
    assert geometry.best_line_accuracy([[1, 1], [1, 1]], [0, 1]) == 0.5


@given(points=hnp.arrays(np.float64, st.tuples(st.integers(1, 7), st.just(2)),
                         elements=st.integers(-3, 3).map(float)),
       data=st.data())
def test_best_line_accuracy_matches_a_loop(points, data):
    labels = data.draw(hnp.arrays(np.int64, len(points),
                                  elements=st.integers(0, 1)))
    assert geometry.best_line_accuracy(points, labels, 36) == \
        pytest.approx(_best_line_by_loops(points, labels, 36))


# --- Bad input ---------------------------------------------------------------

P = np.zeros((3, 2))
I2 = np.eye(2)

BAD_INPUTS = [
    (geometry.translate, (np.zeros((3, 3)), [1, 1]), ValueError,
     "translate: points must have shape (n, 2). "
     "Received: points.shape=(3, 3)"),
    (geometry.translate, (P, [1, 1, 1]), ValueError,
     "translate: vector must have shape (2,). Received: vector.shape=(3,)"),
    (geometry.translate, ("abc", [1, 1]), TypeError,
     "translate: points must hold integers or floats. "
     "Received: points.dtype=<U3"),
    (geometry.rotation_matrix, ("90",), TypeError,
     "rotation_matrix: theta must be a real number. "
     "Received: theta='90' (type str)"),
    (geometry.rotate, (P, [0.5]), TypeError,
     "rotate: theta must be a real number. "
     "Received: theta=[0.5] (type list)"),
    (geometry.rotate, (np.zeros(2), 0.5), ValueError,
     "rotate: points must have shape (n, 2). Received: points.shape=(2,)"),
    (geometry.scale, (P, 2.0), ValueError,
     "scale: factors must have shape (2,). Received: factors.shape=()"),
    (geometry.scale, (np.zeros((2, 2, 2)), [1, 1]), ValueError,
     "scale: points must have shape (n, 2). "
     "Received: points.shape=(2, 2, 2)"),
    (geometry.linear, (P, np.eye(3)), ValueError,
     "linear: matrix must have shape (2, 2). Received: matrix.shape=(3, 3)"),
    (geometry.linear, (P, [[1, 2], [3]]), TypeError,
     "linear: matrix must hold integers or floats. "
     "Received: matrix.dtype=object"),
    (geometry.affine, (P, I2, np.zeros(3)), ValueError,
     "affine: bias must have shape (2,). Received: bias.shape=(3,)"),
    (geometry.affine, (P, np.zeros(4), np.zeros(2)), ValueError,
     "affine: matrix must have shape (2, 2). Received: matrix.shape=(4,)"),
    (geometry.relu, (np.zeros((2, 1)),), ValueError,
     "relu: points must have shape (n, 2). Received: points.shape=(2, 1)"),
    (geometry.relu, ([["a", "b"]],), TypeError,
     "relu: points must hold integers or floats. "
     "Received: points.dtype=<U1"),
    (geometry.compose_affine, (I2, np.zeros(2), np.eye(3), np.zeros(2)),
     ValueError,
     "compose_affine: W2 must have shape (2, 2). Received: W2.shape=(3, 3)"),
    (geometry.compose_affine, (I2, np.zeros(3), I2, np.zeros(2)), ValueError,
     "compose_affine: b1 must have shape (2,). Received: b1.shape=(3,)"),
    (geometry.compose_affine, (I2, np.zeros(2), I2, None), TypeError,
     "compose_affine: b2 must hold integers or floats. "
     "Received: b2.dtype=object"),
    (geometry.subdivide, (P, 0), ValueError,
     "subdivide: pieces must be >= 1. Received: pieces=0"),
    (geometry.subdivide, (P, 2.5), TypeError,
     "subdivide: pieces must be an integer. "
     "Received: pieces=2.5 (type float)"),
    (geometry.subdivide, (np.zeros((0, 2)), 2), ValueError,
     "subdivide: points must hold at least one point. "
     "Received: points.shape=(0, 2)"),
    (geometry.subdivide, (np.zeros(3), 2), ValueError,
     "subdivide: points must have shape (n, 2). "
     "Received: points.shape=(3,)"),
    (geometry.best_line_accuracy, (P, [0, 1]), ValueError,
     "best_line_accuracy: labels must hold one entry per point, and there "
     "must be at least one point. Received: points.shape=(3, 2), "
     "labels.shape=(2,)"),
    (geometry.best_line_accuracy, (P, [0.0, 1.0, 1.0]), TypeError,
     "best_line_accuracy: labels must be integers. "
     "Received: labels.dtype=float64"),
    (geometry.best_line_accuracy, (P, [0, 1, 2]), ValueError,
     "best_line_accuracy: labels must be 0 or 1. "
     "Received: labels with values [0, 1, 2]"),
    (geometry.best_line_accuracy, (P, [0, 1, 1], 0), ValueError,
     "best_line_accuracy: directions must be >= 1. "
     "Received: directions=0"),
    (geometry.best_line_accuracy, (P, [0, 1, 1], 1.5), TypeError,
     "best_line_accuracy: directions must be an integer. "
     "Received: directions=1.5 (type float)"),
]



def test_bad_input_is_refused_with_a_clear_message(bad_input):
    bad_input.check()


def test_every_public_function_has_a_bad_input_case():
    assert {row[0].__name__ for row in BAD_INPUTS} == set(geometry.__all__)
