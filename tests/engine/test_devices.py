"""The device model: GPUs from a fake NVML and a fake ``nvidia-smi``, the
one rule for a page's device, slots and memory fractions per card."""

from __future__ import annotations

import os
import stat
import sys
import types
from pathlib import Path

import pytest

from bookengine import devices, kernel
from bookengine.devices import GPU
from bookengine.records import Task

H100 = "NVIDIA H100 80GB HBM3"


class _NVMLError(Exception):
    pass


def fake_nvml(cards: list[dict], driver: str = "550.54.15",
              cuda: int = 12040) -> types.ModuleType:
    """A ``pynvml`` module reporting ``cards`` (each: name, uuid, memory in
    bytes, cc, and optionally ``mig``: a list of (uuid, memory))."""
    nvml = types.ModuleType("pynvml")
    nvml.NVMLError = _NVMLError
    state = {"init": 0}

    def handle(i):
        return ("card", i)

    def info(h):
        card = cards[h[1]]
        total = card["memory"] if h[0] == "card" else card["mig"][h[2]][1]
        return types.SimpleNamespace(total=total)

    def mig_handle(h, j):
        if j >= len(cards[h[1]]["mig"]):
            raise _NVMLError("not found")
        return ("mig", h[1], j)

    def uuid(h):
        card = cards[h[1]]
        return card["uuid"] if h[0] == "card" else card["mig"][h[2]][0]

    def mig_mode(h):
        if "mig" not in cards[h[1]]:
            raise _NVMLError("not supported")
        return (1, 1)

    nvml.nvmlInit = lambda: state.__setitem__("init", state["init"] + 1)
    nvml.nvmlShutdown = lambda: state.__setitem__("init", state["init"] - 1)
    nvml.nvmlSystemGetDriverVersion = lambda: driver.encode()
    nvml.nvmlSystemGetCudaDriverVersion_v2 = lambda: cuda
    nvml.nvmlDeviceGetCount = lambda: len(cards)
    nvml.nvmlDeviceGetHandleByIndex = handle
    nvml.nvmlDeviceGetName = lambda h: cards[h[1]]["name"]
    nvml.nvmlDeviceGetUUID = uuid
    nvml.nvmlDeviceGetMemoryInfo = info
    nvml.nvmlDeviceGetCudaComputeCapability = lambda h: cards[h[1]]["cc"]
    nvml.nvmlDeviceGetMigMode = mig_mode
    nvml.nvmlDeviceGetMaxMigDeviceCount = lambda h: 7
    nvml.nvmlDeviceGetMigDeviceHandleByIndex = mig_handle
    nvml.state = state
    return nvml


@pytest.fixture
def no_nvml(monkeypatch):
    """NVML cannot be imported: ``nvidia-smi`` is the fallback."""
    monkeypatch.setitem(sys.modules, "pynvml", None)


