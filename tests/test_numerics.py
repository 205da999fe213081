"""dlpy.numerics: the tolerance helper, and the TF32 emulation checked
against NumPy products of operands rounded by hand (bit arithmetic on the
IEEE float32 layout, independent of the module's JAX code)."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from dlpy import numerics


def test_tolerance_follows_dtype():
    assert numerics.tolerance("float64") < numerics.tolerance(
        "float32", matmul=False) < numerics.tolerance("bfloat16")
    assert numerics.tolerance(np.float32, matmul=False) == \
        numerics.RELATIVE_TOLERANCE["float32"]


@pytest.mark.parametrize("dtype", ["int32", "bool", "complex64"])
def test_tolerance_refuses_non_floats(dtype):
    with pytest.raises(ValueError, match="tolerance: dtype must be"):
        numerics.tolerance(dtype)


def test_assert_close_uses_the_precision_of_the_less_precise_side():
    exact = np.linspace(0.1, 2.0, 7)  # not all representable in float32
    in_float32 = exact.astype(np.float32)
    numerics.assert_close(in_float32, exact)          # float32 rounding: fine
    with pytest.raises(AssertionError, match="prices: differs"):
        # the same error is far too large for two float64 values
        numerics.assert_close(in_float32.astype(np.float64), exact,
                              what="prices")


def test_assert_close_judges_small_values_on_the_scale_of_the_whole():
    expected = np.array([1.0, 1e-9])
    numerics.assert_close(expected + [0.0, 1e-7], expected, dtype="float32",
                          matmul=False)
    with pytest.raises(AssertionError, match=r"at index \(0,\)"):
        numerics.assert_close(expected + [1e-3, 0.0], expected,
                              dtype="float32", matmul=False)


def test_assert_close_refuses_other_shapes():
    with pytest.raises(AssertionError, match="shapes differ"):
        numerics.assert_close(np.zeros(3), np.zeros(4))


def test_without_jax_nothing_is_rounded():
    code = ("import sys; from dlpy import numerics; "
            "print(numerics.matmul_precision(), 'jax' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True,
                         text=True, check=True, env=_env())
    assert out.stdout.split() == ["float32", "False"]


def _env(**extra):
    env = dict(os.environ, KERAS_BACKEND="jax", JAX_PLATFORMS="cpu", **extra)
    env.pop("JAX_DEFAULT_MATMUL_PRECISION", None)
    env["PYTHONPATH"] = os.pathsep.join(
        [os.path.join(os.path.dirname(__file__), "..", "src"),
         env.get("PYTHONPATH", "")])
    return env


EMULATION_CHECK = textwrap.dedent("""
    import json, sys
    import numpy as np
    import jax, jax.numpy as jnp
    from dlpy import runtime, numerics

    def to_tf32(x):  # round to nearest, ties away: cvt.rna.tf32.f32
        bits = np.asarray(x, np.float32).view(np.uint32)
        return ((bits + np.uint32(0x1000)) & np.uint32(0xFFFFE000)).view(
            np.float32).astype(np.float64)

    rng = np.random.default_rng(7)
    a = rng.standard_normal((40, 300)).astype(np.float32)
    b = rng.standard_normal((300, 20)).astype(np.float32)
    before = np.asarray(jnp.matmul(a, b))      # compiled before: cleared
    runtime.start_run()                        # reads DLPY_NUMERICS
    tf32 = to_tf32(a) @ to_tf32(b)
    full = a.astype(np.float64) @ b.astype(np.float64)
    err = lambda y, ref: float(np.max(np.abs(np.asarray(y) - ref)))
    x = rng.standard_normal((2, 9, 9, 3)).astype(np.float32)
    k = rng.standard_normal((3, 3, 3, 5)).astype(np.float32)
    dn = ("NHWC", "HWIO", "NHWC")
    conv = jax.lax.conv_general_dilated(x, k, (1, 1), "VALID",
                                        dimension_numbers=dn)
    conv_ref = jax.lax.conv_general_dilated(
        to_tf32(x), to_tf32(k), (1, 1), "VALID", dimension_numbers=dn,
        precision="highest")
    with jax.default_matmul_precision("highest"):
        highest = jax.jit(lambda p, q: p @ q)(a, b)
    print(json.dumps({
        "precision": numerics.matmul_precision(),
        "eager_vs_tf32": err(jnp.matmul(a, b), tf32),
        "jit_vs_tf32": err(jax.jit(jnp.dot)(a, b), tf32),
        "einsum_vs_tf32": err(jnp.einsum("ij,jk->ik", a, b), tf32),
        "highest_vs_full": err(highest, full),
        "tf32_vs_full": err(tf32, full),
        "conv_vs_tf32": err(conv, np.asarray(conv_ref, np.float64)),
    }))
""")


def _emulation(numerics_setting):
    import json

    out = subprocess.run([sys.executable, "-c", EMULATION_CHECK],
                         capture_output=True, text=True,
                         env=_env(DLPY_NUMERICS=numerics_setting))
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_tf32_emulation_rounds_operands_as_a_gpu_does():
    got = _emulation("tf32")
    assert got["precision"] == "tf32"
    # TF32 operands make an error of order 1e-2 on sums of 300 products;
    # the emulation reproduces the rounded product to float32 accumulation.
    assert got["tf32_vs_full"] > 1e-3
    for key in ("eager_vs_tf32", "jit_vs_tf32", "einsum_vs_tf32",
                "conv_vs_tf32"):
        assert got[key] < 1e-4, (key, got)
    assert got["highest_vs_full"] < 1e-4        # "highest" is not rounded


@pytest.mark.slow
def test_native_numerics_round_nothing():
    got = _emulation("native")
    assert got["precision"] == "float32"
    assert got["eager_vs_tf32"] > 1e-3          # full products, not TF32


def test_unknown_numerics_setting_is_refused(monkeypatch):
    monkeypatch.setenv("DLPY_NUMERICS", "fp8")
    with pytest.raises(ValueError, match="DLPY_NUMERICS must be"):
        numerics.apply_build_settings()
