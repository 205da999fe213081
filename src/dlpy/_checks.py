"""The argument checks of every function a learner calls, in one place.

Each check raises ``TypeError`` (wrong kind of value) or ``ValueError``
(right kind, wrong value) with a message in the style of Keras: the
operation, the argument, what it must be, and what was received::

    naive_add: x and y must have the same shape. Received: x.shape=(2, 3),
    y.shape=(3, 2)

Modules import this one as ``checks`` (``from dlpy import _checks as
checks``), and the book's ``:teaching-core:`` listings leave out every
``checks.*`` call, so a listing shows the idea and the API reference the
whole function. The checks that return something return the argument
converted (an array, an ``int``).
"""

from __future__ import annotations

import math
import numbers
import os
import pathlib
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__: list[str] = []  # private: used by dlpy's own modules


def tensor(fn: str, name: str, value: object, ndim: int | None = None,
           min_ndim: int = 0, numeric: bool = True) -> NDArray[Any]:
    """``value`` itself, which must be a NumPy array (of integers or floats
    if ``numeric``) of rank ``ndim``, or at least ``min_ndim``."""
    if not isinstance(value, np.ndarray):
        raise TypeError(f"{fn}: {name} must be a NumPy array. "
                        f"Received: type({name})={type(value).__name__}")
    if numeric and value.dtype.kind not in "iuf":
        raise TypeError(
            f"{fn}: {name} must have an integer or floating-point dtype. "
            f"Received: {name}.dtype={value.dtype}")
    if ndim is not None and value.ndim != ndim:
        raise ValueError(f"{fn}: {name} must be a rank-{ndim} tensor. "
                         f"Received: {name}.shape={value.shape}")
    if value.ndim < min_ndim:
        raise ValueError(f"{fn}: {name} must have rank >= {min_ndim}. "
                         f"Received: {name}.shape={value.shape}")
    return value


def numbers_array(fn: str, name: str, value: object,
                  ndim: int | None = None) -> NDArray[Any]:
    """``np.asarray(value)``, which must hold integers or floats (a list,
    a NumPy or JAX array, a number), of rank ``ndim`` if given."""
    try:
        array = np.asarray(value)
    except ValueError:  # ragged nested lists
        array = np.asarray(value, dtype=object)
    if array.dtype.kind not in "iuf":
        raise TypeError(f"{fn}: {name} must hold integers or floats. "
                        f"Received: {name}.dtype={array.dtype}")
    if ndim is not None and array.ndim != ndim:
        raise ValueError(f"{fn}: {name} must have rank {ndim}. "
                         f"Received: {name}.shape={array.shape}")
    return array


def _float_shape(fn: str, name: str, value: object,
                 shape: tuple[int | None, ...]) -> NDArray[np.float64]:
    """Floats of ``shape``, where ``None`` is any length (``n``)."""
    array = numbers_array(fn, name, value).astype(float)
    if len(array.shape) != len(shape) or any(
            want is not None and got != want
            for got, want in zip(array.shape, shape)):
        text = ", ".join("n" if n is None else str(n) for n in shape)
        raise ValueError(f"{fn}: {name} must have shape ({text}"
                         f"{',' if len(shape) == 1 else ''}). "
                         f"Received: {name}.shape={array.shape}")
    return array


def points(fn: str, name: str, value: object) -> NDArray[np.float64]:
    """``n`` points of the plane, as floats of shape ``(n, 2)``."""
    return _float_shape(fn, name, value, (None, 2))


def vector(fn: str, name: str, value: object) -> NDArray[np.float64]:
    """A vector of the plane, as floats of shape ``(2,)``."""
    return _float_shape(fn, name, value, (2,))


def matrix(fn: str, name: str, value: object) -> NDArray[np.float64]:
    """A linear map of the plane, as floats of shape ``(2, 2)``."""
    return _float_shape(fn, name, value, (2, 2))


def image(fn: str, name: str, value: object) -> NDArray[Any]:
    """A greyscale image: numbers of shape ``(height, width)``."""
    array = numbers_array(fn, name, value)
    if array.ndim != 2:
        raise ValueError(f"{fn}: {name} must be a rank-2 array (height, "
                         f"width). Received: {name}.shape={array.shape}")
    return array


def same_shape(fn: str, **arrays: NDArray[Any]) -> None:
    """The named arrays all have one shape."""
    if len({array.shape for array in arrays.values()}) > 1:
        *others, last = arrays
        received = ", ".join(f"{name}.shape={array.shape}"
                             for name, array in arrays.items())
        raise ValueError(f"{fn}: {', '.join(others)} and {last} must have "
                         f"the same shape. Received: {received}")


def same_shape_tensors(fn: str, x: object, y: object, ndim: int) -> None:
    """``x`` and ``y`` are numeric NumPy arrays of rank ``ndim`` and of
    one shape."""
    same_shape(fn, x=tensor(fn, "x", x, ndim), y=tensor(fn, "y", y, ndim))


def matmul_operands(fn: str, x: object, y: object, y_ndim: int) -> None:
    """``x`` is a numeric matrix and ``y`` a numeric array of rank
    ``y_ndim`` with ``x.shape[1] == y.shape[0]``, so ``x @ y`` is defined."""
    x, y = tensor(fn, "x", x, 2), tensor(fn, "y", y, y_ndim)
    if x.shape[1] != y.shape[0]:
        raise ValueError(f"{fn}: x.shape[1] must equal y.shape[0]. "
                         f"Received: x.shape={x.shape}, y.shape={y.shape}")


