"""Local scheduling: jobs at once, one page per GPU, longest first."""

from __future__ import annotations

import threading

import pytest

from bookengine import schedule
from bookengine.devices import GPU
from bookengine.records import Result, Task


def _task(name: str, gpu: bool = False) -> Task:
    return Task(name, f"{name}.md", "{}", "/tmp", gpu=gpu)


def test_jobs_bound_the_pages_running_at_once(fake_execute,
                                              monkeypatch) -> None:
    """Three at once, observed: each page waits at a barrier of three
    before it finishes (with fewer running, the barrier breaks)."""
    barrier = threading.Barrier(3, timeout=60)
    slow = schedule.execute_page

    def execute(task: Task, worker: str = "local") -> Result:
        barrier.wait()
        return slow(task, worker)

    monkeypatch.setattr(schedule, "execute_page", execute)
    tasks = [_task(f"p{i}") for i in range(6)]
    results = list(schedule.run_local(tasks, 3, lambda m: None, gpus=[]))
    assert sorted(r.page for r in results) == sorted(t.page for t in tasks)
    assert fake_execute["max"] <= 3  # never more (the barrier showed three)


def test_with_one_slot_each_gpu_page_gets_a_card_of_its_own(
        fake_execute, monkeypatch) -> None:
    gpus = [GPU(str(i), f"GPU-{i}", "GPU", 81559, "9.0", "5", "12.4")
            for i in range(2)]
    tasks = [_task(f"g{i}", gpu=True) for i in range(5)] + [_task("cpu")]
    list(schedule.run_local(tasks, 6, lambda m: None, gpus=gpus, slots=1))
    # never two on a card
    assert max(fake_execute["max_per_card"].values()) == 1
    by_name = {t.page: t for t in fake_execute["seen"]}
    assert {by_name[f"g{i}"].gpu_index for i in range(5)} == {"GPU-0",
                                                             "GPU-1"}
    assert by_name["cpu"].gpu_index is None
    assert fake_execute["max"] <= 3  # two GPU pages and the CPU page


def test_without_gpus_a_gpu_page_runs_on_the_cpu(fake_execute,
                                                 monkeypatch) -> None:
    list(schedule.run_local([_task("g", gpu=True)], 2, lambda m: None,
                            gpus=[]))
    assert fake_execute["seen"][0].gpu_index is None
