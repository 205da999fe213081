"""How precisely this machine multiplies matrices, and claims that hold anyway.

A float32 matrix product is not computed the same way everywhere. A CPU
multiplies the full 24-bit mantissas; an NVIDIA GPU from the Ampere
generation on rounds the operands to TF32 (a 10-bit mantissa, about three
decimal digits) by default; a TPU rounds them to bfloat16. Two programs that
compute the same value, compiled differently, need not agree to the last bit
either. The book's claims therefore compare numbers with
:func:`assert_close`, whose tolerance follows the dtype and the matmul
precision in force (:func:`matmul_precision`), and never with ``==``.

:func:`emulate_tf32` makes a CPU round matrix-product operands as a GPU does,
so that a claim which only holds at full precision fails here too
(``make book NUMERICS=tf32``; the engine sets ``DLPY_NUMERICS=tf32`` and
:func:`dlpy.runtime.start_run` calls it).

Introduced in the front matter ("How to run this book").
"""

from __future__ import annotations

import os
import sys
from typing import Any

import numpy as np

__all__ = [
    "NUMERICS_VARIABLE",
    "RELATIVE_TOLERANCE",
    "apply_build_settings",
    "assert_close",
    "emulate_tf32",
    "matmul_precision",
    "tolerance",
]

#: Relative error a claim allows, by the precision its numbers were computed
#: at: the unit roundoff of that format times a margin for sums of a few
#: hundred terms and for differently compiled programs.
RELATIVE_TOLERANCE = {
    "float64": 1e-9,
    "float32": 1e-5,
    "tf32": 2e-3,
    "float16": 1e-2,
    "bfloat16": 1e-2,
}

#: What ``jax_default_matmul_precision`` (or a ``precision=`` argument) asks
#: for, as the precision a GPU then uses for float32 operands.
_GPU_PRECISION = {
    None: "tf32", "default": "tf32", "fastest": "tf32", "bfloat16": "tf32",
    "high": "tf32", "tensorfloat32": "tf32", "bfloat16_3x": "tf32",
    "highest": "float32", "float32": "float32",
}

#: The variable through which the build asks a kernel to emulate a GPU.
NUMERICS_VARIABLE = "DLPY_NUMERICS"


def _precision_setting() -> str | None:
    """``jax_default_matmul_precision`` in force here, lower-cased."""
    import jax

    setting = getattr(jax.config, "jax_default_matmul_precision", None)
    return None if setting is None else str(setting).lower()


def matmul_precision() -> str:
    """The precision of float32 matrix products here: ``"float32"``,
    ``"tf32"`` or ``"bfloat16"``.

    ``"tf32"`` on an NVIDIA GPU of compute capability 8.0 or newer unless
    ``jax_default_matmul_precision`` asks for ``"highest"``, and on a CPU
    that emulates one (:func:`emulate_tf32`); ``"bfloat16"`` on a TPU at
    JAX's default; ``"float32"`` otherwise, and always when JAX has not been
    imported (NumPy multiplies at full precision).

    Example:
        >>> matmul_precision() in ("float32", "tf32", "bfloat16")
        True
    """
    if "jax" not in sys.modules:
        return "float32"
    import jax

    setting = _precision_setting()
    if _emulating:
        return _GPU_PRECISION.get(setting, "tf32")
    device = jax.devices()[0]
    if device.platform == "tpu":
        return "float32" if setting in ("highest", "float32") else "bfloat16"
    if device.platform == "gpu":
        capability = getattr(device, "compute_capability", "8.0")
        if float(capability) >= 8.0:
            return _GPU_PRECISION.get(setting, "tf32")
    return "float32"


def tolerance(dtype: Any = "float32", matmul: bool = True) -> float:
    """The relative tolerance for numbers computed in ``dtype`` here.

    Args:
        dtype: the dtype of the less precise side of a comparison.
        matmul: whether matrix products (or convolutions) went into it; if
            so, a float32 result gets the tolerance of the matmul precision
            in force.

    Example:
        >>> tolerance("float64")
        1e-09
    """
    name = np.dtype(dtype).name if not isinstance(dtype, str) else dtype
    if name not in RELATIVE_TOLERANCE:
        raise ValueError(
            f"tolerance: dtype must be a floating-point type. Received: "
            f"dtype={name!r}")
    if name == "float32" and matmul:
        name = matmul_precision()
    return RELATIVE_TOLERANCE[name]


def _least_precise(*values: Any) -> str:
    """The float dtype of the least precise of ``values`` (float64 for
    Python numbers and integer arrays)."""
    order = ["float64", "float32", "float16", "bfloat16"]
    worst = "float64"
    for value in values:
        name = str(getattr(value, "dtype", "float64"))
        if name in order and order.index(name) > order.index(worst):
            worst = name
    return worst


