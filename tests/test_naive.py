"""The naive loop-based ops against NumPy, the trusted reference."""

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dlpy import naive

# Small element ranges: integer results stay far from overflow, where
# NumPy arrays wrap silently and NumPy scalars warn.
ELEMENTWISE_DTYPES = [np.float64, np.float32, np.int32, np.int64]
PRODUCT_DTYPES = [np.float64, np.int32, np.int64]


def _elements(dtype):
    if np.issubdtype(dtype, np.unsignedinteger):
        return st.integers(0, 100)
    if np.issubdtype(dtype, np.integer):
        return st.integers(-100, 100)
    width = np.dtype(dtype).itemsize * 8
    return st.floats(-100, 100, width=width)


@st.composite
def arrays(draw, shape, dtypes=ELEMENTWISE_DTYPES):
    """An array of the given shape and a dtype drawn from ``dtypes``."""
    dtype = draw(st.sampled_from(dtypes))
    return draw(hnp.arrays(dtype, shape, elements=_elements(dtype)))


def shapes(ndim):
    """Shapes of rank ``ndim``, zero-length axes included."""
    return hnp.array_shapes(min_dims=ndim, max_dims=ndim, min_side=0,
                            max_side=5)


@st.composite
def same_shape_pairs(draw, ndim, dtypes=ELEMENTWISE_DTYPES):
    shape = draw(shapes(ndim))
    return draw(arrays(shape, dtypes)), draw(arrays(shape, dtypes))


@st.composite
def inner_pairs(draw, y_ndim, dtypes=PRODUCT_DTYPES):
    """``x`` of shape (m, n) and ``y`` of shape (n,) or (n, p)."""
    m, n, p = (draw(st.integers(0, 5)) for _ in range(3))
    y_shape = (n,) if y_ndim == 1 else (n, p)
    return draw(arrays((m, n), dtypes)), draw(arrays(y_shape, dtypes))


def call_unchanged(fn, *inputs):
    """Call ``fn`` and check it left its inputs as they were."""
    copies = [x.copy() for x in inputs]
    result = fn(*inputs)
    for before, after in zip(copies, inputs):
        np.testing.assert_array_equal(after, before)
        assert after.dtype == before.dtype
    return result


def assert_same(result, expected, exact=True):
    """Same type, dtype, shape and values as the NumPy result.

    Where NumPy returns a scalar for rank-0 arrays (ufuncs do), a rank-0
    array is accepted too.
    """
    if isinstance(expected, np.generic) and isinstance(result, np.ndarray):
        expected = np.asarray(expected)
    assert isinstance(result, type(expected))
    assert result.dtype == expected.dtype
    assert np.shape(result) == np.shape(expected)
    if exact or np.issubdtype(expected.dtype, np.integer):
        np.testing.assert_array_equal(result, expected)
    else:
        np.testing.assert_allclose(result, expected, rtol=1e-12, atol=1e-9)


# --- Element-wise (2.3.1) --------------------------------------------------


@given(arrays(shapes(2), ELEMENTWISE_DTYPES + [np.uint8]))
def test_naive_relu_matches_numpy(x):
    assert_same(call_unchanged(naive.naive_relu, x), np.maximum(x, 0))


@pytest.mark.parametrize(
    ("fn", "reference"),
    [
        (naive.naive_add, np.add),
        (naive.naive_subtract, np.subtract),
        (naive.naive_multiply, np.multiply),
    ],
)
@given(pair=same_shape_pairs(2))
def test_elementwise_matches_numpy(fn, reference, pair):
    assert_same(call_unchanged(fn, *pair), reference(*pair))


def test_naive_relu_returns_a_copy():
    x = np.array([[-1.0, 2.0]])
    result = naive.naive_relu(x)
    assert not np.shares_memory(result, x)
    np.testing.assert_array_equal(x, [[-1.0, 2.0]])


# --- Broadcasting (2.3.2) --------------------------------------------------


