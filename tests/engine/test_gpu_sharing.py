"""Sharing a card: slots per GPU, the log when a page waits for one, the
setting and the option, the duration history per (page, device)."""

from __future__ import annotations

import json

import pytest

from bookengine import devices, engine as engine_module, schedule
from bookengine.devices import GPU
from bookengine.engine import Engine
from bookengine.records import Result, Task

from .test_devices import H100

CARD = GPU("0", "GPU-aaaa1111", H100, 81559, "9.0", "550.54.15", "12.4")


def _tasks(n: int) -> list[Task]:
    return [Task(f"g{i}", f"g{i}.md", "{}", "/tmp", gpu=True)
            for i in range(n)]


def test_a_card_holds_as_many_pages_as_it_has_slots(fake_execute) -> None:
    messages: list[str] = []
    list(schedule.run_local(_tasks(5), 8, messages.append, gpus=[CARD],
                            slots=3))
    assert fake_execute["max_per_card"][CARD.uuid] == 3
    assert {t.gpu_slots for t in fake_execute["seen"]} == {3}
    assert {t.gpu_index for t in fake_execute["seen"]} == {CARD.uuid}
    assert "executing g0.md on GPU 0 (slot 1 of 3)" in messages
    # Two pages had to wait, and the log says so, once each.
    waits = [m for m in messages if "waits for a GPU slot" in m]
    assert waits == ["g3.md waits for a GPU slot (all 3 in use)",
                     "g4.md waits for a GPU slot (all 3 in use)"]


def test_by_default_the_slots_follow_the_cards_memory(fake_execute) -> None:
    list(schedule.run_local(_tasks(10), 16, lambda m: None, gpus=[CARD]))
    assert fake_execute["max_per_card"][CARD.uuid] == \
        devices.gpu_slots(CARD) == 8


def test_pages_spread_over_the_cards(fake_execute) -> None:
    other = GPU("1", "GPU-bbbb2222", H100, 81559, "9.0", "550.54.15", "12.4")
    list(schedule.run_local(_tasks(4), 4, lambda m: None,
                            gpus=[CARD, other], slots=2))
    by_card = [t.gpu_index for t in fake_execute["seen"]]
    assert by_card.count(CARD.uuid) == by_card.count(other.uuid) == 2


# ------------------------------------------------------------- the engine


def test_gpu_slots_setting_and_option(book) -> None:
    assert Engine(book.root).gpu_slots is None
    text = (book.root / "pyproject.toml").read_text()
    (book.root / "pyproject.toml").write_text(
        text.replace("[tool.bookengine]\n", "[tool.bookengine]\n"
                     "gpu_slots = 3\n"))
    engine = Engine(book.root, say=lambda m: None)
    assert engine.gpu_slots == 3
    page = next(p for p in engine.pages() if p.gpu)
    task = engine.task(page)
    assert task.gpu_slots == 3
    assert task.cache_dir == str(book.root / "_build" / ".xla-cache")
    code, output, _ = book.run("build", "--gpu-slots", "0")
    assert code == 2 and "--gpu-slots must be at least 1" in output


def test_durations_are_kept_per_page_and_device(book, monkeypatch) -> None:
    """The longest-first order uses the times measured on the device the
    page gets here, not those of another machine."""
    engine = Engine(book.root, say=lambda m: None)
    engine.history_path.parent.mkdir(parents=True, exist_ok=True)
    engine.history_path.write_text(json.dumps({
        "book/alpha": {"CPU": 1.0, H100: 90.0},
        "book/beta": {"CPU": 5.0},
        "book/gamma": 12.0,     # an older history file: per page only
    }))
    order: list[str] = []

    def run_local(tasks, jobs, say, gpus=None, slots=None):
        for task in tasks:
            order.append(task.page)
            yield Result(task.page, task.source, "{}", None, {}, {}, "CPU",
                         {"seconds": 2.0, "kernel_seconds": 3.5})

    monkeypatch.setattr(engine_module, "run_local", run_local)
    monkeypatch.setattr(devices, "visible_gpus", lambda: [])
    monkeypatch.setattr(engine.store, "put", lambda *a, **k: None)
    assert engine.execute(1) == []
    # gamma was never timed per device (first), then beta (5 s on the
    # CPU), then alpha (1 s on the CPU; its 90 s on an H100 do not count).
    assert order == ["book/gamma", "book/beta", "book/alpha"]
    history = json.loads(engine.history_path.read_text())
    assert history["book/alpha"] == {"CPU": 3.5, H100: 90.0}
    assert history["book/gamma"] == {"CPU": 3.5}


@pytest.mark.slow
def test_kernels_share_a_compilation_cache_that_is_no_input(tmp_path) -> None:
    """A real JAX in the kernel writes its compiled program to the cache;
    neither the cache's files nor its settings enter the page's record."""
    import nbformat

    from bookengine.kernel import execute_page

    root = tmp_path / "project"
    (root / "book").mkdir(parents=True)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "import jax, jax.numpy as jnp\n"
        "float(jax.jit(lambda x: (x * 3.0).sum())(jnp.ones(5)))")]
    cache = tmp_path / "xla-cache"
    task = Task("book/page", "book/page.md", nbformat.writes(nb), str(root),
                timeout=120, cache_dir=str(cache))
    result = execute_page(task)
    assert result.failure is None, result.failure
    assert any(cache.iterdir())  # the program was cached
    assert not [name for name in result.files if str(cache) in name]
    variables = result.environment["variables"]
    assert not [k for k in variables if k.startswith("JAX_PERSISTENT")
                or k == "JAX_COMPILATION_CACHE_DIR"]
    # Run again: the same program comes from the cache (no new file).
    before = sorted(p.name for p in cache.iterdir())
    assert execute_page(task).failure is None
    assert sorted(p.name for p in cache.iterdir()) == before
