"""Shared test settings: Keras on JAX, deterministic Hypothesis runs.

``derandomize=True`` makes every run draw the same examples, so a failure
is reproducible and the suite's run time is stable. Set the environment
variable ``DLPY_HYPOTHESIS_PROFILE=thorough`` for a longer search.
"""

import os

# Before any test module can import keras: Keras reads its backend once.
os.environ.setdefault("KERAS_BACKEND", "jax")
# Figures are drawn off-screen, never in a window.
os.environ.setdefault("MPLBACKEND", "Agg")

import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402

settings.register_profile(
    "dlpy",
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=40,
    print_blob=True,
)
settings.register_profile("thorough", parent=settings.get_profile("dlpy"),
                          max_examples=1000)
settings.load_profile(os.environ.get("DLPY_HYPOTHESIS_PROFILE", "dlpy"))


@pytest.fixture
def close_figures():
    """Start a plotting test with no open figure and close what it opened."""
    import matplotlib.pyplot as plt

    plt.close("all")
    yield
    plt.close("all")
