"""Benchmarks behind the numbers the book quotes about speed.

Run with ``.venv/bin/python benchmarks/bench.py`` (or ``make bench``). Prints
a table and writes ``_build/bench.json``:

- ``keras_fit_s`` / ``jax_loop_s`` / ``keras_vs_jax_ratio``: 5 epochs of the
  first network (section 2.1) with Keras ``fit`` (``dlpy.training``'s
  ``compile_model`` settings and ``FIT_KWARGS`` with ``verbose=0``) and
  with a hand-written, jitted JAX loop doing the same work: same model and
  initialisation scheme, same data, batches of 128 reshuffled every epoch as
  Keras does, Adam with Keras's defaults written out in ``jax.numpy``, and
  loss and accuracy tracked on the device. Compilation is excluded from
  BOTH: each side first traces and compiles its training step on both
  batch shapes (128 and the last, partial, 96), then the model's weights
  and optimizer state are reset and the timed run starts. The compile
  times are reported separately. Both sides wait for each epoch's
  results before starting the next (Keras through a callback, as its
  ``verbose=2`` log line does). Each side runs ``REPEATS`` times,
  alternating, and the minimum wall time is kept, because the machine may
  be shared. Two cross-checks that suffer less from other processes are
  recorded as well: the CPU time of each run (``time.process_time``, all
  threads) and the fastest single epoch of each side, each with its ratio.
  On a busy machine single runs still vary by 20% or more; the load
  average before and after is recorded so that a reader can judge.
- ``keras_device_data_fit_s`` / ``keras_device_data_vs_jax_ratio``: the
  same ``fit`` with the images and labels placed on the device once
  (``jax.device_put``), so that Keras gathers each batch there instead of
  slicing it with NumPy and copying it over at every step (the JAX loop
  does the latter, like Keras with NumPy arrays).
- ``naive_*_s`` / ``numpy_*_s``: the chapter's element-wise example
  (section 2.3): relu and addition of (20, 100) arrays, 1000 times, with
  the Python loops of ``dlpy.naive`` and with NumPy.
- ``load_data_cold_s`` / ``load_data_warm_s``: ``dlpy.datasets.mnist``
  converting the CSV files into a fresh cache, then reading that cache.
"""

from __future__ import annotations

import json
import os
import pathlib
import sys
import tempfile
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "_build" / "bench.json"
REPEATS = 5
#: ``--quick``: one repeat on a slice of MNIST, the naive ops 20 times (the
#: engine's tests run it so; its numbers mean nothing).
QUICK = False
QUICK_SAMPLES = 1000
SEED = 0


def bench_load_data() -> dict:
    """Cold (CSV -> fresh cache) and warm (cache) MNIST loads."""
    from dlpy.datasets import mnist

    with tempfile.TemporaryDirectory() as tmp:
        # An empty KERAS_HOME, so the cold load really converts the CSVs.
        saved = os.environ.get("KERAS_HOME")
        os.environ["KERAS_HOME"] = str(pathlib.Path(tmp) / "keras")
        try:
            start = time.perf_counter()
            mnist.load_data(cache_dir=tmp)
            cold = time.perf_counter() - start
        finally:
            if saved is None:
                del os.environ["KERAS_HOME"]
            else:
                os.environ["KERAS_HOME"] = saved
        warm = []
        for _ in range(3):
            start = time.perf_counter()
            mnist.load_data(cache_dir=tmp)
            warm.append(time.perf_counter() - start)
    return {"load_data_cold_s": cold, "load_data_warm_s": min(warm)}


def _best_of(function, repeats=3) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def bench_naive(times: int = 1000) -> dict:
    """Element-wise relu and add of (20, 100) arrays, `times` times."""
    from dlpy import naive  # written by another helper; imported lazily

    rng = np.random.default_rng(SEED)
    x = rng.normal(size=(20, 100))
    y = rng.normal(size=(20, 100))

    def loop(function, *args):
        def run():
            for _ in range(times):
                function(*args)

        return run

    return {
        "naive_relu_s": _best_of(loop(naive.naive_relu, x), 1),
        "numpy_relu_s": _best_of(loop(np.maximum, x, 0.0)),
        "naive_add_s": _best_of(loop(naive.naive_add, x, y), 1),
        "numpy_add_s": _best_of(loop(np.add, x, y)),
    }


# ---------------------------------------------------------------- JAX loop


