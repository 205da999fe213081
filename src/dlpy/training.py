"""The book's first network, twice: with Keras, then from scratch in JAX.

Keras side (section 2.1): :func:`preprocess`, :func:`build_model`,
:func:`compile_model` and :data:`FIT_KWARGS`. From-scratch side (section
2.5): :class:`NaiveDense`, :class:`NaiveSequential`, :class:`BatchGenerator`,
:func:`sparse_categorical_crossentropy`, :func:`train_step`, :func:`fit`,
:func:`predict` and :func:`evaluate`, the same network written with nothing
but ``jax.numpy`` and ``jax.grad``.

Importing this module loads JAX and Keras (on the JAX backend).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dlpy import _checks as checks
from dlpy.runtime import ensure_keras_backend
from dlpy.tensors import batch_indices

ensure_keras_backend()

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
from jax.typing import ArrayLike  # noqa: E402

__all__ = [
    "BatchGenerator",
    "COMPILE_KWARGS",
    "FIT_KWARGS",
    "NaiveDense",
    "NaiveSequential",
    "build_model",
    "build_naive_model",
    "compile_model",
    "evaluate",
    "fit",
    "loss_fn",
    "predict",
    "preprocess",
    "sparse_categorical_crossentropy",
    "train_step",
]

# --------------------------------------------------------------------------
# Keras side (section 2.1)
# --------------------------------------------------------------------------

#: Settings :func:`compile_model` passes to ``model.compile``, beyond the
#: optimizer, loss and metrics. ``steps_per_execution`` lets Keras run
#: several training steps per call from its Python loop, so callbacks and
#: logging run less often; the numbers it trains to are unchanged.
#: Measured by ``benchmarks/bench.py`` on 2 CPU cores: with the default of
#: 1, ``fit`` took about 13% longer than a hand-written jitted JAX loop;
#: with 32 about 2-4% (8, 16, 128 and 469 were no better).
#: ``jit_compile=True`` is what "auto" picks on JAX, written out.
COMPILE_KWARGS = dict(steps_per_execution=32, jit_compile=True)

#: Arguments the book passes to ``model.fit``: 5 epochs of 128-sample
#: batches, one log line per epoch (``verbose=2``, no progress bar).
FIT_KWARGS = dict(epochs=5, batch_size=128, verbose=2)


def preprocess(images: NDArray[np.uint8]) -> NDArray[Any]:
    """Flatten uint8 images to float32 rows with values in [0, 1].

    Args:
        images: uint8 array of shape ``(n, 28, 28)`` (as loaded) or
            ``(n, 784)`` (already flat), values 0-255.

    Returns:
        float32 array of shape ``(n, 784)``: ``images / 255``.

    Raises:
        TypeError: if ``images`` is not a NumPy array of dtype uint8.
        ValueError: if its shape is neither ``(n, 28, 28)`` nor ``(n, 784)``.

    Introduced in section 2.1.

    Example:
        >>> x = preprocess(np.full((2, 28, 28), 255, dtype=np.uint8))
        >>> x.shape, x.dtype, float(x.max())
        ((2, 784), dtype('float32'), 1.0)
    """
    checks.tensor("preprocess", "images", images, min_ndim=2,
                  numeric=False)
    if images.dtype != np.uint8:
        raise TypeError(
            "preprocess: images must have dtype uint8 (values 0-255). "
            f"Received: images.dtype={images.dtype}"
        )
    if images.shape[1:] not in {(28, 28), (784,)}:
        raise ValueError(
            "preprocess: images must have shape (n, 28, 28) or (n, 784). "
            f"Received: images.shape={images.shape}"
        )
    flat = images.reshape((images.shape[0], 28 * 28))
    return flat.astype("float32") / 255


def build_model() -> keras.Sequential:
    """The first network: Dense(512, relu) then Dense(10, softmax).

    Returns:
        An uncompiled ``keras.Sequential`` built for 784 inputs
        (407,050 parameters).

    Introduced in section 2.1.

    Example:
        >>> build_model().count_params()
        407050
    """
    return keras.Sequential(
        [
            keras.Input(shape=(28 * 28,)),
            keras.layers.Dense(512, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )


def compile_model(model: keras.Model) -> keras.Model:
    """Compile ``model`` with Adam, cross-entropy and accuracy.

    Uses the optimizer ``"adam"`` (Keras's defaults: learning rate 1e-3),
    the loss ``"sparse_categorical_crossentropy"`` (labels are integers,
    not one-hot vectors), the metric ``"accuracy"``, and
    :data:`COMPILE_KWARGS` for speed.

    Args:
        model: a Keras model, e.g. from :func:`build_model`.

    Returns:
        The same model, compiled (so calls can be chained).

    Raises:
        TypeError: if ``model`` is not a ``keras.Model``.

    Introduced in section 2.1.

    Example:
        >>> compile_model(build_model()).loss
        'sparse_categorical_crossentropy'
    """
    if not isinstance(model, keras.Model):
        raise TypeError("compile_model: model must be a keras.Model. "
                        f"Received: type(model)={type(model).__name__}")
    model.compile(
        optimizer="adam",
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        **COMPILE_KWARGS,
    )
    return model


# --------------------------------------------------------------------------
# From scratch (section 2.5)
# --------------------------------------------------------------------------


class NaiveDense:
    """A dense layer by hand: ``activation(inputs @ W + b)``.

    ``W`` starts with Glorot-uniform values (as in Keras's ``Dense``),
    drawn from ``rng``; ``b`` starts at zero.

    Args:
        input_size: number of input features.
        output_size: number of units.
        activation: function applied to ``inputs @ W + b``, e.g.
            ``jax.nn.relu``.
        rng: a ``np.random.Generator`` for the initial weights.

    Raises:
        TypeError: if an argument has the wrong type.
        ValueError: if a size is not positive.

    Introduced in section 2.5.

    Example:
        >>> layer = NaiveDense(3, 2, jax.nn.relu, np.random.default_rng(0))
        >>> layer.W.shape, layer.b.shape, layer(jnp.ones((4, 3))).shape
        ((3, 2), (2,), (4, 2))
    """

    def __init__(
        self,
        input_size: int,
        output_size: int,
        activation: Callable[[jax.Array], jax.Array],
        rng: np.random.Generator,
    ) -> None:
        checks.integer("NaiveDense", "input_size", input_size, minimum=1)
        checks.integer("NaiveDense", "output_size", output_size, minimum=1)
        checks.function("NaiveDense", "activation", activation)
        checks.rng("NaiveDense", rng)
        limit = np.sqrt(6 / (input_size + output_size))
        W = rng.uniform(-limit, limit, size=(input_size, output_size))
        self.W = jnp.asarray(W, dtype=jnp.float32)
        self.b = jnp.zeros((output_size,), dtype=jnp.float32)
        self.activation = activation

    def apply(self, weights: Sequence[jax.Array], inputs: ArrayLike
              ) -> jax.Array:
        """The layer's output for explicit ``weights = [W, b]``."""
        W, b = weights
        return self.activation(jnp.matmul(inputs, W) + b)

    def __call__(self, inputs: ArrayLike) -> jax.Array:
        return self.apply(self.weights, inputs)

    @property
    def weights(self) -> list[jax.Array]:
        """``[W, b]``."""
        return [self.W, self.b]

    @weights.setter
    def weights(self, weights: Sequence[jax.Array]) -> None:
        self.W, self.b = weights


class NaiveSequential:
    """Layers applied one after another; their weights in one flat list.

    JAX differentiates functions of explicit arrays, so besides calling the
    model on inputs (which uses the stored weights), :meth:`apply` runs it
    with any list of weights: that is the function :func:`jax.grad` sees.

    Args:
        layers: the layers, e.g. :class:`NaiveDense` instances.

    Introduced in section 2.5.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> model = NaiveSequential([NaiveDense(3, 4, jax.nn.relu, rng),
        ...                          NaiveDense(4, 2, jax.nn.softmax, rng)])
        >>> [w.shape for w in model.weights]
        [(3, 4), (4,), (4, 2), (2,)]
    """

    def __init__(self, layers: Sequence[NaiveDense]) -> None:
        self.layers = list(layers)
        if not self.layers:
            raise ValueError(
                "NaiveSequential: layers must not be empty. Received: []"
            )

    def apply(self, weights: Sequence[jax.Array], inputs: ArrayLike
              ) -> jax.Array:
        """The model's output for explicit ``weights`` (flat list)."""
        x = jnp.asarray(inputs)
        start = 0
        for layer in self.layers:
            count = len(layer.weights)
            x = layer.apply(weights[start:start + count], x)
            start += count
        return x

    def __call__(self, inputs: ArrayLike) -> jax.Array:
        return self.apply(self.weights, inputs)

    @property
    def weights(self) -> list[jax.Array]:
        """All layers' weights in order, as ``[W1, b1, W2, b2, ...]``."""
        return [w for layer in self.layers for w in layer.weights]

    @weights.setter
    def weights(self, weights: Sequence[jax.Array]) -> None:
        weights = list(weights)
        if len(weights) != len(self.weights):
            raise ValueError(
                f"NaiveSequential: expected {len(self.weights)} weight "
                f"arrays. Received: {len(weights)}"
            )
        start = 0
        for layer in self.layers:
            count = len(layer.weights)
            layer.weights = weights[start:start + count]
            start += count


def build_naive_model(rng: np.random.Generator) -> NaiveSequential:
    """The first network again, from scratch: 784 -> 512 (relu) -> 10.

    Args:
        rng: a ``np.random.Generator`` for the initial weights.

    Returns:
        A :class:`NaiveSequential` of two :class:`NaiveDense` layers.

    Introduced in section 2.5.

    Example:
        >>> model = build_naive_model(np.random.default_rng(0))
        >>> sum(w.size for w in model.weights)
        407050
    """
    return NaiveSequential(
        [
            NaiveDense(28 * 28, 512, jax.nn.relu, rng),
            NaiveDense(512, 10, jax.nn.softmax, rng),
        ]
    )


class BatchGenerator:
    """Mini-batches of ``(images, labels)``, reshuffled at every pass.

    Each ``for`` loop over the generator is one epoch. With a random
    generator ``rng``, every epoch visits the samples in a new random order
    (``rng.permutation``), so each batch is a random draw from the data and
    no two epochs cut the same batches; with ``rng=None`` the samples come
    in their stored order (useful to predict or evaluate). Every sample
    appears exactly once per epoch; the last batch may be smaller.

    Args:
        images: array of samples, first axis = sample.
        labels: array of labels, same length as ``images``.
        batch_size: samples per batch (the last batch may be smaller).
        rng: a ``np.random.Generator`` that shuffles each epoch, e.g.
            ``np.random.default_rng(0)``, or ``None`` to keep the order.

    Raises:
        TypeError: if ``batch_size`` is not an int or ``rng`` is neither a
            ``np.random.Generator`` nor ``None``.
        ValueError: if ``batch_size`` < 1 or the lengths differ.

    Introduced in section 2.5.

    Example:
        >>> batches = BatchGenerator(np.zeros((5, 2)), np.arange(5), 2)
        >>> len(batches), [labels.tolist() for _, labels in batches]
        (3, [[0, 1], [2, 3], [4]])
        >>> shuffled = BatchGenerator(np.zeros((5, 2)), np.arange(5), 2,
        ...                           rng=np.random.default_rng(0))
        >>> sorted(np.concatenate([y for _, y in shuffled]).tolist())
        [0, 1, 2, 3, 4]
    """

    def __init__(self, images: np.ndarray, labels: np.ndarray,
                 batch_size: int = 128,
                 rng: np.random.Generator | None = None) -> None:
        if len(images) != len(labels):
            raise ValueError(
                "BatchGenerator: images and labels must have the same "
                f"length. Received: len(images)={len(images)}, "
                f"len(labels)={len(labels)}"
            )
        checks.integer("BatchGenerator", "batch_size", batch_size, minimum=1)
        checks.rng("BatchGenerator", rng, optional=True)
        self.images = images
        self.labels = labels
        self.batch_size = int(batch_size)
        self.rng = rng

    def __len__(self) -> int:
        return -(-len(self.images) // self.batch_size)  # ceiling division

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        # A new shuffle at every pass (section 2.2's batch_indices).
        for batch in batch_indices(len(self.images), self.batch_size,
                                   self.rng):
            yield self.images[batch], self.labels[batch]


def sparse_categorical_crossentropy(y_true: ArrayLike, y_pred: ArrayLike
                                    ) -> jax.Array:
    """Mean of ``-log(probability the model gives the true class)``.

    Args:
        y_true: integer labels, shape ``(n,)``.
        y_pred: probabilities, shape ``(n, classes)``, rows summing to 1.

    Returns:
        A scalar. Probabilities are clipped to ``[1e-7, 1 - 1e-7]`` first,
        as Keras does, so a confident mistake costs a lot but never
        infinity.

    Introduced in section 2.5.

    Example:
        >>> y_pred = jnp.array([[0.5, 0.5], [0.9, 0.1]])
        >>> round(float(sparse_categorical_crossentropy(
        ...     jnp.array([0, 0]), y_pred)), 4)  # (log 2 - log 0.9) / 2
        0.3993
    """
    y_pred = jnp.clip(y_pred, 1e-7, 1 - 1e-7)
    rows = jnp.arange(y_pred.shape[0])
    picked = y_pred[rows, jnp.asarray(y_true, dtype=jnp.int32)]
    return -jnp.mean(jnp.log(picked))


def loss_fn(weights: Sequence[jax.Array], model: NaiveSequential,
            images: ArrayLike, labels: ArrayLike) -> jax.Array:
    """The model's average loss on a batch, as a function of its weights.

    Introduced in section 2.5.
    """
    predictions = model.apply(weights, images)
    return sparse_categorical_crossentropy(labels, predictions)


@functools.partial(jax.jit, static_argnums=0)
def train_step(model: NaiveSequential, weights: Sequence[jax.Array],
               images: ArrayLike, labels: ArrayLike, learning_rate: float
               ) -> tuple[list[jax.Array], jax.Array]:
    """One step of mini-batch gradient descent (SGD) on one batch.

    For every weight array ``w`` with gradient ``g`` of the batch loss:
    ``w = w - learning_rate * g``. Compiled by ``jax.jit``; the model's
    layer structure is fixed, its weights are arguments.

    Args:
        model: a :class:`NaiveSequential` (its structure; its stored
            weights are not used).
        weights: the current weights, e.g. ``model.weights``.
        images: a batch of inputs, float32 ``(batch_size, 784)``.
        labels: the batch's integer labels, ``(batch_size,)``.
        learning_rate: the step size.

    Returns:
        ``(new_weights, loss)``: the updated list of weights and the
        batch's loss before the update.

    Introduced in section 2.5.
    """
    loss, gradients = jax.value_and_grad(loss_fn)(
        weights, model, images, labels
    )
    new_weights = [w - learning_rate * g
                   for w, g in zip(weights, gradients)]
    return new_weights, loss


def fit(model: NaiveSequential, images: NDArray[Any], labels: NDArray[Any],
        rng: np.random.Generator,
        epochs: int = 5, batch_size: int = 128, learning_rate: float = 0.1,
        verbose: bool = False) -> list[float]:
    """Train ``model`` in place with mini-batch SGD on shuffled batches.

    Each epoch draws a new random order of the samples from ``rng`` (see
    :class:`BatchGenerator`) and takes one :func:`train_step` per batch;
    the model keeps the final weights. The same seed gives the same
    batches, hence the same training run.

    Args:
        model: the :class:`NaiveSequential` to train.
        images: float32 ``(n, 784)``, e.g. from :func:`preprocess`.
        labels: integer labels ``(n,)``.
        rng: a ``np.random.Generator`` that shuffles the samples at every
            epoch, e.g. ``np.random.default_rng(0)``.
        epochs: passes over the data.
        batch_size: samples per step.
        learning_rate: SGD step size.
        verbose: print one line per epoch.

    Returns:
        The average loss of each epoch (over its samples).

    Raises:
        TypeError: if ``epochs`` is not an int or ``rng`` is not a
            ``np.random.Generator``.
        ValueError: if ``epochs`` < 1 (batch checks: see BatchGenerator).

    Introduced in section 2.5.

    Example:
        >>> model = build_naive_model(np.random.default_rng(0))
        >>> images = np.random.default_rng(1).random((64, 784), "float32")
        >>> history = fit(model, images, np.arange(64) % 10,
        ...               np.random.default_rng(2), epochs=2, batch_size=32)
        >>> len(history)
        2
    """
    checks.integer("fit", "epochs", epochs, minimum=1)
    checks.rng("fit", rng)
    batches = BatchGenerator(images, labels, batch_size, rng)
    weights = model.weights
    history = []
    for epoch in range(epochs):
        total = 0.0
        for images_batch, labels_batch in batches:  # a new order each time
            weights, loss = train_step(model, weights, images_batch,
                                       labels_batch, learning_rate)
            total += loss * len(images_batch)
        history.append(float(total) / len(images))
        if verbose:
            print(f"Epoch {epoch + 1}/{epochs} - loss: {history[-1]:.4f}")
    model.weights = weights
    return history


def predict(model: NaiveSequential, images: ArrayLike) -> NDArray[Any]:
    """Class probabilities for ``images``, as a NumPy array.

    Introduced in section 2.5.
    """
    return np.asarray(model(jnp.asarray(images)))


def evaluate(model: NaiveSequential, images: ArrayLike,
             labels: ArrayLike) -> float:
    """Accuracy: the fraction of ``images`` whose most probable class is
    the label.

    Introduced in section 2.5.

    Example:
        >>> model = build_naive_model(np.random.default_rng(0))
        >>> 0 <= evaluate(model, np.zeros((3, 784)), np.array([0, 1, 2])) <= 1
        True
    """
    predicted = predict(model, images).argmax(axis=1)
    return float(np.mean(predicted == np.asarray(labels)))
