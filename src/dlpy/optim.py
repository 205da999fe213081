"""Gradient descent update rules: plain SGD and SGD with momentum.

The rules match ``keras.optimizers.SGD`` update for update, so the book can
show them as a few lines of NumPy and still be exact.

Introduced in section 2.4.3 (stochastic gradient descent).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable

import numpy as np

__all__ = ["descend", "momentum_step", "sgd_step"]


# --- Input checks -----------------------------------------------------------


def _check_learning_rate(fn: str, learning_rate) -> None:
    _check_real(fn, "learning_rate", learning_rate)
    if not (0 < learning_rate < math.inf):
        raise ValueError(
            f"{fn}: learning_rate must be a positive finite number. "
            f"Received: learning_rate={learning_rate!r}"
        )


def _check_momentum(fn: str, momentum) -> None:
    _check_real(fn, "momentum", momentum)
    if not (0 <= momentum < 1):
        raise ValueError(
            f"{fn}: momentum must be in the range [0, 1). "
            f"Received: momentum={momentum!r}"
        )


def _check_real(fn: str, name: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{fn}: {name} must be a real number. "
            f"Received: {name}={value!r} (type {type(value).__name__})"
        )


def _check_arrays(fn: str, **arrays) -> list[np.ndarray]:
    """Convert the named arguments to arrays and check they share a shape.

    Named ``_check_*`` so that the book's ``:teaching-core:`` listings leave
    the call out, with the other checks.
    """
    converted = {}
    for name, value in arrays.items():
        array = np.asarray(value)
        if array.dtype.kind not in "iuf":
            raise TypeError(
                f"{fn}: {name} must hold integers or floats. "
                f"Received: {name}.dtype={array.dtype}"
            )
        converted[name] = array
    shapes = {array.shape for array in converted.values()}
    if len(shapes) > 1:
        received = ", ".join(
            f"{name}.shape={array.shape}" for name, array in converted.items()
        )
        *others, last = converted
        raise ValueError(
            f"{fn}: {', '.join(others)} and {last} must have the same shape. "
            f"Received: {received}"
        )
    return list(converted.values())


# --- Update rules -----------------------------------------------------------


def sgd_step(w, g, learning_rate: float) -> np.ndarray:
    """Take one step of gradient descent: ``w - learning_rate * g``.

    Introduced in section 2.4.3.

    Args:
        w: the current weights (an array or a number).
        g: the gradient of the loss with respect to ``w``, same shape.
        learning_rate: the step size, a positive number.

    Returns:
        The new weights, a new array (``w`` is not modified).

    Raises:
        TypeError: if an argument has the wrong type.
        ValueError: if shapes differ or ``learning_rate <= 0``.

    Example:
        >>> sgd_step(np.array([1.0, 2.0]), np.array([0.5, -1.0]), 0.1)
        array([0.95, 2.1 ])
    """
    w, g = _check_arrays("sgd_step", w=w, g=g)
    _check_learning_rate("sgd_step", learning_rate)
    return w - learning_rate * g


def momentum_step(
    w, velocity, g, learning_rate: float, momentum: float
) -> tuple[np.ndarray, np.ndarray]:
    """Take one step of gradient descent with momentum, as Keras's SGD does.

    The velocity is a running sum of past steps, each shrunk by
    ``momentum`` at every step, like a ball that keeps rolling downhill::

        velocity = momentum * velocity - learning_rate * g
        w = w + velocity

    With ``momentum=0`` this is plain :func:`sgd_step`. Start with
    ``velocity = np.zeros_like(w)``.

    Introduced in section 2.4.3.

    Args:
        w: the current weights (an array or a number).
        velocity: the velocity from the previous step, same shape as ``w``.
        g: the gradient of the loss with respect to ``w``, same shape.
        learning_rate: the step size, a positive number.
        momentum: how much of the previous velocity is kept, in [0, 1).

    Returns:
        ``(new_w, new_velocity)``, two new arrays.

    Raises:
        TypeError: if an argument has the wrong type.
        ValueError: if shapes differ, ``learning_rate <= 0`` or
            ``momentum`` is outside [0, 1).

    Example:
        >>> w, velocity = np.array([1.0]), np.array([0.0])
        >>> for _ in range(2):
        ...     w, velocity = momentum_step(w, velocity, np.array([1.0]),
        ...                                 learning_rate=0.1, momentum=0.9)
        >>> w, velocity
        (array([0.71]), array([-0.19]))
    """
    w, velocity, g = _check_arrays("momentum_step", w=w, velocity=velocity,
                                   g=g)
    _check_learning_rate("momentum_step", learning_rate)
    _check_momentum("momentum_step", momentum)
    velocity = momentum * velocity - learning_rate * g
    w = w + velocity
    return w, velocity


def descend(
    grad_fn: Callable[[np.ndarray], np.ndarray],
    x0,
    learning_rate: float,
    steps: int,
    momentum: float = 0.0,
) -> np.ndarray:
    """Run gradient descent from ``x0`` and return every point visited.

    Each step applies :func:`momentum_step` (plain SGD when ``momentum``
    is 0) to the gradient ``grad_fn(x)`` at the current point. Used for
    the 1D and 2D descent figures.

    Introduced in section 2.4.3.

    Args:
        grad_fn: a function returning the gradient at a point, with the
            point's shape.
        x0: the starting point (a number or an array).
        learning_rate: the step size, a positive number.
        steps: how many steps to take, an integer >= 0.
        momentum: how much of the previous velocity is kept, in [0, 1).

    Returns:
        A float array of shape ``(steps + 1, *np.shape(x0))``: ``x0`` and
        then the point after each step.

    Raises:
        TypeError: if ``grad_fn`` is not callable or another argument has
            the wrong type.
        ValueError: if ``learning_rate``, ``steps`` or ``momentum`` is out
            of range, or a gradient does not have the point's shape.

    Example:
        >>> descend(lambda x: 2 * x, 1.0, learning_rate=0.25, steps=3)
        array([1.   , 0.5  , 0.25 , 0.125])
    """
    fn = "descend"  # the name used in error messages
    if not callable(grad_fn):
        raise TypeError(
            f"{fn}: grad_fn must be callable. "
            f"Received: type(grad_fn)={type(grad_fn).__name__}"
        )
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral):
        raise TypeError(
            f"{fn}: steps must be an integer. Received: steps={steps!r}"
        )
    if steps < 0:
        raise ValueError(f"{fn}: steps must be >= 0. Received: steps={steps}")
    _check_learning_rate(fn, learning_rate)
    _check_momentum(fn, momentum)
    (x,) = _check_arrays(fn, x0=x0)
    x = x.astype(float)
    velocity = np.zeros_like(x)
    points = [x]
    for _ in range(steps):
        g = np.asarray(grad_fn(x), dtype=float)
        if g.shape != x.shape:
            raise ValueError(
                f"{fn}: grad_fn must return an array of the point's shape. "
                f"Received: x.shape={x.shape}, grad_fn(x).shape={g.shape}"
            )
        x, velocity = momentum_step(x, velocity, g, learning_rate, momentum)
        points.append(x)
    return np.stack(points)
