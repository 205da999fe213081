"""Describing, slicing and batching tensors, and measuring their size.

Introduced in section 2.2 (data representations: tensors).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import DTypeLike, NDArray

from dlpy import _checks as checks

__all__ = [
    "TensorInfo",
    "crop_bottom_right",
    "crop_center",
    "describe",
    "format_bytes",
    "get_batch",
    "iter_batches",
    "nbytes",
    "num_values",
]

_DECIMAL_UNITS = ("B", "kB", "MB", "GB", "TB", "PB", "EB")


class TensorInfo(NamedTuple):
    """The three key attributes of a tensor: rank, shape and dtype.

    Introduced in section 2.2.

    Example:
        >>> print(TensorInfo(3, (60000, 28, 28), np.dtype("uint8")))
        ndim=3, shape=(60000, 28, 28), dtype=uint8
    """

    ndim: int
    shape: tuple[int, ...]
    dtype: np.dtype[Any]

    def __str__(self) -> str:
        return f"ndim={self.ndim}, shape={self.shape}, dtype={self.dtype}"


# --- Describing a tensor ----------------------------------------------------


def describe(x: Any) -> TensorInfo:
    """Return the rank, shape and dtype of a tensor.

    Works for NumPy arrays and for any array object that has ``ndim``,
    ``shape`` and ``dtype`` attributes (JAX arrays, Keras tensors).

    Introduced in section 2.2.

    Args:
        x: the tensor to describe.

    Returns:
        A :class:`TensorInfo`; its ``str`` reads like
        ``"ndim=3, shape=(60000, 28, 28), dtype=uint8"``.

    Raises:
        TypeError: if ``x`` has no ``ndim``, ``shape`` and ``dtype``.

    Example:
        >>> print(describe(np.zeros((60000, 28, 28), dtype="uint8")))
        ndim=3, shape=(60000, 28, 28), dtype=uint8
    """
    if not all(hasattr(x, name) for name in ("ndim", "shape", "dtype")):
        raise TypeError(
            "describe: x must be an array with ndim, shape and dtype. "
            f"Received: type(x)={type(x).__name__}"
        )
    shape = tuple(int(n) for n in x.shape)
    return TensorInfo(int(x.ndim), shape, np.dtype(x.dtype))


def num_values(shape: Sequence[int] | int) -> int:
    """Return how many values a tensor of this shape holds.

    Introduced in section 2.2.

    Args:
        shape: a tuple of non-negative integers (or a single integer).

    Returns:
        The product of the axis lengths (1 for the shape ``()``).

    Raises:
        TypeError: if ``shape`` is not a sequence of integers.
        ValueError: if an axis length is negative.

    Example:
        >>> num_values((4, 240, 144, 256, 3))
        106168320
    """
    return math.prod(checks.shape("num_values", shape))


def nbytes(shape: Sequence[int] | int, dtype: DTypeLike = "float32") -> int:
    """Return how many bytes a tensor of this shape and dtype occupies.

    Introduced in section 2.2.

    Args:
        shape: a tuple of non-negative integers (or a single integer).
        dtype: anything ``np.dtype`` accepts, such as ``"float32"``.

    Returns:
        ``num_values(shape)`` times the size of one value, in bytes.

    Raises:
        TypeError: if ``shape`` is not a sequence of integers or ``dtype``
            is not a dtype.
        ValueError: if an axis length is negative.

    Example:
        >>> nbytes((4, 240, 144, 256, 3))  # four short video clips
        424673280
    """
    shape = checks.shape("nbytes", shape)
    try:
        itemsize = np.dtype(dtype).itemsize
    except TypeError:
        raise TypeError(
            f"nbytes: dtype must be a NumPy dtype. Received: dtype={dtype!r}"
        ) from None
    return math.prod(shape) * itemsize


def format_bytes(n: int) -> str:
    """Write a number of bytes with a decimal unit, to three digits.

    Decimal units: 1 kB = 1,000 bytes, 1 MB = 1,000,000 bytes, and so on.

    Introduced in section 2.2.

    Args:
        n: a non-negative integer number of bytes.

    Returns:
        A string such as ``"425 MB"``, ``"1.5 kB"`` or ``"12 B"``.

    Raises:
        TypeError: if ``n`` is not an integer.
        ValueError: if ``n`` is negative.

    Example:
        >>> format_bytes(424_673_280)
        '425 MB'
    """
    checks.integer("format_bytes", "n", n, minimum=0)
    value, unit = float(n), 0
    # Move up a unit while the value, rounded to 3 digits, reaches 1000.
    while unit < len(_DECIMAL_UNITS) - 1 and float(f"{value:.3g}") >= 1000:
        value /= 1000
        unit += 1
    if unit == 0:
        return f"{int(n)} B"
    return f"{value:.3g} {_DECIMAL_UNITS[unit]}"


# --- Batches ----------------------------------------------------------------


def iter_batches(x: NDArray[Any], batch_size: int) -> Iterator[NDArray[Any]]:
    """Yield consecutive batches of ``x`` along its first axis.

    The first axis is the samples (batch) axis. Every batch holds
    ``batch_size`` samples except the last, which holds what is left.
    The batches are views of ``x``, not copies.

    Introduced in section 2.2.

    Args:
        x: a NumPy array with at least one axis.
        batch_size: a positive integer.

    Returns:
        An iterator over ``x[0:batch_size]``,
        ``x[batch_size:2 * batch_size]``, and so on.

    Raises:
        TypeError: if ``x`` is not a NumPy array or ``batch_size`` is not
            an integer.
        ValueError: if ``x`` is rank 0 or ``batch_size < 1``.

    Example:
        >>> [batch.tolist() for batch in iter_batches(np.arange(5), 2)]
        [[0, 1], [2, 3], [4]]
    """
    # Checked here, not inside a generator, so bad input fails at once.
    checks.tensor("iter_batches", "x", x, min_ndim=1, numeric=False)
    checks.integer("iter_batches", "batch_size", batch_size, minimum=1)
    starts = range(0, x.shape[0], batch_size)
    return (x[start:start + batch_size] for start in starts)


def get_batch(x: NDArray[Any], n: int, batch_size: int) -> NDArray[Any]:
    """Return batch number ``n`` of ``x`` (counting from 0).

    Introduced in section 2.2.

    Args:
        x: a NumPy array with at least one axis (samples first).
        n: the batch index, from 0 to ``ceil(len(x) / batch_size) - 1``.
        batch_size: a positive integer.

    Returns:
        The view ``x[batch_size * n:batch_size * (n + 1)]``; the last batch
        may be shorter.

    Raises:
        TypeError: if ``x`` is not a NumPy array or ``n``/``batch_size``
            is not an integer.
        ValueError: if ``batch_size < 1`` or batch ``n`` does not exist.

    Example:
        >>> get_batch(np.arange(10), 1, 4)
        array([4, 5, 6, 7])
    """
    checks.tensor("get_batch", "x", x, min_ndim=1, numeric=False)
    checks.integer("get_batch", "batch_size", batch_size, minimum=1)
    checks.integer("get_batch", "n", n, minimum=0)
    num_batches = math.ceil(x.shape[0] / batch_size)
    if n >= num_batches:
        raise ValueError(
            f"get_batch: n must be < {num_batches}, the number of batches "
            f"of size {batch_size} in {x.shape[0]} samples. Received: n={n}"
        )
    return x[batch_size * n:batch_size * (n + 1)]


# --- Slicing images ---------------------------------------------------------


def crop_bottom_right(images: NDArray[Any], size: int) -> NDArray[Any]:
    """Select the bottom-right ``size`` x ``size`` corner of every image.

    Introduced in section 2.2.

    Args:
        images: an array of shape ``(samples, height, width, ...)``.
        size: the side of the square corner, in pixels.

    Returns:
        A view of ``images``; for 28 x 28 images and ``size=14`` it is
        ``images[:, 14:, 14:]``.

    Raises:
        TypeError: if ``images`` is not a NumPy array or ``size`` is not an
            integer.
        ValueError: if ``images`` has fewer than 3 axes or ``size`` does
            not fit in an image.

    Example:
        >>> crop_bottom_right(np.zeros((5, 28, 28)), 14).shape
        (5, 14, 14)
    """
    checks.crop_size("crop_bottom_right", images, size)
    height, width = images.shape[1], images.shape[2]
    return images[:, height - size:, width - size:]


def crop_center(images: NDArray[Any], size: int) -> NDArray[Any]:
    """Select a centred ``size`` x ``size`` patch of every image.

    When the margin cannot be split evenly, the extra pixel is left at the
    bottom (or right).

    Introduced in section 2.2.

    Args:
        images: an array of shape ``(samples, height, width, ...)``.
        size: the side of the square patch, in pixels.

    Returns:
        A view of ``images``; for 28 x 28 images and ``size=14`` it is
        ``images[:, 7:-7, 7:-7]``.

    Raises:
        TypeError: if ``images`` is not a NumPy array or ``size`` is not an
            integer.
        ValueError: if ``images`` has fewer than 3 axes or ``size`` does
            not fit in an image.

    Example:
        >>> crop_center(np.zeros((5, 28, 28)), 14).shape
        (5, 14, 14)
    """
    checks.crop_size("crop_center", images, size)
    top = (images.shape[1] - size) // 2
    left = (images.shape[2] - size) // 2
    return images[:, top:top + size, left:left + size]