@given(inner_pairs(y_ndim=1, dtypes=ELEMENTWISE_DTYPES))
def test_naive_add_matrix_and_vector_matches_numpy(pair):
    x, y = pair
    assert_same(call_unchanged(naive.naive_add_matrix_and_vector, x, y), x + y)


@st.composite
def broadcastable_pairs(draw):
    shapes_ = draw(hnp.mutually_broadcastable_shapes(
        num_shapes=2, min_dims=0, max_dims=4, min_side=0, max_side=3))
    x_shape, y_shape = shapes_.input_shapes
    return draw(arrays(x_shape)), draw(arrays(y_shape))


@given(broadcastable_pairs())
def test_naive_maximum_matches_numpy(pair):
    x, y = pair
    assert_same(call_unchanged(naive.naive_maximum, x, y), np.maximum(x, y))


def test_naive_maximum_on_the_chapter_shapes():
    # The chapter's privacy mask: (clips, frames, height, width) uint8
    # frames against one (height, width) mask.
    rng = np.random.default_rng(0)
    clips = rng.integers(0, 256, size=(2, 3, 6, 8), dtype=np.uint8)
    window = np.zeros((6, 8), dtype=np.uint8)
    window[1:3, 4:7] = 255
    assert_same(naive.naive_maximum(clips, window), np.maximum(clips, window))


X23 = np.arange(6.0).reshape((2, 3)) - 2.5


@pytest.mark.parametrize(("fn", "others"), [
    (naive.naive_relu, ()),
    (naive.naive_add, (np.ones((2, 3)),)),
    (naive.naive_subtract, (np.ones((2, 3)),)),
    (naive.naive_multiply, (np.ones((2, 3)),)),
    (naive.naive_add_matrix_and_vector, (np.ones(3),)),
    (naive.naive_matrix_vector_product, (np.ones(3),)),
    (naive.naive_matrix_vector_product_via_dot, (np.ones(3),)),
    (naive.naive_matrix_product, (np.ones((3, 2)),)),
    (naive.naive_maximum, (np.zeros(3),)),
])
def test_results_are_new_arrays(fn, others):
    result = fn(X23, *others)
    for operand in (X23, *others):
        assert not np.shares_memory(result, operand)


# --- Tensor product (2.3.3) ------------------------------------------------


@given(same_shape_pairs(1, PRODUCT_DTYPES))
def test_naive_vector_product_matches_numpy(pair):
    result = call_unchanged(naive.naive_vector_product, *pair)
    assert_same(result, np.dot(*pair), exact=False)


@pytest.mark.parametrize(
    "fn",
    [naive.naive_matrix_vector_product,
     naive.naive_matrix_vector_product_via_dot],
)
@given(pair=inner_pairs(y_ndim=1))
def test_naive_matrix_vector_product_matches_numpy(fn, pair):
    x, y = pair
    assert_same(call_unchanged(fn, x, y), x @ y, exact=False)


@given(inner_pairs(y_ndim=2))
def test_naive_matrix_product_matches_numpy(pair):
    x, y = pair
    assert_same(call_unchanged(naive.naive_matrix_product, x, y), x @ y,
                exact=False)


def test_matrix_product_with_an_empty_inner_axis_is_zeros():
    x, y = np.ones((3, 0)), np.ones((0, 4))
    assert_same(naive.naive_matrix_product(x, y), np.zeros((3, 4)))


def test_empty_vector_product_is_zero_of_the_result_dtype():
    x, y = np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int32)
    assert_same(naive.naive_vector_product(x, y), np.dot(x, y))


# --- Bad input ---------------------------------------------------------------

M23 = np.zeros((2, 3))
M32 = np.zeros((3, 2))
V2, V3 = np.zeros(2), np.zeros(3)

BINARY_RANK2 = ["naive_add", "naive_subtract", "naive_multiply"]
MATRIX_VECTOR = [
    "naive_add_matrix_and_vector",
    "naive_matrix_vector_product",
    "naive_matrix_vector_product_via_dot",
]

