"""Tests for dlpy.training: the Keras network and the one from scratch.

References: NumPy for preprocessing and forward passes, Keras's own loss and
optimizer defaults, and ``jax.grad`` of a loss written independently here
(from logits with log-sum-exp, not from clipped probabilities).
"""

import inspect

import numpy as np
import pytest

from dlpy import runtime, training  # sets KERAS_BACKEND before keras loads

import jax  # noqa: E402, I001
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402


@pytest.fixture(scope="module")
def mnist_data(built_cache):
    return built_cache[1]


def _tiny_model(seed=0, sizes=(6, 5, 3)):
    rng = np.random.default_rng(seed)
    return training.NaiveSequential(
        [
            training.NaiveDense(sizes[0], sizes[1], jax.nn.relu, rng),
            training.NaiveDense(sizes[1], sizes[2], jax.nn.softmax, rng),
        ]
    )


def _tiny_batch(seed=1, n=8, features=6, classes=3):
    rng = np.random.default_rng(seed)
    images = rng.uniform(0, 1, size=(n, features)).astype(np.float32)
    labels = rng.integers(0, classes, size=n).astype(np.uint8)
    return images, labels


def _reference_loss(weights, images, labels):
    """Cross-entropy from logits, written without dlpy."""
    w1, b1, w2, b2 = weights
    hidden = jnp.maximum(images @ w1 + b1, 0.0)
    logits = hidden @ w2 + b2
    log_probs = logits - jax.scipy.special.logsumexp(
        logits, axis=1, keepdims=True
    )
    return -jnp.mean(log_probs[jnp.arange(len(labels)), labels])


# ------------------------------------------------------------- preprocess


def test_preprocess_images():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(5, 28, 28), dtype=np.uint8)
    images[0, 0, 0], images[0, 0, 1] = 0, 255
    x = training.preprocess(images)
    assert x.shape == (5, 784) and x.dtype == np.float32
    assert x.min() == 0.0 and x.max() == 1.0
    expected = images.reshape(5, -1).astype(np.float64) / 255.0
    np.testing.assert_allclose(x, expected, rtol=1e-6)
    assert images.dtype == np.uint8  # input untouched


def test_preprocess_accepts_flat_images():
    images = np.full((2, 784), 51, dtype=np.uint8)
    np.testing.assert_allclose(training.preprocess(images), 0.2, rtol=1e-6)


# ------------------------------------------------------------ Keras model


def test_build_model_architecture():
    model = training.build_model()
    assert model.built and not model.compiled
    assert model.count_params() == 407_050
    dense = [layer for layer in model.layers]
    assert [layer.units for layer in dense] == [512, 10]
    assert [layer.activation for layer in dense] == [
        keras.activations.relu,
        keras.activations.softmax,
    ]
    assert model.input_shape == (None, 784)
    assert model.output_shape == (None, 10)
    # 784 * 512 + 512 and 512 * 10 + 10, counted by hand.
    assert [layer.count_params() for layer in dense] == [401_920, 5_130]


def test_compile_model_settings():
    model = training.build_model()
    assert training.compile_model(model) is model
    assert isinstance(model.optimizer, keras.optimizers.Adam)
    optimizer, reference = model.optimizer, keras.optimizers.Adam()
    for key in ("beta_1", "beta_2", "epsilon", "amsgrad"):
        assert getattr(optimizer, key) == getattr(reference, key)
    learning_rate = float(optimizer.learning_rate.value)
    assert learning_rate == pytest.approx(1e-3)
    assert learning_rate == float(reference.learning_rate.value)
    assert model.loss == "sparse_categorical_crossentropy"


# --------------------------------------------------------- from scratch


def test_naive_dense_forward_matches_numpy():
    rng = np.random.default_rng(3)
    layer = training.NaiveDense(6, 4, jax.nn.relu, rng)
    inputs = rng.normal(size=(5, 6)).astype(np.float32)
    W, b = np.asarray(layer.W), np.asarray(layer.b)
    expected = np.maximum(inputs @ W + b, 0.0)
    np.testing.assert_allclose(layer(inputs), expected, rtol=1e-5,
                               atol=1e-6)
    assert layer.weights[0] is layer.W and layer.weights[1] is layer.b