def broadcastable(fn: str, x: object, y: object) -> None:
    """``x`` and ``y`` are numeric NumPy arrays that broadcast to one
    shape."""
    x, y = tensor(fn, "x", x), tensor(fn, "y", y)
    try:
        np.broadcast_shapes(x.shape, y.shape)
    except ValueError:
        raise ValueError(
            f"{fn}: x and y cannot be broadcast to one shape. "
            f"Received: x.shape={x.shape}, y.shape={y.shape}") from None


def shape(fn: str, value: object) -> tuple[int, ...]:
    """A tensor shape (a single integer is a rank-1 shape) as a tuple of
    non-negative ints."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = (value,)
    if (not isinstance(value, Sequence) or isinstance(value, str)
            or not all(isinstance(n, numbers.Integral)
                       and not isinstance(n, bool) for n in value)):
        raise TypeError(f"{fn}: shape must be a tuple of integers. "
                        f"Received: shape={value!r}")
    if any(n < 0 for n in value):
        raise ValueError(f"{fn}: shape must not have negative entries. "
                         f"Received: shape={value!r}")
    return tuple(int(n) for n in value)


def integer(fn: str, name: str, value: object, minimum: int | None = None
            ) -> int:
    """``value`` as an ``int``; it must be an integer (not a bool), at
    least ``minimum`` if given."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{fn}: {name} must be an integer. "
            f"Received: {name}={value!r} (type {type(value).__name__})")
    if minimum is not None and value < minimum:
        raise ValueError(f"{fn}: {name} must be >= {minimum}. "
                         f"Received: {name}={value!r}")
    return int(value)


def real(fn: str, name: str, value: object) -> float:
    """``value`` as a ``float``; it must be a real number (not a bool)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{fn}: {name} must be a real number. "
            f"Received: {name}={value!r} (type {type(value).__name__})")
    return float(value)


def learning_rate(fn: str, value: object) -> float:
    """A step size: a positive, finite real number."""
    rate = real(fn, "learning_rate", value)
    if not 0 < rate < math.inf:
        raise ValueError(
            f"{fn}: learning_rate must be a positive finite number. "
            f"Received: learning_rate={value!r}")
    return rate


def momentum(fn: str, value: object) -> float:
    """A momentum: a real number in ``[0, 1)``."""
    kept = real(fn, "momentum", value)
    if not 0 <= kept < 1:
        raise ValueError(f"{fn}: momentum must be in the range [0, 1). "
                         f"Received: momentum={value!r}")
    return kept


def directory(fn: str, name: str, value: object) -> pathlib.Path:
    """A directory named by a non-empty ``str`` or ``os.PathLike``, with
    ``~`` expanded (``None``, the default, is the caller's to handle)."""
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(
            f"{fn}: {name} must be a str, an os.PathLike or None. Received: "
            f"{name}={value!r} (of type {type(value).__name__})")
    path = os.fspath(value)
    if not isinstance(path, str) or not path:
        raise ValueError(f"{fn}: {name} must name a directory. "
                         f"Received: {name}={path!r}")
    return pathlib.Path(path).expanduser()


def function(fn: str, name: str, value: object) -> None:
    """``value`` is callable."""
    if not callable(value):
        raise TypeError(f"{fn}: {name} must be callable. "
                        f"Received: type({name})={type(value).__name__}")


def rng(fn: str, value: object, optional: bool = False) -> None:
    """``value`` is a ``np.random.Generator`` (or ``None`` if optional)."""
    if not (isinstance(value, np.random.Generator)
            or (optional and value is None)):
        raise TypeError(
            f"{fn}: rng must be a np.random.Generator, e.g. "
            f"np.random.default_rng(0){' or None' if optional else ''}. "
            f"Received: rng={value!r}")


def one_of(fn: str, name: str, value: object, options: Sequence[object]
           ) -> int:
    """The position of ``value`` in ``options``; it must be one of them."""
    if value not in options:
        raise ValueError(f"{fn}: {name} must be one of {tuple(options)}. "
                         f"Received: {name}={value!r}")
    return list(options).index(value)


def dense(fn: str, x: object, W: object, b: object, grad_y: object
          ) -> list[NDArray[np.floating[Any]]]:
    """A layer's input ``x`` (batch, features), kernel ``W`` (features,
    units), bias ``b`` (units,) and output gradient ``grad_y`` (batch,
    units), as float arrays (float32 stays float32)."""
    arrays = [numbers_array(fn, name, value, ndim) for name, value, ndim in
              (("x", x, 2), ("W", W, 2), ("b", b, 1), ("grad_y", grad_y, 2))]
    x, W, b, grad_y = (a.astype(np.result_type(a, np.float32))
                       for a in arrays)
    if not (x.shape[1] == W.shape[0] and b.shape[0] == W.shape[1]
            and grad_y.shape == (x.shape[0], W.shape[1])):
        raise ValueError(
            f"{fn}: expected x (batch, features), W (features, units), "
            "b (units,) and grad_y (batch, units). Received: "
            f"x.shape={x.shape}, W.shape={W.shape}, b.shape={b.shape}, "
            f"grad_y.shape={grad_y.shape}")
    return [x, W, b, grad_y]