def assert_close(actual: Any, expected: Any, *, what: str = "value",
                 dtype: Any = None, matmul: bool = True,
                 rtol: float | None = None, atol: float | None = None
                 ) -> None:
    """Fail unless ``actual`` equals ``expected`` within what this machine's
    arithmetic allows.

    The relative tolerance is :func:`tolerance` of the least precise of the
    two (or of ``dtype``); the absolute one is that times the largest
    magnitude in ``expected``, so values near zero are judged on the scale
    of the whole comparison.

    Args:
        actual: what the code computed (array-like or number).
        expected: the reference.
        what: named in the message.
        dtype: the dtype the computation ran in, when the values no longer
            carry it (e.g. Python floats from a float32 model).
        matmul: see :func:`tolerance`.
        rtol, atol: override the computed tolerances.

    Raises:
        AssertionError: naming ``what``, the largest error, the tolerance
            and the precision in force.

    Example:
        >>> assert_close(np.float32(0.1) * 3, 0.3)
    """
    a = np.asarray(actual, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    if dtype is None:
        dtype = _least_precise(actual, expected)
    if rtol is None:
        rtol = tolerance(dtype, matmul)
    if atol is None:
        atol = rtol * float(np.max(np.abs(e), initial=0.0))
    try:
        same = np.broadcast_shapes(a.shape, e.shape) == e.shape
    except ValueError:
        same = False
    if not same:
        raise AssertionError(
            f"{what}: shapes differ: {a.shape} against {e.shape}")
    error = np.abs(a - e)
    allowed = atol + rtol * np.abs(e)
    if not np.all(error <= allowed):
        worst = np.unravel_index(np.argmax(error - allowed), error.shape)
        raise AssertionError(
            f"{what}: differs from the reference by up to "
            f"{float(np.max(error)):.3g} (allowed here: rtol={rtol:.1g}, "
            f"atol={atol:.3g}; float32 matrix products at "
            f"{matmul_precision()} precision); at index {tuple(map(int, worst))}: "
            f"{float(a[worst])!r} against {float(e[worst])!r}")


# --------------------------------------------------------------------------
# TF32 on a CPU
# --------------------------------------------------------------------------

_emulating = False


def _round_to_tf32(x: Any) -> Any:
    """Round float32 values to TF32 (10 explicit mantissa bits), to nearest,
    ties away from zero, as NVIDIA's ``cvt.rna.tf32.f32`` does."""
    import jax.numpy as jnp
    from jax import lax

    bits = lax.bitcast_convert_type(x, jnp.uint32)
    rounded = (bits + jnp.uint32(0x1000)) & jnp.uint32(0xFFFFE000)
    finite = jnp.isfinite(x)
    return jnp.where(finite, lax.bitcast_convert_type(rounded, jnp.float32),
                     x)


def _rounds(precision: Any) -> bool:
    """Whether a GPU computes a product of this precision in TF32."""
    if precision is None:
        return _GPU_PRECISION.get(_precision_setting(), "tf32") == "tf32"
    if isinstance(precision, tuple):
        names = {getattr(p, "name", str(p)).lower() for p in precision}
        return "highest" not in names
    return "TF32" in getattr(precision, "name", str(precision)).upper()


def emulate_tf32() -> None:
    """Make JAX on this machine's CPU compute float32 matrix products and
    convolutions as an NVIDIA GPU does by default: operands rounded to TF32,
    products summed in float32.

    Every ``dot_general`` and ``conv_general_dilated`` that JAX compiles for
    the CPU from now on (``jnp.matmul``, ``@``, ``jnp.einsum``, Keras layers,
    and the products of their gradients, which are matrix products too)
    rounds its float32 operands first, unless it asks for ``"highest"``
    precision, as on a GPU. The rounding is added when a computation is
    compiled, after differentiation, so gradients are those of the original
    program. Caches of computations compiled before are cleared. Calling it
    again does nothing.

    Raises:
        RuntimeError: if this JAX lowers these operations in a way this
            function does not know (it relies on JAX internals, checked here
            so that a JAX upgrade fails loudly instead of emulating nothing).
    """
    global _emulating
    if _emulating:
        return
    import jax
    from jax._src.interpreters import mlir
    from jax._src.lax import convolution, lax

    try:
        rules = {p: (mlir._platform_specific_lowerings["cpu"].get(p)
                     or mlir._lowerings[p]).rule
                 for p in (lax.dot_general_p,
                           convolution.conv_general_dilated_p)}
    except (AttributeError, KeyError) as err:
        raise RuntimeError(
            "emulate_tf32: this JAX version "
            f"({jax.__version__}) lowers matrix products differently; "
            f"the TF32 emulation needs updating ({err!r})") from err

    round_lowering = mlir.lower_fun(_round_to_tf32, multiple_results=False)

    def rounded(ctx: Any, value: Any, aval: Any) -> Any:
        if aval.dtype != np.float32:
            return value
        sub = ctx.replace(primitive=None, avals_in=[aval], avals_out=[aval])
        (out,) = round_lowering(sub, value)
        return out[0] if isinstance(out, (list, tuple)) else out

    for primitive, rule in rules.items():
        def rounding_rule(ctx: Any, lhs: Any, rhs: Any, *, precision: Any,
                          _rule: Any = rule, **params: Any) -> Any:
            if _rounds(precision):
                lhs = rounded(ctx, lhs, ctx.avals_in[0])
                rhs = rounded(ctx, rhs, ctx.avals_in[1])
            return _rule(ctx, lhs, rhs, precision=precision, **params)

        mlir.register_lowering(primitive, rounding_rule, platform="cpu")
    jax.clear_caches()  # type: ignore[no-untyped-call]
    _emulating = True


def apply_build_settings() -> None:
    """Apply what the build asks for through ``DLPY_NUMERICS``: ``tf32``
    emulates a GPU's matrix products (:func:`emulate_tf32`); empty or
    ``native`` leaves the machine as it is.

    Raises:
        ValueError: for any other value.
    """
    setting = os.environ.get(NUMERICS_VARIABLE, "").strip().lower()
    if setting in ("", "native"):
        return
    if setting != "tf32":
        raise ValueError(
            f"{NUMERICS_VARIABLE} must be 'tf32', 'native' or empty. "
            f"Received: {NUMERICS_VARIABLE}={setting!r}")
    emulate_tf32()
