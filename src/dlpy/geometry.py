"""Tensor operations seen as geometry: moving points in the plane.

A set of ``n`` points in 2D is an array of shape ``(n, 2)``, one point
``(x, y)`` per row, as Keras keeps one sample per row of a batch; matrices
act from the right, ``points @ matrix``, as a Dense layer's kernel does.
Translation adds a vector; rotation, scaling and other linear maps multiply
by a 2 x 2 matrix, whose row ``k`` is where the ``k``-th unit vector goes;
an affine map does both, as a Dense layer without activation does; relu
sends every point to the nearest point of the quarter-plane where both
coordinates are non-negative (a projection, not a fold: nothing is
mirrored).

Two helpers serve the figures of the book: :func:`subdivide` samples the
edges of an outline densely, so that the image of each edge under a
non-linear map can be drawn, and :func:`best_line_accuracy` measures how
well a single straight line separates two classes of points.

Introduced in section 2.3.5 (a geometric interpretation of tensor
operations); :func:`best_line_accuracy` in section 2.3.6.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from dlpy import _checks as checks

__all__ = [
    "affine",
    "best_line_accuracy",
    "compose_affine",
    "linear",
    "relu",
    "rotate",
    "rotation_matrix",
    "scale",
    "subdivide",
    "translate",
]


# --- Transformations -------------------------------------------------------


def translate(points: ArrayLike, vector: ArrayLike) -> NDArray[np.float64]:
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
    points = checks.points("translate", "points", points)
    return points + checks.vector("translate", "vector", vector)


def rotation_matrix(theta: float) -> NDArray[np.float64]:
    """Return the 2 x 2 matrix of a counterclockwise rotation by ``theta``.

    The matrix is ``[[cos(theta), sin(theta)], [-sin(theta), cos(theta)]]``,
    for points as rows: ``points @ rotation_matrix(theta)`` rotates them.
    Row 0 is where ``(1, 0)`` goes, row 1 where ``(0, 1)`` goes.

    Introduced in section 2.3.5.

    Args:
        theta: the angle in radians.

    Returns:
        A ``(2, 2)`` float array.

    Raises:
        TypeError: if ``theta`` is not a real number.

    Example:
        >>> rotation_matrix(np.pi / 2).round(6) + 0.0  # + 0.0 drops -0.
        array([[ 0.,  1.],
               [-1.,  0.]])
    """
    checks.real("rotation_matrix", "theta", theta)
    cos, sin = np.cos(theta), np.sin(theta)
    return np.array([[cos, sin], [-sin, cos]])


def linear(points: ArrayLike, matrix: ArrayLike) -> NDArray[np.float64]:
    """Apply a linear map to points stored as rows: ``points @ matrix``.

    Each point ``p`` (a row) becomes ``p @ matrix``.

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
        array([[1., 2.],
               [3., 4.]])
    """
    points = checks.points("linear", "points", points)
    return points @ checks.matrix("linear", "matrix", matrix)


def rotate(points: ArrayLike, theta: float) -> NDArray[np.float64]:
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
    points = checks.points("rotate", "points", points)
    checks.real("rotate", "theta", theta)
    return linear(points, rotation_matrix(theta))


def scale(points: ArrayLike, factors: ArrayLike) -> NDArray[np.float64]:
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
    points = checks.points("scale", "points", points)
    return linear(points, np.diag(checks.vector("scale", "factors", factors)))


def affine(points: ArrayLike, matrix: ArrayLike, bias: ArrayLike
           ) -> NDArray[np.float64]:
    """Apply an affine map to points as rows: ``points @ matrix + bias``.

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
    points = checks.points("affine", "points", points)
    matrix = checks.matrix("affine", "matrix", matrix)
    return points @ matrix + checks.vector("affine", "bias", bias)