def test_naive_dense_init_is_seeded_glorot():
    a = training.NaiveDense(784, 512, jax.nn.relu,
                            np.random.default_rng(0))
    b = training.NaiveDense(784, 512, jax.nn.relu,
                            np.random.default_rng(0))
    c = training.NaiveDense(784, 512, jax.nn.relu,
                            np.random.default_rng(1))
    np.testing.assert_array_equal(a.W, b.W)
    assert not np.array_equal(a.W, c.W)
    limit = np.sqrt(6 / (784 + 512))
    assert float(jnp.abs(a.W).max()) <= limit
    assert float(jnp.std(a.W)) == pytest.approx(limit / np.sqrt(3),
                                                rel=0.01)
    assert a.W.dtype == jnp.float32 and not np.any(np.asarray(a.b))


def test_naive_sequential_forward_and_weights():
    model = _tiny_model()
    images, _ = _tiny_batch()
    w1, b1, w2, b2 = (np.asarray(w, np.float64) for w in model.weights)
    hidden = np.maximum(images @ w1 + b1, 0)
    logits = hidden @ w2 + b2
    expected = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(model(images), expected, rtol=1e-5)
    new = [w + 1 for w in model.weights]
    model.weights = new
    assert all(a is b for a, b in zip(model.weights, new))
    with pytest.raises(ValueError, match="expected 4 weight arrays"):
        model.weights = new[:3]


def test_loss_matches_keras():
    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.ones(10), size=16).astype(np.float32)
    probs[0] = np.eye(10)[3]  # a certain and wrong prediction: clipped
    labels = rng.integers(0, 10, size=16)
    labels[0] = 4
    ours = training.sparse_categorical_crossentropy(labels, probs)
    theirs = keras.losses.sparse_categorical_crossentropy(labels, probs)
    assert float(ours) == pytest.approx(float(np.mean(theirs)), rel=1e-5)


def test_train_step_gradient_matches_jax_grad_of_reference():
    model = _tiny_model()
    images, labels = _tiny_batch()
    weights = model.weights
    learning_rate = 0.5
    new_weights, loss = training.train_step(
        model, weights, images, labels, learning_rate
    )
    ref_loss, ref_grads = jax.value_and_grad(_reference_loss)(
        weights, images, labels
    )
    assert float(loss) == pytest.approx(float(ref_loss), rel=1e-5)
    for w, new, g in zip(weights, new_weights, ref_grads):
        # the SGD rule, computed here: w - learning_rate * g
        expected = np.asarray(w) - learning_rate * np.asarray(g)
        np.testing.assert_allclose(new, expected, rtol=1e-5, atol=1e-6)
        assert new.shape == w.shape
    # train_step is pure: the model's stored weights did not move.
    assert all(a is b for a, b in zip(model.weights, weights))


def _reference_loss_numpy(weights, images, labels):
    """The same cross-entropy in NumPy, in float64: the finite
    differences' reference (46 evaluations, each a few microseconds,
    where JAX dispatching op by op took a second)."""
    w1, b1, w2, b2 = weights
    hidden = np.maximum(images @ w1 + b1, 0.0)
    logits = hidden @ w2 + b2
    top = logits.max(axis=1, keepdims=True)
    log_probs = logits - (top + np.log(np.exp(logits - top).sum(
        axis=1, keepdims=True)))
    return -np.mean(log_probs[np.arange(len(labels)), labels])


def test_loss_gradient_matches_finite_differences():
    model = _tiny_model(sizes=(4, 3, 2))
    images, labels = _tiny_batch(n=5, features=4, classes=2)
    weights = [np.asarray(w, np.float64) for w in model.weights]
    as_float64 = images.astype(np.float64)
    grads = [np.asarray(g) for g in jax.grad(training.loss_fn)(
        model.weights, model, images, labels)]
    eps = 1e-2
    for k in range(len(weights)):
        for index in np.ndindex(weights[k].shape):
            plus = [w.copy() for w in weights]
            minus = [w.copy() for w in weights]
            plus[k][index] += eps
            minus[k][index] -= eps
            numeric = (
                _reference_loss_numpy(plus, as_float64, labels)
                - _reference_loss_numpy(minus, as_float64, labels)
            ) / (2 * eps)
            assert float(grads[k][index]) == pytest.approx(
                float(numeric), abs=2e-3
            )


