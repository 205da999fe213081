"""Tensor helpers against NumPy's own attributes and hand-computed values."""

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

CLIPS = (3, 60, 240, 320, 3)  # ch02/tensors: three doorbell clips


def test_doorbell_clips_against_a_broadcast_array():
    # A broadcast view reports size and nbytes without allocating them.
    for dtype in ("float32", "uint8"):
        reference = np.broadcast_to(np.zeros((), dtype), CLIPS)
        assert tensors.num_values(CLIPS) == reference.size
        assert tensors.nbytes(CLIPS, dtype) == reference.nbytes


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
        (165_888_000, "166 MB"),  # three doorbell clips, float32
        (10**12, "1 TB"),
        (np.int64(2_500_000_000), "2.5 GB"),
    ],
)
def test_format_bytes(n, text):
    assert tensors.format_bytes(n) == text


# --- Batches (2.2) -----------------------------------------------------------


@given(num_samples=st.integers(0, 50), batch_size=st.integers(1, 20),
       seed=st.none() | st.integers(0, 2**32 - 1))
def test_batch_indices_cut_the_order_into_runs(num_samples, batch_size,
                                               seed):
    """Against a reference: the stored order (np.arange) or the same
    generator's permutation, cut every batch_size positions."""
    rng = None if seed is None else np.random.default_rng(seed)
    batches = tensors.batch_indices(num_samples, batch_size, rng)
    order = (np.arange(num_samples) if seed is None
             else np.random.default_rng(seed).permutation(num_samples))
    assert len(batches) == -(-num_samples // batch_size)  # ceiling
    assert all(len(b) == batch_size for b in batches[:-1])
    if batches:
        assert 0 < len(batches[-1]) <= batch_size
        np.testing.assert_array_equal(np.concatenate(batches), order)
    assert all(np.issubdtype(b.dtype, np.integer) for b in batches)


def test_every_epoch_draws_new_batches_of_the_same_samples():
    rng = np.random.default_rng(0)
    first = tensors.batch_indices(1000, 128, rng)
    second = tensors.batch_indices(1000, 128, rng)
    assert not np.array_equal(first[0], second[0])
    for epoch in (first, second):
        np.testing.assert_array_equal(np.sort(np.concatenate(epoch)),
                                      np.arange(1000))


def test_indexing_with_a_batch_keeps_images_and_labels_together():
    images = np.arange(10 * 2 * 2).reshape(10, 2, 2)
    labels = np.arange(10) * 7
    for batch in tensors.batch_indices(10, 4, np.random.default_rng(3)):
        for image, label in zip(images[batch], labels[batch]):
            position = label // 7
            np.testing.assert_array_equal(image, images[position])
        assert not np.shares_memory(images[batch], images)  # a copy


# --- Bad input ---------------------------------------------------------------

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
    (tensors.batch_indices, (10.0, 4), TypeError,
     "batch_indices: num_samples must be an integer. "
     "Received: num_samples=10.0 (type float)"),
    (tensors.batch_indices, (-1, 4), ValueError,
     "batch_indices: num_samples must be >= 0. Received: num_samples=-1"),
    (tensors.batch_indices, (10, 0), ValueError,
     "batch_indices: batch_size must be >= 1. Received: batch_size=0"),
    (tensors.batch_indices, (10, True), TypeError,
     "batch_indices: batch_size must be an integer. "
     "Received: batch_size=True (type bool)"),
    (tensors.batch_indices, (10, 4, 0), TypeError,
     "batch_indices: rng must be a np.random.Generator, e.g. "
     "np.random.default_rng(0) or None. Received: rng=0"),
]



def test_bad_input_is_refused_with_a_clear_message(bad_input):
    bad_input.check()


def test_every_public_function_has_a_bad_input_case():
    functions = set(tensors.__all__) - {"TensorInfo"}  # a plain NamedTuple
    assert {row[0].__name__ for row in BAD_INPUTS} == functions