def install_smi(directory: Path, monkeypatch, rows: list[str],
                cuda: str = "12.4") -> None:
    """An ``nvidia-smi`` on PATH that answers the query with ``rows`` and
    prints a header with ``CUDA Version``."""
    directory.mkdir(exist_ok=True)
    smi = directory / "nvidia-smi"
    body = "\n".join(f"echo '{row}'" for row in rows)
    smi.write_text("#!/bin/sh\n"
                   'case "$1" in --query-gpu=*)\n' + body + "\n;;\n"
                   f"*) echo '| NVIDIA-SMI 550.54.15  Driver Version: "
                   f"550.54.15  CUDA Version: {cuda}  |';;\nesac\n")
    smi.chmod(smi.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{directory}{os.pathsep}{os.environ['PATH']}")


@pytest.fixture
def two_h100s(tmp_path, monkeypatch, no_nvml) -> list[GPU]:
    install_smi(tmp_path / "bin", monkeypatch, [
        f"0, GPU-aaaa1111, {H100}, 81559, 9.0, 550.54.15",
        f"1, GPU-bbbb2222, {H100}, 81559, 9.0, 550.54.15"])
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    return devices.discover()


# --------------------------------------------------------------- discovery


def test_nvml_reports_cards_and_mig_instances(monkeypatch) -> None:
    nvml = fake_nvml([
        {"name": H100.encode(), "uuid": b"GPU-1", "memory": 85520809984,
         "cc": (9, 0)},
        {"name": "NVIDIA A100-SXM4-40GB", "uuid": "GPU-2",
         "memory": 42949672960, "cc": (8, 0),
         "mig": [("MIG-a", 10 * 2**30), ("MIG-b", 20 * 2**30)]}])
    monkeypatch.setitem(sys.modules, "pynvml", nvml)
    found = devices.discover()
    assert found == [
        GPU("0", "GPU-1", H100, 81559, "9.0", "550.54.15", "12.4"),
        GPU("1:0", "MIG-a", "NVIDIA A100-SXM4-40GB MIG", 10240, "8.0",
            "550.54.15", "12.4", mig=True),
        GPU("1:1", "MIG-b", "NVIDIA A100-SXM4-40GB MIG", 20480, "8.0",
            "550.54.15", "12.4", mig=True)]
    assert nvml.state["init"] == 0  # shut down again


def test_without_nvml_nvidia_smi_is_asked(two_h100s) -> None:
    assert two_h100s == [
        GPU("0", "GPU-aaaa1111", H100, 81559, "9.0", "550.54.15", "12.4"),
        GPU("1", "GPU-bbbb2222", H100, 81559, "9.0", "550.54.15", "12.4")]


def test_an_nvml_without_driver_falls_back_to_nvidia_smi(
        tmp_path, monkeypatch) -> None:
    nvml = fake_nvml([])

    def broken():
        raise _NVMLError("Driver Not Loaded")

    nvml.nvmlInit = broken
    monkeypatch.setitem(sys.modules, "pynvml", nvml)
    install_smi(tmp_path / "bin", monkeypatch,
                ["0, GPU-c, Tesla T4, 15360, 7.5, 535.1"], cuda="12.2")
    assert devices.discover() == [
        GPU("0", "GPU-c", "Tesla T4", 15360, "7.5", "535.1", "12.2")]


def test_no_gpu_at_all(tmp_path, monkeypatch, no_nvml) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no nvidia-smi
    assert devices.discover() == []


@pytest.mark.parametrize("visible, expected", [
    (None, ["0", "1"]),
    ("1", ["1"]),
    ("1,0", ["1", "0"]),
    ("GPU-bbbb2222", ["1"]),     # a UUID, as CUDA accepts it
    ("GPU-bbbb", ["1"]),         # a unique UUID prefix
    ("", []),                    # every GPU hidden
    ("0,7,1", ["0"]),            # CUDA stops at the first unknown entry
])
def test_cuda_visible_devices_as_cuda_reads_it(two_h100s, visible,
                                                expected) -> None:
    found = devices.discover(visible)
    assert [g.index for g in found] == expected


# ------------------------------------------------- a page's device, slots


def test_one_rule_for_the_device_of_a_page(two_h100s) -> None:
    assert devices.page_device(True, two_h100s) == H100
    assert devices.page_device(True, two_h100s, "GPU-bbbb2222") == H100
    assert devices.page_device(False, two_h100s) == "CPU"
    assert devices.page_device(True, []) == "CPU"


@pytest.mark.parametrize("memory_mib, slots", [
    (81559, 8),    # H100 80 GB
    (143771, 8),   # H200: capped
    (24576, 2),    # a 24 GB card
    (15360, 1),    # T4
    (4096, 1),     # small cards still run one page
])
def test_default_slots_follow_the_cards_memory(memory_mib, slots) -> None:
    gpu = GPU("0", "GPU-x", "card", memory_mib, "9.0", "1", "12.4")
    assert devices.gpu_slots(gpu) == slots
    assert devices.gpu_slots(gpu, 3) == 3


def test_configured_slots_must_be_positive() -> None:
    gpu = GPU("0", "GPU-x", "card", 81559, "9.0", "1", "12.4")
    with pytest.raises(ValueError, match="gpu_slots must be at least 1"):
        devices.gpu_slots(gpu, 0)


@pytest.mark.parametrize("slots", [1, 2, 3, 7, 8])
def test_memory_fractions_share_the_card(slots) -> None:
    fraction = float(devices.memory_fraction(slots))
    # Together the kernels never ask for more than the share of the card,
    # and each gets (to 1/1000) its equal part of it.
    assert fraction * slots <= devices.CARD_MEMORY_SHARE
    assert fraction > devices.CARD_MEMORY_SHARE / slots - 0.001


def _task(root: Path, gpu: bool, **kw) -> Task:
    return Task("book/page", "book/page.md", "{}", str(root), gpu=gpu, **kw)


def test_a_gpu_page_gets_its_card_by_uuid_and_its_share(
        tmp_path, two_h100s, monkeypatch) -> None:
    monkeypatch.setenv("JAX_PLATFORMS", "cpu")  # the user's: not for GPUs
    env, device, gpu = kernel.kernel_environment(
        _task(tmp_path, True, gpu_index="GPU-bbbb2222", gpu_slots=4),
        tmp_path)
    assert device == H100 and gpu == two_h100s[1]
    assert env["CUDA_VISIBLE_DEVICES"] == "GPU-bbbb2222"
    assert env["XLA_PYTHON_CLIENT_PREALLOCATE"] == "false"
    assert env["XLA_PYTHON_CLIENT_MEM_FRACTION"] == "0.225"
    assert "JAX_PLATFORMS" not in env
    # Without a configured number of slots: the card's default (8).
    env, _, _ = kernel.kernel_environment(_task(tmp_path, True), tmp_path)
    assert env["XLA_PYTHON_CLIENT_MEM_FRACTION"] == \
        devices.memory_fraction(8)


def test_other_pages_run_on_the_cpu_with_the_gpus_hidden(
        tmp_path, two_h100s) -> None:
    env, device, gpu = kernel.kernel_environment(_task(tmp_path, False),
                                                 tmp_path)
    assert (device, gpu) == ("CPU", None)
    assert env["CUDA_VISIBLE_DEVICES"] == "" and env["JAX_PLATFORMS"] == "cpu"


def test_without_gpus_a_gpu_page_runs_on_the_cpu(tmp_path, monkeypatch,
                                                 no_nvml) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no nvidia-smi
    _, device, gpu = kernel.kernel_environment(_task(tmp_path, True),
                                               tmp_path)
    assert (device, gpu) == ("CPU", None)


def test_compilation_cache_settings_are_not_recorded(tmp_path) -> None:
    from bookengine import provenance

    env, _, _ = kernel.kernel_environment(
        _task(tmp_path, False, cache_dir=str(tmp_path / "xla")), tmp_path)
    assert env["JAX_COMPILATION_CACHE_DIR"] == str(tmp_path / "xla")
    watched = provenance.watched_variables(env, tmp_path)
    assert not {k for k in watched if "CACHE" in k or "MEM_FRACTION" in k}
