"""dlpy: the tested package behind the dlpy book.

``import dlpy`` needs only NumPy. Keras, JAX and Matplotlib are imported by the
submodules that use them (``dlpy.training``, ``dlpy.plotting``, ...).
"""

import os as _os

# Keras reads KERAS_BACKEND once, when it is first imported. Setting a default
# here (never overriding a user's choice) lets ``import dlpy`` come first in a
# notebook; ``dlpy.runtime.ensure_keras_backend`` checks it really took effect.
_os.environ.setdefault("KERAS_BACKEND", "jax")

__version__ = "0.1.0"

__all__ = ["__version__"]
