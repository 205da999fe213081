"""Tensor helpers against NumPy's own attributes and hand-computed values."""

import math

import hypothesis.extra.numpy as hnp
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dlpy import tensors

SHAPES = hnp.array_shapes(min_dims=0, max_dims=5, min_side=0, max_side=4)
DTYPES = st.sampled_from(["uint8", "int32", "int64", "float16", "float32",
                          "float64", "bool", "complex64"])


# --- describe (2.2) ----------------------------------------------------------


@given(shape=SHAPES, dtype=DTYPES)
def test_describe_matches_ndarray_attributes(shape, dtype):
    x = np.zeros(shape, dtype=dtype)
    info = tensors.describe(x)
    assert (info.ndim, info.shape, info.dtype) == (x.ndim, x.shape, x.dtype)
    assert type(info.ndim) is int
    assert all(type(n) is int for n in info.shape)


def test_describe_str_for_mnist_training_images():
    x = np.zeros((60000, 28, 28), dtype=np.uint8)
    assert str(tensors.describe(x)) == (
        "ndim=3, shape=(60000, 28, 28), dtype=uint8"
    )


def test_describe_accepts_a_jax_array():
    info = tensors.describe(jnp.zeros((2, 3)))
    assert str(info) == "ndim=2, shape=(2, 3), dtype=float32"


def test_describe_scalar_and_vector():
    info = tensors.describe(np.array(12))
    assert str(info) == "ndim=0, shape=(), dtype=int64"
    assert tensors.describe(np.arange(5.0)).shape == (5,)


# --- Sizes (2.2) -------------------------------------------------------------

VIDEO = (4, 240, 144, 256, 3)  # four 60 s clips at 4 fps, 144 x 256, RGB


def test_video_example():
    assert tensors.num_values(VIDEO) == 106_168_320
    assert tensors.nbytes(VIDEO) == 106_168_320 * 4
    assert tensors.nbytes(VIDEO, "float32") == 424_673_280
    assert tensors.format_bytes(tensors.nbytes(VIDEO)) == "425 MB"


@given(shape=SHAPES, dtype=DTYPES)
def test_sizes_match_numpy(shape, dtype):
    x = np.empty(shape, dtype=dtype)
    assert tensors.num_values(shape) == x.size
    assert tensors.nbytes(shape, dtype) == x.nbytes
    assert tensors.nbytes(list(shape), np.dtype(dtype)) == x.nbytes


def test_num_values_accepts_an_integer():
    assert tensors.num_values(7) == 7
    assert tensors.nbytes(7, "float64") == 56


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (0, "0 B"),
        (12, "12 B"),
        (999, "999 B"),
        (1000, "1 kB"),
        (1500, "1.5 kB"),
        (999_499, "999 kB"),
        (999_999, "1 MB"),
        (1_234_567, "1.23 MB"),
        (47_040_000, "47 MB"),  # MNIST training images, uint8
        (424_673_280, "425 MB"),
        (10**12, "1 TB"),
        (np.int64(2_500_000_000), "2.5 GB"),
    ],
)
def test_format_bytes(n, text):
    assert tensors.format_bytes(n) == text


# --- Batches (2.2) -----------------------------------------------------------


