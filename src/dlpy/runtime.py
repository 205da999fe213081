"""Where and how the book's code runs: device, seeds, Keras backend, timing.

Introduced in the front matter ("How to run this book"); every executed page
uses :func:`start_run` in its first cell and :meth:`Run.summary` in its last.
"""

from __future__ import annotations

import dataclasses
import os
import random
import sys
import time

import numpy as np

from dlpy import _checks as checks
from dlpy import numerics

__all__ = [
    "Run",
    "device_description",
    "ensure_keras_backend",
    "set_seed",
    "start_run",
]

KERAS_BACKEND = "jax"


def ensure_keras_backend() -> None:
    """Make Keras use JAX, or fail loudly if another backend is already loaded.

    Keras reads ``KERAS_BACKEND`` once, when it is first imported, so the
    variable must be set before that import. This sets it when nobody has, and
    raises when Keras is already running on another backend instead of
    silently training elsewhere.

    Raises:
        RuntimeError: if Keras was imported with a backend other than JAX, or
            ``KERAS_BACKEND`` names another backend.

    Example:
        >>> ensure_keras_backend()
        >>> os.environ["KERAS_BACKEND"]
        'jax'
    """
    chosen = os.environ.setdefault("KERAS_BACKEND", KERAS_BACKEND)
    if chosen != KERAS_BACKEND:
        raise RuntimeError(
            "ensure_keras_backend: dlpy runs Keras on JAX, but "
            f"KERAS_BACKEND={chosen!r}. Unset it or set KERAS_BACKEND=jax "
            "before importing keras."
        )
    keras = sys.modules.get("keras")
    if keras is not None:
        loaded = keras.backend.backend()
        if loaded != KERAS_BACKEND:
            raise RuntimeError(
                "ensure_keras_backend: Keras was already imported with the "
                f"{loaded!r} backend. Restart the kernel and run "
                "`import dlpy` (or set KERAS_BACKEND=jax) before "
                "`import keras`."
            )


def set_seed(seed: int) -> None:
    """Seed Python's, NumPy's legacy and (if loaded) Keras's random generators.

    dlpy's own functions take an explicit ``np.random.default_rng(seed)``
    argument instead; this exists for Keras layers, whose initial weights
    come from Keras's global seed.

    Args:
        seed: a non-negative integer.

    Raises:
        TypeError: if ``seed`` is not an integer.
        ValueError: if ``seed`` is negative.

    Example:
        >>> set_seed(0)
    """
    checks.integer("set_seed", "seed", seed, minimum=0)
    random.seed(seed)
    np.random.seed(seed)
    if "keras" in sys.modules:
        sys.modules["keras"].utils.set_random_seed(int(seed))


def device_description() -> str:
    """Name the device JAX computes on: ``"CPU"`` or the GPU's own name.

    Read from JAX at call time (importing it if needed), so a page executed on
    a GPU machine says so, e.g. ``"NVIDIA H100 80GB HBM3"``.

    Example:
        >>> isinstance(device_description(), str)
        True
    """
    import jax

    device = jax.devices()[0]
    if device.platform == "cpu":
        return "CPU"
    return str(getattr(device, "device_kind", device.platform))


@dataclasses.dataclass
class Run:
    """The execution of one page: when it started and on which device."""

    device: str
    started: float

    def elapsed(self) -> float:
        """Seconds since :func:`start_run`."""
        return time.perf_counter() - self.started

    def summary(self) -> str:
        """A sentence for the reader, e.g. ``"Executed on CPU in 14.2 s"``.

        The device and seconds are also kept in ``last_summary``, where
        the book's build engine reads them, so the build record shows the
        same numbers as the page.
        """
        global last_summary
        seconds = self.elapsed()
        last_summary = {"device": self.device, "seconds": seconds}
        return f"Executed on {self.device} in {seconds:.1f} s"


#: The device and seconds of the last :meth:`Run.summary` in this process.
last_summary: dict[str, object] | None = None


def start_run(seed: int = 0) -> Run:
    """Start timing a page: check the backend, apply the build's numerics
    (:func:`dlpy.numerics.apply_build_settings`), seed, find the device.

    Args:
        seed: passed to :func:`set_seed`.

    Returns:
        A :class:`Run` whose :meth:`Run.summary` the page's last cell glues.

    Example:
        >>> run = start_run()
        >>> run.summary().startswith("Executed on ")
        True
    """
    ensure_keras_backend()
    numerics.apply_build_settings()
    set_seed(seed)
    return Run(device=device_description(), started=time.perf_counter())
