"""dlpy.autodiff.jaxpr_lines against the jaxpr's own list of equations."""

import jax
import jax.numpy as jnp
import pytest

from dlpy.autodiff import jaxpr_lines


def rain_loss(w_h, w_p, b):
    z = w_h * 0.75 + w_p * 0.5 + b
    err = jax.nn.relu(z) - 2.5
    return err * err


def two_layers(x, W1, W2):
    return jnp.sum(jax.nn.relu(x @ W1) @ W2)


CASES = [
    (lambda a, b: a * b + a, (1.0, 2.0)),
    (rain_loss, (2.0, 1.5, -0.25)),
    (jax.grad(rain_loss, argnums=(0, 1, 2)), (2.0, 1.5, -0.25)),
    (two_layers, (jnp.ones((4, 3)), jnp.ones((3, 5)), jnp.ones((5, 2)))),
    (jax.grad(two_layers, argnums=1),
     (jnp.ones((4, 3)), jnp.ones((3, 5)), jnp.ones((5, 2)))),
]


@pytest.mark.parametrize("f, args", CASES)
def test_one_line_per_equation_naming_its_operation(f, args):
    closed = jax.make_jaxpr(f)(*args)
    lines = jaxpr_lines(closed)
    eqns = closed.jaxpr.eqns
    assert len(lines) == len(eqns)
    for line, eqn in zip(lines, eqns):
        outputs, operation = line.split(" = ")
        assert len(outputs.split()) == len(eqn.outvars)
        # A named call (jax.nn.relu) shows its name, anything else its
        # primitive; no types and no parameters remain.
        name = str(eqn.params.get("name", ""))
        shown = operation.split()[0]
        assert shown in (eqn.primitive.name, name) or (
            "custom_jvp" in eqn.primitive.name and shown == "relu")
        assert len(operation.split()) == 1 + len(eqn.invars)
        assert "[" not in line and ":" not in line


def test_the_gradient_adds_the_two_paths_through_err_times_err():
    lines = jaxpr_lines(jax.make_jaxpr(
        jax.grad(rain_loss, argnums=(0, 1, 2)))(2.0, 1.5, -0.25))
    assert sum(" add_any " in line for line in lines) == 1
    assert any(line.endswith("= relu g") for line in lines)


def test_a_notebook_s_colours_do_not_leak_in(monkeypatch):
    # In a Jupyter kernel JAX prints jaxprs in colour by default; the
    # escape codes hold "[", which a parser of brackets must not meet.
    from jax._src import pretty_printer

    closed = jax.make_jaxpr(rain_loss)(2.0, 1.5, -0.25)
    monkeypatch.setattr(pretty_printer, "CAN_USE_COLOR", True)
    assert "\x1b[" in str(closed)  # the colours are really on
    assert jaxpr_lines(closed) == [
        "d = mul a 0.75", "e = mul b 0.5", "f = add d e", "g = add f c",
        "h = relu g", "k = sub h 2.5", "l = mul k k"]