def relu(points: ArrayLike) -> NDArray[np.float64]:
    """Apply relu to each coordinate: negative coordinates become 0.

    Relu is not linear. It projects the plane onto the quarter where both
    coordinates are non-negative: each point goes to the nearest point of
    that quarter, so a point left of the vertical axis is flattened onto
    it, one below the horizontal axis onto that axis, and one with both
    coordinates negative onto the origin. A straight segment that crosses
    an axis comes out bent where it crosses (see :func:`subdivide`).

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
    return np.maximum(checks.points("relu", "points", points), 0.0)


def compose_affine(W1: ArrayLike, b1: ArrayLike, W2: ArrayLike,
                   b2: ArrayLike
                   ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Collapse two affine maps, applied one after the other, into one.

    Applying ``p -> p @ W1 + b1`` and then ``q -> q @ W2 + b2`` gives
    ``(p @ W1 + b1) @ W2 + b2 = p @ (W1 @ W2) + (b1 @ W2 + b2)``: two
    stacked layers without activation are no more expressive than one.

    Introduced in section 2.3.5.

    Args:
        W1: the first matrix, shape ``(2, 2)``.
        b1: the first bias, shape ``(2,)``.
        W2: the second matrix, shape ``(2, 2)``.
        b2: the second bias, shape ``(2,)``.

    Returns:
        ``(W, b)`` with ``W = W1 @ W2`` and ``b = b1 @ W2 + b2``.

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
    W1, W2 = checks.matrix(fn, "W1", W1), checks.matrix(fn, "W2", W2)
    b1, b2 = checks.vector(fn, "b1", b1), checks.vector(fn, "b2", b2)
    return W1 @ W2, b1 @ W2 + b2


def subdivide(points: ArrayLike, pieces: int, closed: bool = True
              ) -> NDArray[np.float64]:
    """Cut every edge of an outline into ``pieces`` equal parts.

    Point ``k`` of edge ``i`` (from ``points[i]`` to the next point) is
    ``points[i] + (k / pieces) * (next - points[i])`` for ``k`` in
    ``0 .. pieces - 1``, so the result starts with ``points[0]`` and every
    original point reappears at a multiple of ``pieces``. An affine map
    sends this sampling of an edge to the same sampling of the image edge;
    a non-linear map such as :func:`relu` may bend an edge, and applying it
    to the dense sampling draws the bend.

    Introduced in section 2.3.5.

    Args:
        points: an outline, shape ``(n, 2)`` with ``n >= 1``.
        pieces: how many parts each edge is cut into, an integer >= 1.
        closed: if True, the edge from the last point back to the first is
            cut too; if False, the last point is appended as it is.

    Returns:
        A new float array of shape ``(n * pieces, 2)`` (closed) or
        ``((n - 1) * pieces + 1, 2)`` (open).

    Raises:
        TypeError: if ``points`` does not hold numbers or ``pieces`` is not
            an integer.
        ValueError: if ``points`` is empty or not of shape ``(n, 2)``, or
            ``pieces < 1``.

    Example:
        >>> subdivide([[0, 0], [2, 0]], 2, closed=False)
        array([[0., 0.],
               [1., 0.],
               [2., 0.]])
    """
    fn = "subdivide"
    points = checks.points(fn, "points", points)
    if len(points) == 0:
        raise ValueError(
            f"{fn}: points must hold at least one point. "
            f"Received: points.shape={points.shape}"
        )
    checks.integer(fn, "pieces", pieces, minimum=1)
    ends = np.roll(points, -1, axis=0) if closed else points[1:]
    starts = points if closed else points[:-1]
    steps = np.arange(pieces) / pieces  # (pieces,)
    # (edges, 1, 2) + (pieces, 1) * (edges, 1, 2) -> (edges, pieces, 2)
    dense = (starts[:, None, :]
             + steps[:, None] * (ends - starts)[:, None, :])
    dense = dense.reshape(-1, 2)
    return dense if closed else np.vstack([dense, points[-1:]])


def best_line_accuracy(points: ArrayLike, labels: ArrayLike,
                       directions: int = 720) -> float:
    """The best accuracy with which one straight line splits two classes.

    Each candidate line is perpendicular to one of ``directions`` equally
    spaced directions; along each direction every threshold between two
    projected points is tried, and the points on one side are called
    class 1. The answer is the largest fraction of points on their class's
    side: 1.0 when a line separates the classes, and at least the share of
    the larger class, which any line achieves by leaving every point on
    one side. Directions between the sampled ones are not tried, so the
    result can fall slightly short of the true optimum.

    Introduced in section 2.3.6.

    Args:
        points: an array of shape ``(n, 2)`` with ``n >= 1``.
        labels: the class of each point, ``n`` integers 0 or 1.
        directions: how many directions to try, an integer >= 1 (spread
            over a full turn, so both orientations of a line are tried).

    Returns:
        A Python float in ``[0.5, 1.0]``.

    Raises:
        TypeError: if an argument has the wrong type.
        ValueError: if ``points`` is empty or badly shaped, ``labels`` is
            not one 0 or 1 per point, or ``directions < 1``.

    Example:
        >>> xor = [[0, 0], [1, 1], [0, 1], [1, 0]]
        >>> best_line_accuracy(xor, [0, 0, 1, 1])
        0.75
    """
    fn = "best_line_accuracy"
    points = checks.points(fn, "points", points)
    labels = np.asarray(labels)
    if labels.dtype.kind not in "iub":
        raise TypeError(
            f"{fn}: labels must be integers. "
            f"Received: labels.dtype={labels.dtype}"
        )
    if len(points) == 0 or labels.shape != (len(points),):
        raise ValueError(
            f"{fn}: labels must hold one entry per point, and there must be "
            f"at least one point. Received: points.shape={points.shape}, "
            f"labels.shape={labels.shape}"
        )
    if not np.all((labels == 0) | (labels == 1)):
        raise ValueError(
            f"{fn}: labels must be 0 or 1. "
            f"Received: labels with values {np.unique(labels).tolist()}"
        )
    checks.integer(fn, "directions", directions, minimum=1)
    angles = 2 * np.pi * np.arange(directions) / directions
    normals = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    projected = points @ normals.T  # (n, directions)
    order = np.argsort(projected, axis=0, kind="stable")
    ones = labels.astype(int)[order]  # classes sorted along each direction
    n = len(points)
    # Threshold after the first k sorted points (k = 0 .. n): the first k
    # are called class 0, the others class 1.
    zeros_below = np.vstack([np.zeros((1, directions)),
                             np.cumsum(1 - ones, axis=0)])
    ones_below = np.vstack([np.zeros((1, directions)),
                            np.cumsum(ones, axis=0)])
    correct = zeros_below + (ones.sum(axis=0) - ones_below)
    # Ties: a threshold can only fall between two distinct projections.
    sorted_proj = np.take_along_axis(projected, order, axis=0)
    allowed = np.ones((n + 1, directions), dtype=bool)
    allowed[1:n] = np.diff(sorted_proj, axis=0) > 0
    return float(np.max(np.where(allowed, correct, 0)) / n)