def test_fit_one_full_batch_step_is_one_sgd_step():
    model = _tiny_model()
    images, labels = _tiny_batch()
    weights = model.weights
    grads = jax.grad(_reference_loss)(weights, images, labels)
    history = training.fit(model, images, labels, np.random.default_rng(0),
                           epochs=1, batch_size=len(images),
                           learning_rate=0.1)
    assert len(history) == 1
    assert history[0] == pytest.approx(
        float(_reference_loss(weights, images, labels)), rel=1e-5
    )
    for new, w, g in zip(model.weights, weights, grads):
        np.testing.assert_allclose(new, np.asarray(w) - 0.1 * np.asarray(g),
                                   rtol=1e-5, atol=1e-6)


def test_fit_lowers_the_loss_and_prints(capsys):
    model = _tiny_model()
    images, labels = _tiny_batch(n=40)
    history = training.fit(model, images, labels, np.random.default_rng(0),
                           epochs=4, batch_size=16, learning_rate=0.5,
                           verbose=True)
    assert len(history) == 4
    assert history[-1] < history[0]
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Epoch 1/4 - loss: ")
    assert len(lines) == 4


def test_fit_is_reproducible_for_a_seed_and_depends_on_it():
    images, labels = _tiny_batch(n=40)
    runs = []
    for seed in (0, 0, 1):
        model = _tiny_model()
        history = training.fit(model, images, labels,
                               np.random.default_rng(seed), epochs=3,
                               batch_size=8, learning_rate=0.5)
        runs.append((history, [np.asarray(w) for w in model.weights]))
    (h0, w0), (h0_again, w0_again), (h1, w1) = runs
    assert h0 == h0_again
    for a, b in zip(w0, w0_again):
        np.testing.assert_array_equal(a, b)
    # Another seed cuts other batches, so the run ends elsewhere.
    assert not all(np.array_equal(a, b) for a, b in zip(w0, w1))


def test_fit_walks_the_batches_that_the_generator_draws(monkeypatch):
    """fit draws one permutation per epoch from rng, in batch order."""
    images, labels = _tiny_batch(n=10)
    seen = []

    def record(model, weights, images_batch, labels_batch, learning_rate):
        seen.append(np.asarray(images_batch).copy())
        return weights, 0.0

    monkeypatch.setattr(training, "train_step", record)
    training.fit(_tiny_model(), images, labels, np.random.default_rng(5),
                 epochs=2, batch_size=4)
    # The reference: one np.random permutation per epoch, cut in fours.
    rng = np.random.default_rng(5)
    reference = [images[order[start:start + 4]] for order in
                 (rng.permutation(10) for _ in range(2))
                 for start in (0, 4, 8)]
    assert len(seen) == len(reference) == 6
    for got, want in zip(seen, reference):
        np.testing.assert_array_equal(got, want)


def test_predict_and_evaluate_match_a_numpy_forward_pass():
    model = _tiny_model()
    images, labels = _tiny_batch(n=50)
    w1, b1, w2, b2 = (np.asarray(w, np.float64) for w in model.weights)
    logits = np.maximum(images @ w1 + b1, 0) @ w2 + b2
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(training.predict(model, images), probs,
                               rtol=1e-5)
    accuracy = np.mean(logits.argmax(axis=1) == labels)
    assert 0 < accuracy < 1  # a test that can tell right from wrong
    assert training.evaluate(model, images, labels) == accuracy


def test_evaluate_counts_by_hand():
    """A one-layer identity model: the predicted class is the largest
    input, so the accuracy is known without running any model."""
    layer = training.NaiveDense(3, 3, jax.nn.softmax,
                                np.random.default_rng(0))
    layer.weights = [jnp.eye(3), jnp.zeros(3)]
    model = training.NaiveSequential([layer])
    images = np.array([[5, 0, 0], [0, 5, 0], [0, 0, 5], [5, 0, 0]],
                      dtype=np.float32)
    assert training.evaluate(model, images, np.array([0, 1, 0, 2])) == 0.5


