"""Tensor operations written as plain Python loops, to read rather than run.

Each function here does by hand what one NumPy call does in compiled code:
it spells out, element by element, what "element-wise", "broadcasting" and
"tensor product" mean. They are slow on purpose; the book times them
against NumPy.

The functions never modify their inputs: they write into a new array, in
the dtype NumPy would give the result. They accept NumPy
arrays of integer or floating-point dtype and return the same values and
the same dtype as the matching NumPy operation. Two caveats of plain
Python arithmetic on NumPy scalars: integer overflow warns instead of
wrapping silently, and ``naive_maximum`` follows Python's ``max``, so a
NaN in ``y`` is not propagated as ``np.maximum`` would.

Introduced in section 2.3 (tensor operations).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlpy import _checks as checks

__all__ = [
    "naive_add",
    "naive_add_matrix_and_vector",
    "naive_matrix_product",
    "naive_matrix_vector_product",
    "naive_matrix_vector_product_via_dot",
    "naive_maximum",
    "naive_multiply",
    "naive_relu",
    "naive_subtract",
    "naive_vector_product",
]


def _source_index(index: tuple[int, ...], shape: tuple[int, ...]
                  ) -> tuple[int, ...]:
    """Map an index of a broadcast result to the input of shape ``shape``.

    The input's axes line up with the result's last axes; an axis of
    length 1 is repeated, so it is always read at position 0.
    """
    offset = len(index) - len(shape)  # the result's extra leading axes
    return tuple(0 if length == 1 else index[offset + axis]
                 for axis, length in enumerate(shape))


# --- Element-wise operations (section 2.3.1) -------------------------------


def naive_relu(x: np.ndarray) -> np.ndarray:
    """Apply relu, ``max(x, 0)``, to each entry of a matrix.

    Introduced in section 2.3.1.

    Args:
        x: a rank-2 NumPy array of integers or floats.

    Returns:
        A new array of ``x``'s shape and dtype, equal to
        ``np.maximum(x, 0)``.

    Raises:
        TypeError: if ``x`` is not a numeric NumPy array.
        ValueError: if ``x`` is not rank 2.

    Example:
        >>> naive_relu(np.array([[1.0, -2.0], [-3.0, 4.0]]))
        array([[1., 0.],
               [0., 4.]])
    """
    checks.tensor("naive_relu", "x", x, ndim=2)
    rows, cols = x.shape
    out = np.empty_like(x)  # a new array: x itself is left alone
    for r in range(rows):
        for c in range(cols):
            out[r, c] = max(x[r, c], 0)
    return out


def naive_add(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Add two matrices of the same shape, entry by entry.

    Introduced in section 2.3.1.

    Args:
        x: a rank-2 NumPy array of integers or floats.
        y: an array of the same shape as ``x``.

    Returns:
        A new array equal to ``x + y``, in NumPy's result dtype.

    Raises:
        TypeError: if ``x`` or ``y`` is not a numeric NumPy array.
        ValueError: if they are not rank 2 or their shapes differ.

    Example:
        >>> naive_add(np.array([[1, 2], [3, 4]]),
        ...           np.array([[10, 20], [30, 40]]))
        array([[11, 22],
               [33, 44]])
    """
    checks.same_shape_tensors("naive_add", x, y, ndim=2)
    rows, cols = x.shape
    # The result's dtype: an integer plus a float matrix gives floats.
    out = np.empty((rows, cols), dtype=np.result_type(x, y))
    for r in range(rows):
        for c in range(cols):
            out[r, c] = x[r, c] + y[r, c]
    return out