def _jax_trainer():
    """The hand-written training loop: init, jitted Adam step, fit."""
    import jax
    import jax.numpy as jnp

    learning_rate, beta_1, beta_2, epsilon = 1e-3, 0.9, 0.999, 1e-7

    def init(rng):
        params = []
        for fan_in, fan_out in [(784, 512), (512, 10)]:
            limit = np.sqrt(6 / (fan_in + fan_out))  # Glorot uniform
            w = rng.uniform(-limit, limit, (fan_in, fan_out))
            params += [jnp.asarray(w, jnp.float32), jnp.zeros(fan_out)]
        momentums = [jnp.zeros_like(p) for p in params]
        velocities = [jnp.zeros_like(p) for p in params]
        opt_state = (jnp.zeros((), jnp.int32), momentums, velocities)
        metrics = jnp.zeros(3)  # loss sum, correct predictions, samples
        return params, opt_state, metrics

    def loss_and_probs(params, x, y):
        w1, b1, w2, b2 = params
        hidden = jax.nn.relu(x @ w1 + b1)
        probs = jax.nn.softmax(hidden @ w2 + b2)
        clipped = jnp.clip(probs, 1e-7, 1 - 1e-7)
        picked = jnp.take_along_axis(
            clipped, y[:, None].astype(jnp.int32), axis=1
        )
        return -jnp.mean(jnp.log(picked)), probs

    def step(params, opt_state, metrics, x, y):
        (loss, probs), grads = jax.value_and_grad(
            loss_and_probs, has_aux=True
        )(params, x, y)
        t, ms, vs = opt_state
        t = t + 1
        tf = t.astype(jnp.float32)
        alpha = (learning_rate * jnp.sqrt(1 - beta_2**tf)
                 / (1 - beta_1**tf))
        ms = [m + (g - m) * (1 - beta_1) for m, g in zip(ms, grads)]
        vs = [v + (g * g - v) * (1 - beta_2) for v, g in zip(vs, grads)]
        params = [p - m * alpha / (jnp.sqrt(v) + epsilon)
                  for p, m, v in zip(params, ms, vs)]
        n = y.shape[0]
        correct = jnp.sum(jnp.argmax(probs, axis=1) == y)
        metrics = metrics + jnp.stack([loss * n, correct, n])
        return params, (t, ms, vs), metrics

    step = jax.jit(step, donate_argnums=(0, 1, 2))

    def fit(state, x, y, epochs, batch_size):
        params, opt_state, _ = state
        n = len(x)
        logs, times = [], []
        for _ in range(epochs):
            epoch_start = time.perf_counter()
            metrics = jnp.zeros(3)
            order = np.random.permutation(n)  # Keras shuffles like this
            for start in range(0, n, batch_size):
                index = order[start:start + batch_size]
                params, opt_state, metrics = step(
                    params, opt_state, metrics, x[index], y[index]
                )
            loss_sum, correct, count = np.asarray(metrics)  # waits
            logs.append((loss_sum / count, correct / count))
            times.append(time.perf_counter() - epoch_start)
        return params, logs, times

    return init, step, fit