@pytest.mark.parametrize("n, batch_size, sizes", [
    (10, 3, [3, 3, 3, 1]),
    (9, 3, [3, 3, 3]),
    (2, 5, [2]),
    (1, 1, [1]),
])
def test_batch_generator_covers_all_samples(n, batch_size, sizes):
    images = np.arange(n * 2).reshape(n, 2)
    labels = np.arange(n)
    batches = training.BatchGenerator(images, labels, batch_size)
    assert len(batches) == len(sizes)
    seen = list(batches)
    assert [len(x) for x, _ in seen] == sizes
    np.testing.assert_array_equal(np.concatenate([x for x, _ in seen]),
                                  images)
    np.testing.assert_array_equal(np.concatenate([y for _, y in seen]),
                                  labels)
    assert len(list(batches)) == len(sizes)  # can be iterated again


def _epochs(batches, count):
    """The order of the labels (= sample indices) in ``count`` epochs."""
    return [np.concatenate([y for _, y in batches]) for _ in range(count)]


@pytest.mark.parametrize("n, batch_size", [(10, 3), (128, 32), (7, 7)])
def test_shuffled_batches_see_every_sample_once_per_epoch(n, batch_size):
    images = np.arange(n * 2).reshape(n, 2)
    labels = np.arange(n)
    batches = training.BatchGenerator(images, labels, batch_size,
                                      rng=np.random.default_rng(0))
    for epoch in _epochs(batches, 3):
        assert sorted(epoch.tolist()) == list(range(n))
    # images and labels stay paired: row i of images is (2i, 2i + 1).
    for x, y in batches:
        np.testing.assert_array_equal(x[:, 0], 2 * y)
        assert len(x) <= batch_size


def test_shuffled_order_changes_between_epochs():
    labels = np.arange(100)
    batches = training.BatchGenerator(labels[:, None], labels, 10,
                                      rng=np.random.default_rng(0))
    first, second, third = _epochs(batches, 3)
    assert not np.array_equal(first, second)
    assert not np.array_equal(second, third)
    assert not np.array_equal(first, labels)  # not the stored order


def test_shuffled_order_is_fixed_by_the_seed():
    labels = np.arange(50)

    def orders(seed):
        batches = training.BatchGenerator(labels[:, None], labels, 8,
                                          rng=np.random.default_rng(seed))
        return _epochs(batches, 2)

    for a, b in zip(orders(3), orders(3)):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(orders(3)[0], orders(4)[0])
    # The reference: one permutation per epoch, drawn in turn.
    rng = np.random.default_rng(3)
    for got in orders(3):
        np.testing.assert_array_equal(got, rng.permutation(50))


# ------------------------------------------------ accuracy on real MNIST


# The full trainings (5 epochs on all 60,000 images: Keras above 97 %, the
# network from scratch above 90 %) are the book's claims, asserted by the
# book's own build (book/ch02/first-network.md, looking-back.md). Here, a
# short run on real digits: each network learns far beyond chance (10 %).
SHORT_TRAIN, SHORT_TEST = 6000, 2000


@pytest.mark.slow
def test_keras_model_learns_mnist_in_two_short_epochs(mnist_data):
    (x_train, y_train), (x_test, y_test) = mnist_data
    runtime.set_seed(0)
    model = training.compile_model(training.build_model())
    history = model.fit(
        training.preprocess(x_train[:SHORT_TRAIN]), y_train[:SHORT_TRAIN],
        **dict(training.FIT_KWARGS, epochs=2, verbose=0))
    loss = history.history["loss"]
    assert loss[1] < loss[0]
    _, accuracy = model.evaluate(training.preprocess(x_test[:SHORT_TEST]),
                                 y_test[:SHORT_TEST], verbose=0)
    assert accuracy >= 0.85


@pytest.mark.slow
def test_scratch_model_learns_mnist_in_two_short_epochs(mnist_data):
    (x_train, y_train), (x_test, y_test) = mnist_data
    model = training.build_naive_model(np.random.default_rng(0))
    history = training.fit(model, training.preprocess(x_train[:SHORT_TRAIN]),
                           y_train[:SHORT_TRAIN], np.random.default_rng(0),
                           epochs=2, batch_size=128, learning_rate=0.1)
    assert history[1] < history[0]
    accuracy = training.evaluate(model,
                                 training.preprocess(x_test[:SHORT_TEST]),
                                 y_test[:SHORT_TEST])
    assert accuracy >= 0.8


