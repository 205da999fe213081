"""Gradient descent update rules: plain SGD and SGD with momentum.

The rules match ``keras.optimizers.SGD`` update for update, so the book can
show them as a few lines of NumPy and still be exact.

Introduced in section 2.4.3 (stochastic gradient descent).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from dlpy import _checks as checks

__all__ = ["descend", "momentum_step", "sgd_step"]


# --- Update rules -----------------------------------------------------------


def sgd_step(w: ArrayLike, g: ArrayLike, learning_rate: float) -> NDArray[Any]:
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
    w = checks.numbers_array("sgd_step", "w", w)
    g = checks.numbers_array("sgd_step", "g", g)
    checks.same_shape("sgd_step", w=w, g=g)
    checks.learning_rate("sgd_step", learning_rate)
    return w - learning_rate * g


def momentum_step(
    w: ArrayLike, velocity: ArrayLike, g: ArrayLike, learning_rate: float,
    momentum: float,
) -> tuple[NDArray[Any], NDArray[Any]]:
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
    w = checks.numbers_array("momentum_step", "w", w)
    velocity = checks.numbers_array("momentum_step", "velocity", velocity)
    g = checks.numbers_array("momentum_step", "g", g)
    checks.same_shape("momentum_step", w=w, velocity=velocity, g=g)
    checks.learning_rate("momentum_step", learning_rate)
    checks.momentum("momentum_step", momentum)
    velocity = momentum * velocity - learning_rate * g
    w = w + velocity
    return w, velocity


def descend(
    grad_fn: Callable[[NDArray[Any]], ArrayLike],
    x0: ArrayLike,
    learning_rate: float,
    steps: int,
    momentum: float = 0.0,
) -> NDArray[Any]:
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
    checks.function(fn, "grad_fn", grad_fn)
    checks.integer(fn, "steps", steps, minimum=0)
    checks.learning_rate(fn, learning_rate)
    checks.momentum(fn, momentum)
    x = checks.numbers_array(fn, "x0", x0).astype(float)
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