def bench_training() -> dict:
    """Keras fit vs hand-written JAX loop, compilation excluded from both."""
    import jax
    import keras

    from dlpy import runtime
    from dlpy.datasets import mnist
    from dlpy import training

    (x_train, y_train), _ = mnist.load_data()
    x = training.preprocess(x_train)
    y = y_train
    if QUICK:  # a check that every step runs, not a measurement
        x, y = x[:QUICK_SAMPLES], y[:QUICK_SAMPLES]
    fit_kwargs = dict(training.FIT_KWARGS, verbose=0)
    epochs, batch_size = fit_kwargs["epochs"], fit_kwargs["batch_size"]
    warm_n = batch_size + len(x) % batch_size  # one full + the last shape

    class EpochTimer(keras.callbacks.Callback):
        """Waits for each epoch's results (as verbose=2 printing does, and
        as the JAX loop does) and records how long the epoch took."""

        def on_train_begin(self, logs=None):
            self.times = []

        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            float(logs["loss"])  # blocks until the epoch is computed
            self.times.append(time.perf_counter() - self.start)

    # Keras: compile on both batch shapes, then reset weights and Adam.
    runtime.set_seed(SEED)
    model = training.compile_model(training.build_model())
    model.optimizer.build(model.trainable_variables)
    weights0 = model.get_weights()
    optimizer0 = [np.array(v.value) for v in model.optimizer.variables]
    timer = EpochTimer()
    start = time.perf_counter()
    model.fit(x[:warm_n], y[:warm_n], callbacks=[timer],
              **dict(fit_kwargs, epochs=1))
    keras_compile = time.perf_counter() - start
    # The same data placed on the device once: Keras then slices each batch
    # there (a gather) instead of on the host followed by a copy.
    on_device = jax.device_put(x), jax.device_put(y)
    model.fit(on_device[0][:warm_n], on_device[1][:warm_n],
              **dict(fit_kwargs, epochs=1))

    def keras_run(data=(x, y)):
        model.set_weights(weights0)
        for variable, value in zip(model.optimizer.variables, optimizer0):
            variable.assign(value)
        np.random.seed(SEED)
        start, cpu = time.perf_counter(), time.process_time()
        history = model.fit(*data, callbacks=[timer], **fit_kwargs)
        elapsed = time.perf_counter() - start
        cpu = time.process_time() - cpu
        accuracy = history.history["accuracy"][-1]
        return elapsed, cpu, timer.times, accuracy

    # JAX: compile the step on both batch shapes.
    init, step, jax_fit = _jax_trainer()
    start = time.perf_counter()
    state = init(np.random.default_rng(SEED))
    for n in (batch_size, len(x) % batch_size):
        state = step(*state, x[:n], y[:n])
    jax.block_until_ready(state)
    jax_compile = time.perf_counter() - start

    def jax_run():
        state = init(np.random.default_rng(SEED))
        np.random.seed(SEED)
        start, cpu = time.perf_counter(), time.process_time()
        _, logs, times = jax_fit(state, x, y, epochs, batch_size)
        elapsed = time.perf_counter() - start
        cpu = time.process_time() - cpu
        return elapsed, cpu, times, logs[-1][1]

    runs = {"keras": [], "jax": [], "keras_device_data": []}
    for _ in range(1 if QUICK else REPEATS):  # alternate: the same load
        runs["keras"].append(keras_run())
        runs["jax"].append(jax_run())
        runs["keras_device_data"].append(keras_run(on_device))

    def column(side, index):
        return [run[index] for run in runs[side]]

    keras_fit_s, jax_loop_s = min(column("keras", 0)), min(column("jax", 0))
    keras_epoch = min(t for times in column("keras", 2) for t in times)
    jax_epoch = min(t for times in column("jax", 2) for t in times)
    device_data_s = min(column("keras_device_data", 0))
    return {
        "keras_fit_s": keras_fit_s,
        "jax_loop_s": jax_loop_s,
        "keras_vs_jax_ratio": keras_fit_s / jax_loop_s,
        "keras_device_data_fit_s": device_data_s,
        "keras_device_data_vs_jax_ratio": device_data_s / jax_loop_s,
        "keras_fit_runs_s": column("keras", 0),
        "jax_loop_runs_s": column("jax", 0),
        "keras_fit_cpu_s": column("keras", 1),
        "jax_loop_cpu_s": column("jax", 1),
        "keras_vs_jax_cpu_ratio": (min(column("keras", 1))
                                   / min(column("jax", 1))),
        "keras_best_epoch_s": keras_epoch,
        "jax_best_epoch_s": jax_epoch,
        "keras_vs_jax_epoch_ratio": keras_epoch / jax_epoch,
        "keras_compile_s": keras_compile,
        "jax_compile_s": jax_compile,
        "keras_train_accuracy": float(runs["keras"][-1][3]),
        "jax_train_accuracy": float(runs["jax"][-1][3]),
        "compile_kwargs": dict(training.COMPILE_KWARGS),
        "epochs": epochs,
        "batch_size": batch_size,
        "repeats": 1 if QUICK else REPEATS,
        "compilation": "excluded from both",
    }


def main(argv: list[str] | None = None) -> int:
    import argparse

    global OUTPUT, QUICK
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="a tiny run that checks every step works")
    parser.add_argument("--output", type=pathlib.Path, default=OUTPUT,
                        help=f"the JSON file (default: {OUTPUT})")
    args = parser.parse_args(argv)
    OUTPUT, QUICK = args.output.resolve(), args.quick
    start = time.perf_counter()
    import dlpy.runtime

    dlpy.runtime.ensure_keras_backend()
    results = {"device": dlpy.runtime.device_description(),
               "cpu_count": os.cpu_count(),
               "load_average_before": os.getloadavg()[0]}
    results.update(bench_load_data())
    results.update(bench_naive(20 if QUICK else 1000))
    results.update(bench_training())
    results["load_average_after"] = os.getloadavg()[0]
    results["bench_total_s"] = time.perf_counter() - start
    results["quick"] = QUICK

    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(results, indent=2) + "\n")
    width = max(len(key) for key in results)
    print(f"{'measure':<{width}}  value")
    print(f"{'-' * width}  {'-' * 24}")
    for key, value in results.items():
        if isinstance(value, float):
            value = f"{value:.4f}"
        elif isinstance(value, list):
            value = ", ".join(f"{v:.3f}" for v in value)
        print(f"{key:<{width}}  {value}")
    print(f"wrote {OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
