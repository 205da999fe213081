"""``import dlpy`` stays light: NumPy only, and Keras ends up on JAX."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("jax", "keras", "matplotlib", "tensorflow", "torch")


def _modules_after(code: str) -> list[str]:
    """Top-level modules loaded by ``code`` in a fresh interpreter."""
    probe = (f"{code}\nimport json, sys\n"
             "print(json.dumps(sorted({m.split('.')[0] "
             "for m in sys.modules})))")
    out = subprocess.run([sys.executable, "-c", probe], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.splitlines()[-1])


def test_import_dlpy_needs_only_numpy() -> None:
    loaded = _modules_after("import dlpy")
    assert [m for m in HEAVY if m in loaded] == []


def test_numpy_level_modules_stay_light() -> None:
    loaded = _modules_after(
        "import dlpy.naive, dlpy.tensors, dlpy.autodiff, dlpy.optim, "
        "dlpy.geometry, dlpy.datasets.mnist, dlpy.runtime")
    assert [m for m in HEAVY if m in loaded] == []


def test_keras_imported_after_dlpy_runs_on_jax() -> None:
    code = ("import os; os.environ.pop('KERAS_BACKEND', None)\n"
            "import dlpy, keras; print(keras.backend.backend())")
    out = subprocess.run([sys.executable, "-c", code], check=True,
                         capture_output=True, text=True).stdout
    assert out.split()[-1] == "jax"


def test_keras_on_another_backend_is_refused_loudly() -> None:
    code = ("import os; os.environ['KERAS_BACKEND'] = 'numpy'\n"
            "import keras, dlpy.runtime\n"
            "dlpy.runtime.ensure_keras_backend()")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True,
                          text=True)
    assert proc.returncode != 0
    assert "ensure_keras_backend: dlpy runs Keras on JAX" in proc.stderr