BAD_INPUTS = [
    (naive.naive_relu, ([[1, 2]],), TypeError,
     "naive_relu: x must be a NumPy array. Received: type(x)=list"),
    (naive.naive_relu, (np.array([[True]]),), TypeError,
     "naive_relu: x must have an integer or floating-point dtype. "
     "Received: x.dtype=bool"),
    (naive.naive_relu, (V3,), ValueError,
     "naive_relu: x must be a rank-2 tensor. Received: x.shape=(3,)"),
    (naive.naive_relu, (np.float64(1.0),), TypeError,
     "naive_relu: x must be a NumPy array. Received: type(x)=float64"),
    *[(getattr(naive, name), (M23, 1.0), TypeError,
       f"{name}: y must be a NumPy array. Received: type(y)=float")
      for name in BINARY_RANK2],
    *[(getattr(naive, name), (M23, M32), ValueError,
       f"{name}: x and y must have the same shape. "
       "Received: x.shape=(2, 3), y.shape=(3, 2)")
      for name in BINARY_RANK2],
    *[(getattr(naive, name), (V3, V3), ValueError,
       f"{name}: x must be a rank-2 tensor. Received: x.shape=(3,)")
      for name in BINARY_RANK2],
    *[(getattr(naive, name), (M23, V2), ValueError,
       f"{name}: x.shape[1] must equal y.shape[0]. "
       "Received: x.shape=(2, 3), y.shape=(2,)")
      for name in MATRIX_VECTOR],
    *[(getattr(naive, name), (M23, M32), ValueError,
       f"{name}: y must be a rank-1 tensor. Received: y.shape=(3, 2)")
      for name in MATRIX_VECTOR],
    *[(getattr(naive, name), ("x", V3), TypeError,
       f"{name}: x must be a NumPy array. Received: type(x)=str")
      for name in MATRIX_VECTOR],
    (naive.naive_maximum, (M23, V2), ValueError,
     "naive_maximum: x and y cannot be broadcast to one shape. "
     "Received: x.shape=(2, 3), y.shape=(2,)"),
    (naive.naive_maximum, (M23, np.array(["a"])), TypeError,
     "naive_maximum: y must have an integer or floating-point dtype. "
     "Received: y.dtype=<U1"),
    (naive.naive_maximum, ([1], V2), TypeError,
     "naive_maximum: x must be a NumPy array. Received: type(x)=list"),
    (naive.naive_vector_product, (V2, V3), ValueError,
     "naive_vector_product: x and y must have the same shape. "
     "Received: x.shape=(2,), y.shape=(3,)"),
    (naive.naive_vector_product, (M23, M23), ValueError,
     "naive_vector_product: x must be a rank-1 tensor. "
     "Received: x.shape=(2, 3)"),
    (naive.naive_vector_product, (V2, None), TypeError,
     "naive_vector_product: y must be a NumPy array. "
     "Received: type(y)=NoneType"),
    (naive.naive_vector_product, (V2, np.array([1j, 2j])), TypeError,
     "naive_vector_product: y must have an integer or floating-point "
     "dtype. Received: y.dtype=complex128"),
    (naive.naive_matrix_product, (M23, M23), ValueError,
     "naive_matrix_product: x.shape[1] must equal y.shape[0]. "
     "Received: x.shape=(2, 3), y.shape=(2, 3)"),
    (naive.naive_matrix_product, (M23, V3), ValueError,
     "naive_matrix_product: y must be a rank-2 tensor. "
     "Received: y.shape=(3,)"),
    (naive.naive_matrix_product, (np.zeros((2, 3, 1)), M32), ValueError,
     "naive_matrix_product: x must be a rank-2 tensor. "
     "Received: x.shape=(2, 3, 1)"),
    (naive.naive_matrix_product, ([[1.0]], M32), TypeError,
     "naive_matrix_product: x must be a NumPy array. "
     "Received: type(x)=list"),
]


def test_bad_input_is_refused_with_a_clear_message(bad_input):
    bad_input.check()


def test_every_public_function_has_a_bad_input_case():
    assert {row[0].__name__ for row in BAD_INPUTS} == set(naive.__all__)
