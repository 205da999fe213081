"""Describing and batching tensors, and measuring their size.

Introduced in section 2.2 (data representations: tensors).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import DTypeLike, NDArray

from dlpy import _checks as checks

__all__ = [
    "TensorInfo",
    "batch_indices",
    "describe",
    "format_bytes",
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
        >>> num_values((3, 60, 240, 320, 3))  # three doorbell clips
        41472000
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
        >>> nbytes((3, 60, 240, 320, 3))  # three doorbell clips
        165888000
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
        A string such as ``"166 MB"``, ``"1.5 kB"`` or ``"12 B"``.

    Raises:
        TypeError: if ``n`` is not an integer.
        ValueError: if ``n`` is negative.

    Example:
        >>> format_bytes(165_888_000)
        '166 MB'
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


def batch_indices(num_samples: int, batch_size: int,
                  rng: np.random.Generator | None = None
                  ) -> list[NDArray[np.intp]]:
    """Split the sample numbers ``0, ..., num_samples - 1`` into batches.

    One call cuts one epoch. With a random generator ``rng`` the sample
    numbers are shuffled first, so every call (every epoch) draws new
    batches, as Keras's ``fit`` does by default; with ``rng=None`` they
    keep their stored order (enough to predict or evaluate). Every sample
    number appears in exactly one batch; the last batch holds what is left.
    Index a data tensor with a batch, ``x[batch]``, to get its samples:
    indexing with an array of positions copies them, unlike a slice.

    Introduced in section 2.2.

    Args:
        num_samples: how many samples the data set holds (its first axis).
        batch_size: a positive integer.
        rng: a ``np.random.Generator``, e.g. ``np.random.default_rng(0)``,
            or ``None`` for the stored order.

    Returns:
        A list of integer arrays, each of ``batch_size`` sample numbers
        except the last, which may be shorter.

    Raises:
        TypeError: if ``num_samples`` or ``batch_size`` is not an integer,
            or ``rng`` is neither a ``np.random.Generator`` nor ``None``.
        ValueError: if ``num_samples < 0`` or ``batch_size < 1``.

    Example:
        >>> [b.tolist() for b in batch_indices(5, 2)]
        [[0, 1], [2, 3], [4]]
        >>> shuffled = batch_indices(5, 2, np.random.default_rng(1))
        >>> sorted(np.concatenate(shuffled).tolist())
        [0, 1, 2, 3, 4]
    """
    checks.integer("batch_indices", "num_samples", num_samples, minimum=0)
    checks.integer("batch_indices", "batch_size", batch_size, minimum=1)
    checks.rng("batch_indices", rng, optional=True)
    if rng is None:
        order = np.arange(num_samples)  # the stored order
    else:
        order = rng.permutation(num_samples)  # new at every call
    return [order[start:start + batch_size]
            for start in range(0, num_samples, batch_size)]