def naive_subtract(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Subtract a matrix from another of the same shape, entry by entry.

    Introduced in section 2.3.1.

    Args:
        x: a rank-2 NumPy array of integers or floats.
        y: an array of the same shape as ``x``.

    Returns:
        A new array equal to ``x - y``, in NumPy's result dtype.

    Raises:
        TypeError: if ``x`` or ``y`` is not a numeric NumPy array.
        ValueError: if they are not rank 2 or their shapes differ.

    Example:
        >>> naive_subtract(np.array([[5, 5]]), np.array([[1, 7]]))
        array([[ 4, -2]])
    """
    checks.same_shape_tensors("naive_subtract", x, y, ndim=2)
    rows, cols = x.shape
    out = np.empty((rows, cols), dtype=np.result_type(x, y))
    for r in range(rows):
        for c in range(cols):
            out[r, c] = x[r, c] - y[r, c]
    return out


def naive_multiply(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Multiply two matrices of the same shape, entry by entry.

    Introduced in section 2.3.1.

    Args:
        x: a rank-2 NumPy array of integers or floats.
        y: an array of the same shape as ``x``.

    Returns:
        A new array equal to ``x * y``, in NumPy's result dtype.

    Raises:
        TypeError: if ``x`` or ``y`` is not a numeric NumPy array.
        ValueError: if they are not rank 2 or their shapes differ.

    Example:
        >>> naive_multiply(np.array([[1.0, 2.0]]), np.array([[3.0, -1.0]]))
        array([[ 3., -2.]])
    """
    checks.same_shape_tensors("naive_multiply", x, y, ndim=2)
    rows, cols = x.shape
    out = np.empty((rows, cols), dtype=np.result_type(x, y))
    for r in range(rows):
        for c in range(cols):
            out[r, c] = x[r, c] * y[r, c]
    return out


# --- Broadcasting (section 2.3.2) ------------------------------------------


def naive_add_matrix_and_vector(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Add a vector to every row of a matrix, as broadcasting does.

    Introduced in section 2.3.2.

    Args:
        x: a rank-2 NumPy array of shape ``(m, n)``.
        y: a rank-1 NumPy array of shape ``(n,)``.

    Returns:
        A new ``(m, n)`` array equal to ``x + y``, in NumPy's result dtype.

    Raises:
        TypeError: if ``x`` or ``y`` is not a numeric NumPy array.
        ValueError: if the ranks are wrong or ``x.shape[1] != y.shape[0]``.

    Example:
        >>> naive_add_matrix_and_vector(np.zeros((2, 3)),
        ...                             np.array([1.0, 2.0, 3.0]))
        array([[1., 2., 3.],
               [1., 2., 3.]])
    """
    checks.matmul_operands("naive_add_matrix_and_vector", x, y, y_ndim=1)
    rows, cols = x.shape
    out = np.empty((rows, cols), dtype=np.result_type(x, y))
    for r in range(rows):
        for c in range(cols):
            out[r, c] = x[r, c] + y[c]  # the same y[c] for every row r
    return out


def naive_maximum(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Take the larger of ``x`` and ``y`` entry by entry, with broadcasting.

    Each index of the result is mapped back to an index of each input: the
    input's axes line up with the result's last axes, and an axis of length
    1 is read at position 0 whatever the result's index.

    Introduced in section 2.3.2.

    Args:
        x: a NumPy array of integers or floats, of any rank.
        y: a NumPy array whose shape broadcasts with ``x.shape``.

    Returns:
        A new array equal to ``np.maximum(x, y)`` (for inputs without NaN),
        of the broadcast shape and NumPy's result dtype (a rank-0 array
        where NumPy gives a scalar).

    Raises:
        TypeError: if ``x`` or ``y`` is not a numeric NumPy array.
        ValueError: if the shapes cannot be broadcast together.

    Example:
        >>> naive_maximum(np.array([[1, 5], [7, 2]]), np.array([3, 4]))
        array([[3, 5],
               [7, 4]])
    """
    checks.broadcastable("naive_maximum", x, y)
    out = np.empty(np.broadcast_shapes(x.shape, y.shape),
                   dtype=np.result_type(x, y))
    for where in np.ndindex(out.shape):  # every index of the result
        out[where] = max(x[_source_index(where, x.shape)],
                         y[_source_index(where, y.shape)])
    return out


# --- Tensor product (section 2.3.3) ----------------------------------------


def naive_vector_product(x: np.ndarray, y: np.ndarray) -> Any:
    """Compute the dot product of two vectors: the sum of ``x[k] * y[k]``.

    Introduced in section 2.3.3.

    Args:
        x: a rank-1 NumPy array of integers or floats.
        y: a rank-1 array of the same length.

    Returns:
        A NumPy scalar equal to ``np.dot(x, y)``, of NumPy's result dtype
        (zero for empty vectors).

    Raises:
        TypeError: if ``x`` or ``y`` is not a numeric NumPy array.
        ValueError: if they are not rank 1 or their lengths differ.

    Example:
        >>> naive_vector_product(np.array([1.0, 2.0, 3.0]),
        ...                      np.array([4.0, 5.0, 6.0]))
        np.float64(32.0)
    """
    checks.same_shape_tensors("naive_vector_product", x, y, ndim=1)
    total = np.result_type(x, y).type(0)
    for k in range(len(x)):  # k runs along the axis that is summed away
        total += x[k] * y[k]
    return total


def naive_matrix_vector_product(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Multiply a matrix by a vector with two nested loops.

    Entry ``r`` of the result is row ``r`` of ``x`` dotted with ``y``: in a
    layer, one unit's weights ``y`` applied to every sample of a batch.

    Introduced in section 2.3.3.

    Args:
        x: a rank-2 NumPy array of shape ``(m, n)``.
        y: a rank-1 NumPy array of shape ``(n,)``.

    Returns:
        A new ``(m,)`` array equal to ``x @ y``, in NumPy's result dtype.

    Raises:
        TypeError: if ``x`` or ``y`` is not a numeric NumPy array.
        ValueError: if the ranks are wrong or ``x.shape[1] != y.shape[0]``.

    Example:
        >>> naive_matrix_vector_product(np.array([[1, 2], [3, 4]]),
        ...                             np.array([1, 1]))
        array([3, 7])
    """
    checks.matmul_operands("naive_matrix_vector_product", x, y, y_ndim=1)
    rows, inner = x.shape
    out = np.zeros(rows, dtype=np.result_type(x, y))
    for r in range(rows):
        for k in range(inner):
            out[r] += x[r, k] * y[k]
    return out


def naive_matrix_vector_product_via_dot(
    x: np.ndarray, y: np.ndarray
) -> np.ndarray:
    """Multiply a matrix by a vector: one dot product per row of the matrix.

    The same result as :func:`naive_matrix_vector_product`, written with
    :func:`naive_vector_product` to show that entry ``r`` of the result is
    the dot product of row ``r`` of ``x`` with ``y``.

    Introduced in section 2.3.3. Arguments, result and errors: as for
    :func:`naive_matrix_vector_product`.

    Example:
        >>> naive_matrix_vector_product_via_dot(np.array([[1, 2], [3, 4]]),
        ...                                     np.array([1, 1]))
        array([3, 7])
    """
    checks.matmul_operands("naive_matrix_vector_product_via_dot", x, y,
                           y_ndim=1)
    out = np.zeros(x.shape[0], dtype=np.result_type(x, y))
    for r in range(x.shape[0]):
        out[r] = naive_vector_product(x[r, :], y)  # row r with y
    return out


def naive_matrix_product(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Multiply two matrices: entry ``(r, c)`` is row ``r`` dot column ``c``.

    Introduced in section 2.3.3.

    Args:
        x: a rank-2 NumPy array of shape ``(m, n)``.
        y: a rank-2 NumPy array of shape ``(n, p)``.

    Returns:
        A new ``(m, p)`` array equal to ``x @ y``, in NumPy's result dtype.

    Raises:
        TypeError: if ``x`` or ``y`` is not a numeric NumPy array.
        ValueError: if the ranks are wrong or ``x.shape[1] != y.shape[0]``.

    Example:
        >>> naive_matrix_product(np.array([[1, 2], [3, 4]]),
        ...                      np.array([[0, 1], [1, 0]]))
        array([[2, 1],
               [4, 3]])
    """
    checks.matmul_operands("naive_matrix_product", x, y, y_ndim=2)
    rows, cols = x.shape[0], y.shape[1]
    out = np.zeros((rows, cols), dtype=np.result_type(x, y))
    for r in range(rows):
        for c in range(cols):
            out[r, c] = naive_vector_product(x[r, :], y[:, c])
    return out