# ------------------------------------- what the book shows of each listing


@pytest.mark.parametrize("obj", [
    training.NaiveDense, training.NaiveSequential, training.BatchGenerator,
    training.build_naive_model, training.sparse_categorical_crossentropy,
    training.train_step, training.fit, training.evaluate,
])
def test_the_book_listings_keep_the_logic_and_drop_the_checks(
        obj, teaching_core):
    core = teaching_core(obj)
    assert "raise" not in core and '"""' not in core
    assert "checks." not in core
    full = inspect.getsource(obj)
    assert len(core.splitlines()) < len(full.splitlines())


def test_the_train_step_listing_is_the_update(teaching_core):
    core = teaching_core(training.train_step)
    assert core.splitlines()[-6:] == [
        "    loss, gradients = jax.value_and_grad(loss_fn)(",
        "        weights, model, images, labels",
        "    )",
        "    new_weights = [w - learning_rate * g",
        "                   for w, g in zip(weights, gradients)]",
        "    return new_weights, loss",
    ]
    assert core.startswith("@functools.partial(jax.jit, static_argnums=0)")


# ------------------------------------------------------------- bad input

IMAGES, LABELS = _tiny_batch()
RNG = np.random.default_rng(0)

BAD_INPUTS = [
    (training.preprocess, ([[0] * 784],), TypeError,
     "preprocess: images must be a NumPy array. Received: type(images)=list"),
    (training.preprocess, (np.zeros((2, 28, 28), np.float32),), TypeError,
     "preprocess: images must have dtype uint8 (values 0-255). "
     "Received: images.dtype=float32"),
    (training.preprocess, (np.zeros((784,), np.uint8),), ValueError,
     "preprocess: images must have rank >= 2. Received: images.shape=(784,)"),
    (training.preprocess, (np.zeros((2, 28, 27), np.uint8),), ValueError,
     "preprocess: images must have shape (n, 28, 28) or (n, 784). "
     "Received: images.shape=(2, 28, 27)"),
    (training.compile_model, ("model",), TypeError,
     "compile_model: model must be a keras.Model. Received: type(model)=str"),
    (training.NaiveDense, (0, 3, jax.nn.relu, RNG), ValueError,
     "NaiveDense: input_size must be >= 1. Received: input_size=0"),
    (training.NaiveDense, (3, True, jax.nn.relu, RNG), TypeError,
     "NaiveDense: output_size must be an integer. "
     "Received: output_size=True (type bool)"),
    (training.NaiveDense, (3, 3, "relu", RNG), TypeError,
     "NaiveDense: activation must be callable. "
     "Received: type(activation)=str"),
    (training.NaiveDense, (3, 3, jax.nn.relu, 0), TypeError,
     "NaiveDense: rng must be a np.random.Generator, e.g. "
     "np.random.default_rng(0). Received: rng=0"),
    (training.NaiveSequential, ([],), ValueError,
     "NaiveSequential: layers must not be empty. Received: []"),
    (training.fit, (_tiny_model(), IMAGES, LABELS, RNG, 0), ValueError,
     "fit: epochs must be >= 1. Received: epochs=0"),
    (training.fit, (_tiny_model(), IMAGES, LABELS, None), TypeError,
     "fit: rng must be a np.random.Generator, e.g. "
     "np.random.default_rng(0). Received: rng=None"),
    (training.BatchGenerator, (np.zeros((3, 2)), np.zeros(4), 2), ValueError,
     "BatchGenerator: images and labels must have the same length. "
     "Received: len(images)=3, len(labels)=4"),
    (training.BatchGenerator, (np.zeros((3, 2)), np.zeros(3), 2.5),
     TypeError, "BatchGenerator: batch_size must be an integer. "
     "Received: batch_size=2.5 (type float)"),
    (training.BatchGenerator, (np.zeros((3, 2)), np.zeros(3), 2, 0),
     TypeError, "BatchGenerator: rng must be a np.random.Generator, e.g. "
     "np.random.default_rng(0) or None. Received: rng=0"),
]


def test_bad_input_is_refused_with_a_clear_message(bad_input):
    bad_input.check()
