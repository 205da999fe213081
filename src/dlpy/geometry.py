"""Tensor operations seen as geometry: moving points in the plane.

A set of ``n`` points in 2D is an array of shape ``(n, 2)``, one point
``(x, y)`` per row. Translation adds a vector; rotation, scaling and other
linear maps multiply each point by a 2 x 2 matrix; an affine map does both,
as a Dense layer without activation does; relu folds the plane onto its
positive quarter.

Introduced in section 2.3.5 (a geometric interpretation of tensor
operations).
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = [
    "affine",
    "compose_affine",
    "linear",
    "relu",
    "rotate",
    "rotation_matrix",
    "scale",
    "translate",
]


# --- Input checks -----------------------------------------------------------


def _as_float_array(fn: str, name: str, value, shape_text: str, ok):
    """Convert ``value`` to a float array and check its shape with ``ok``."""
    try:
        array = np.asarray(value)
    except ValueError:  # ragged nested lists
        array = None
    if array is None or array.dtype.kind not in "iuf":
        raise TypeError(
            f"{fn}: {name} must be an array of numbers. "
            f"Received: {name}={value!r}"
        )
    array = array.astype(float)
    if not ok(array.shape):
        raise ValueError(
            f"{fn}: {name} must have shape {shape_text}. "
            f"Received: {name}.shape={array.shape}"
        )
    return array


def _points(fn: str, points) -> np.ndarray:
    return _as_float_array(
        fn, "points", points, "(n, 2)", lambda s: len(s) == 2 and s[1] == 2
    )


def _vector(fn: str, name: str, vector) -> np.ndarray:
    return _as_float_array(fn, name, vector, "(2,)", lambda s: s == (2,))


def _matrix(fn: str, name: str, matrix) -> np.ndarray:
    return _as_float_array(fn, name, matrix, "(2, 2)", lambda s: s == (2, 2))


def _check_angle(fn: str, theta) -> None:
    if isinstance(theta, bool) or not isinstance(theta, numbers.Real):
        raise TypeError(
            f"{fn}: theta must be a real number (radians). "
            f"Received: theta={theta!r} (type {type(theta).__name__})"
        )


# --- Transformations -------------------------------------------------------


def translate(points, vector) -> np.ndarray:
    """Move every point by the same vector: ``points + vector``.

    Introduced in section 2.3.5.

    Args:
        points: an array of shape ``(n, 2)``.
        vector: the displacement, shape ``(2,)``.

    Returns:
        A new ``(n, 2)`` float array.

    Raises:
        TypeError: if an argument does not hold numbers.
        ValueError: if a shape is wrong.

    Example:
        >>> translate([[0, 0], [1, 2]], [3, 1])
        array([[3., 1.],
               [4., 3.]])
    """
    points = _points("translate", points)
    return points + _vector("translate", "vector", vector)


def rotation_matrix(theta: float) -> np.ndarray:
    """Return the 2 x 2 matrix of a counterclockwise rotation by ``theta``.

    The matrix is ``[[cos(theta), -sin(theta)], [sin(theta), cos(theta)]]``.

    Introduced in section 2.3.5.

    Args:
        theta: the angle in radians.

    Returns:
        A ``(2, 2)`` float array.

    Raises:
        TypeError: if ``theta`` is not a real number.

    Example:
        >>> rotation_matrix(np.pi / 2).round(6) + 0.0  # + 0.0 drops -0.
        array([[ 0., -1.],
               [ 1.,  0.]])
    """
    _check_angle("rotation_matrix", theta)
    cos, sin = np.cos(theta), np.sin(theta)
    return np.array([[cos, -sin], [sin, cos]])


def linear(points, matrix) -> np.ndarray:
    """Apply a linear map: each point ``p`` becomes ``matrix @ p``.

    With points as rows, this is ``points @ matrix.T``.

    Introduced in section 2.3.5.

    Args:
        points: an array of shape ``(n, 2)``.
        matrix: an array of shape ``(2, 2)``.

    Returns:
        A new ``(n, 2)`` float array.

    Raises:
        TypeError: if an argument does not hold numbers.
        ValueError: if a shape is wrong.

    Example:
        >>> linear([[1, 0], [0, 1]], [[1, 2], [3, 4]])
        array([[1., 3.],
               [2., 4.]])
    """
    points = _points("linear", points)
    return points @ _matrix("linear", "matrix", matrix).T


def rotate(points, theta: float) -> np.ndarray:
    """Rotate every point counterclockwise by ``theta`` about the origin.

    Introduced in section 2.3.5.

    Args:
        points: an array of shape ``(n, 2)``.
        theta: the angle in radians.

    Returns:
        A new ``(n, 2)`` float array: ``linear(points,
        rotation_matrix(theta))``.

    Raises:
        TypeError: if an argument has the wrong type.
        ValueError: if ``points`` does not have shape ``(n, 2)``.

    Example:
        >>> rotate([[1, 0]], np.pi / 2).round(6) + 0.0
        array([[0., 1.]])
    """
    points = _points("rotate", points)
    _check_angle("rotate", theta)
    return linear(points, rotation_matrix(theta))


def scale(points, factors) -> np.ndarray:
    """Stretch the plane by ``factors[0]`` along x and ``factors[1]`` along y.

    This is the linear map of the diagonal matrix ``np.diag(factors)``.

    Introduced in section 2.3.5.

    Args:
        points: an array of shape ``(n, 2)``.
        factors: the pair of scale factors, shape ``(2,)``.

    Returns:
        A new ``(n, 2)`` float array.

    Raises:
        TypeError: if an argument does not hold numbers.
        ValueError: if a shape is wrong.

    Example:
        >>> scale([[1, 1]], [2, 0.5])
        array([[2. , 0.5]])
    """
    points = _points("scale", points)
    return linear(points, np.diag(_vector("scale", "factors", factors)))


def affine(points, matrix, bias) -> np.ndarray:
    """Apply an affine map: each point ``p`` becomes ``matrix @ p + bias``.

    A Dense layer without activation computes this map.

    Introduced in section 2.3.5.

    Args:
        points: an array of shape ``(n, 2)``.
        matrix: an array of shape ``(2, 2)``.
        bias: an array of shape ``(2,)``.

    Returns:
        A new ``(n, 2)`` float array.

    Raises:
        TypeError: if an argument does not hold numbers.
        ValueError: if a shape is wrong.

    Example:
        >>> affine([[1, 1]], [[2, 0], [0, 3]], [1, -1])
        array([[3., 2.]])
    """
    points = _points("affine", points)
    matrix = _matrix("affine", "matrix", matrix)
    return points @ matrix.T + _vector("affine", "bias", bias)


def relu(points) -> np.ndarray:
    """Apply relu to each coordinate: negative coordinates become 0.

    Relu is not linear: it folds the plane onto the quarter where both
    coordinates are non-negative.

    Introduced in section 2.3.5.

    Args:
        points: an array of shape ``(n, 2)``.

    Returns:
        A new ``(n, 2)`` float array, ``np.maximum(points, 0)``.

    Raises:
        TypeError: if ``points`` does not hold numbers.
        ValueError: if ``points`` does not have shape ``(n, 2)``.

    Example:
        >>> relu([[-1, 2], [3, -4]])
        array([[0., 2.],
               [3., 0.]])
    """
    return np.maximum(_points("relu", points), 0.0)


def compose_affine(W1, b1, W2, b2) -> tuple[np.ndarray, np.ndarray]:
    """Collapse two affine maps, applied one after the other, into one.

    Applying ``p -> W1 @ p + b1`` and then ``q -> W2 @ q + b2`` gives
    ``W2 @ (W1 @ p + b1) + b2 = (W2 @ W1) @ p + (W2 @ b1 + b2)``: two
    stacked layers without activation are no more expressive than one.

    Introduced in section 2.3.5.

    Args:
        W1: the first matrix, shape ``(2, 2)``.
        b1: the first bias, shape ``(2,)``.
        W2: the second matrix, shape ``(2, 2)``.
        b2: the second bias, shape ``(2,)``.

    Returns:
        ``(W, b)`` with ``W = W2 @ W1`` and ``b = W2 @ b1 + b2``.

    Raises:
        TypeError: if an argument does not hold numbers.
        ValueError: if a shape is wrong.

    Example:
        >>> W, b = compose_affine(np.eye(2), [1, 0], 2 * np.eye(2), [0, 1])
        >>> W, b
        (array([[2., 0.],
               [0., 2.]]), array([2., 1.]))
    """
    fn = "compose_affine"
    W1, W2 = _matrix(fn, "W1", W1), _matrix(fn, "W2", W2)
    b1, b2 = _vector(fn, "b1", b1), _vector(fn, "b2", b2)
    return W2 @ W1, W2 @ b1 + b2