@given(
    num_samples=st.integers(0, 50),
    batch_size=st.integers(1, 20),
    trailing=hnp.array_shapes(min_dims=0, max_dims=2, max_side=3),
)
def test_iter_batches_covers_every_sample_once(num_samples, batch_size,
                                               trailing):
    x = np.arange(num_samples * math.prod(trailing)).reshape(
        (num_samples, *trailing))
    batches = list(tensors.iter_batches(x, batch_size))
    assert len(batches) == -(-num_samples // batch_size)  # ceiling
    assert all(len(b) == batch_size for b in batches[:-1])
    if batches:
        last = num_samples - batch_size * (len(batches) - 1)
        assert len(batches[-1]) == last
        assert 0 < last <= batch_size
        np.testing.assert_array_equal(np.concatenate(batches), x)
    for n, batch in enumerate(batches):
        np.testing.assert_array_equal(
            tensors.get_batch(x, n, batch_size), batch)
        assert batch.base is not None  # a view, not a copy


def test_batches_of_128_from_mnist_sized_data():
    x = np.zeros((60000, 28, 28), dtype=np.uint8)
    x[128 * 3:128 * 4] = 1
    batch = tensors.get_batch(x, 3, 128)
    assert batch.shape == (128, 28, 28)
    assert batch.all()
    assert np.shares_memory(batch, x)
    assert tensors.get_batch(x, 468, 128).shape == (96, 28, 28)  # last


# --- Slicing (2.2) -----------------------------------------------------------


def test_crops_match_the_chapter_slices():
    images = np.arange(3 * 28 * 28).reshape(3, 28, 28)
    corner = tensors.crop_bottom_right(images, 14)
    center = tensors.crop_center(images, 14)
    np.testing.assert_array_equal(corner, images[:, 14:, 14:])
    np.testing.assert_array_equal(center, images[:, 7:-7, 7:-7])
    for crop in (corner, center):
        assert crop.shape == (3, 14, 14)
        assert np.shares_memory(crop, images)


def test_crops_keep_channels_and_handle_odd_margins():
    images = np.arange(2 * 5 * 6 * 3).reshape(2, 5, 6, 3)
    np.testing.assert_array_equal(tensors.crop_center(images, 2),
                                  images[:, 1:3, 2:4])
    np.testing.assert_array_equal(tensors.crop_bottom_right(images, 5),
                                  images[:, 0:5, 1:6])
    np.testing.assert_array_equal(tensors.crop_center(images, 5),
                                  images[:, :, 0:5])


# --- Bad input ---------------------------------------------------------------

X10 = np.arange(10)
IMAGES = np.zeros((2, 28, 28))

BAD_INPUTS = [
    (tensors.describe, ([1, 2],), TypeError,
     "describe: x must be an array with ndim, shape and dtype. "
     "Received: type(x)=list"),
    (tensors.num_values, ("abc",), TypeError,
     "num_values: shape must be a tuple of integers. Received: shape='abc'"),
    (tensors.num_values, ((2, 2.5),), TypeError,
     "num_values: shape must be a tuple of integers. "
     "Received: shape=(2, 2.5)"),
    (tensors.num_values, ((2, -1),), ValueError,
     "num_values: shape must not have negative entries. "
     "Received: shape=(2, -1)"),
    (tensors.nbytes, ((2, 3), "not-a-dtype"), TypeError,
     "nbytes: dtype must be a NumPy dtype. Received: dtype='not-a-dtype'"),
    (tensors.nbytes, (None,), TypeError,
     "nbytes: shape must be a tuple of integers. Received: shape=None"),
    (tensors.nbytes, ((-3,),), ValueError,
     "nbytes: shape must not have negative entries. Received: shape=(-3,)"),
    (tensors.format_bytes, (-1,), ValueError,
     "format_bytes: n must be >= 0. Received: n=-1"),
    (tensors.format_bytes, (1.5,), TypeError,
     "format_bytes: n must be an integer. Received: n=1.5 (type float)"),
    (tensors.format_bytes, (True,), TypeError,
     "format_bytes: n must be an integer. Received: n=True (type bool)"),
    (tensors.iter_batches, ([1, 2, 3], 2), TypeError,
     "iter_batches: x must be a NumPy array. Received: type(x)=list"),
    (tensors.iter_batches, (np.array(5), 2), ValueError,
     "iter_batches: x must have rank >= 1. Received: x.shape=()"),
    (tensors.iter_batches, (X10, 0), ValueError,
     "iter_batches: batch_size must be >= 1. Received: batch_size=0"),
    (tensors.iter_batches, (X10, 2.0), TypeError,
     "iter_batches: batch_size must be an integer. "
     "Received: batch_size=2.0 (type float)"),
    (tensors.get_batch, (X10, 3, 4), ValueError,
     "get_batch: n must be < 3, the number of batches of size 4 in 10 "
     "samples. Received: n=3"),
    (tensors.get_batch, (X10, -1, 4), ValueError,
     "get_batch: n must be >= 0. Received: n=-1"),
    (tensors.get_batch, (X10, 0, -4), ValueError,
     "get_batch: batch_size must be >= 1. Received: batch_size=-4"),
    (tensors.get_batch, (X10, "0", 4), TypeError,
     "get_batch: n must be an integer. Received: n='0' (type str)"),
    (tensors.get_batch, ((1, 2), 0, 4), TypeError,
     "get_batch: x must be a NumPy array. Received: type(x)=tuple"),
    (tensors.crop_bottom_right, (IMAGES, 29), ValueError,
     "crop_bottom_right: size must be at most the image height and width. "
     "Received: size=29, images.shape=(2, 28, 28)"),
    (tensors.crop_bottom_right, (np.zeros((28, 28)), 14), ValueError,
     "crop_bottom_right: images must have rank >= 3. "
     "Received: images.shape=(28, 28)"),
    (tensors.crop_bottom_right, (IMAGES, 0), ValueError,
     "crop_bottom_right: size must be >= 1. Received: size=0"),
    (tensors.crop_center, (IMAGES, 14.0), TypeError,
     "crop_center: size must be an integer. Received: size=14.0 "
     "(type float)"),
    (tensors.crop_center, ("images", 14), TypeError,
     "crop_center: images must be a NumPy array. "
     "Received: type(images)=str"),
    (tensors.crop_center, (np.zeros((2, 28, 10)), 14), ValueError,
     "crop_center: size must be at most the image height and width. "
     "Received: size=14, images.shape=(2, 28, 10)"),
]



def test_bad_input_is_refused_with_a_clear_message(bad_input):
    bad_input.check()


def test_every_public_function_has_a_bad_input_case():
    functions = set(tensors.__all__) - {"TensorInfo"}  # a plain NamedTuple
    assert {row[0].__name__ for row in BAD_INPUTS} == functions
