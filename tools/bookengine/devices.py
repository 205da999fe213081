"""The machine's GPUs, and which device a page gets.

:func:`discover` lists the NVIDIA GPUs through NVML (the ``pynvml`` module of
``nvidia-ml-py``), or, where NVML cannot be loaded, through ``nvidia-smi``:
for each card (or each MIG instance) its CUDA id, UUID, name, memory,
compute capability, and the driver and CUDA versions. ``CUDA_VISIBLE_DEVICES``
restricts the list the way CUDA does (indices, UUIDs or UUID prefixes; an
empty value hides every GPU).

:func:`page_device` is the one rule that decides a page's device: the
scheduler uses it to place a page, the staleness rule to compare a record's
device with the one the page would get now. :func:`gpu_slots` and
:func:`memory_fraction` share a card between several kernels.

Standard library only (NVML is optional): it runs on Dask workers and on
bare GPU machines.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import shutil
import subprocess
from typing import Any, Iterable

#: The device label of a page that runs on the CPU.
CPU = "CPU"

#: One kernel slot per this many GB (10**9 bytes, as cards are sold) of GPU
#: memory, when nothing is configured: the book's pages each use a few
#: hundred MiB (an MLP on MNIST), so a card holds several; an 80 GB card
#: gets 8.
GB_PER_SLOT = 10
MAX_DEFAULT_SLOTS = 8

#: The share of a card's memory all its kernels together may take (XLA's
#: own default for one process is 0.75; the rest is CUDA's and the driver's).
CARD_MEMORY_SHARE = 0.9


@dataclasses.dataclass(frozen=True)
class GPU:
    """One NVIDIA GPU (or MIG instance) as the driver reports it."""

    index: str                    # CUDA id: "0", or "0:1" for a MIG instance
    uuid: str                     # "GPU-..." or "MIG-..."
    name: str                     # "NVIDIA H100 80GB HBM3"
    memory_mib: int
    compute_capability: str       # "9.0"
    driver: str                   # "550.54.15"
    cuda: str                     # the driver's CUDA version, "12.4"
    mig: bool = False             # a MIG instance of card ``index``'s parent

    def details(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


# --------------------------------------------------------------------------
# Discovery
# --------------------------------------------------------------------------


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _cuda_version(number: int) -> str:
    """NVML's CUDA driver version (12040) as "12.4"."""
    return f"{number // 1000}.{number % 1000 // 10}"


def _from_nvml() -> list[GPU] | None:
    """Every GPU NVML reports, ``None`` where NVML is unavailable."""
    try:
        import pynvml  # type: ignore[import-untyped]
    except ImportError:
        return None
    try:
        pynvml.nvmlInit()
    except Exception:  # noqa: BLE001 - pynvml.NVMLError: no driver
        return None
    try:
        driver = _text(pynvml.nvmlSystemGetDriverVersion())
        cuda = _cuda_version(pynvml.nvmlSystemGetCudaDriverVersion_v2())
        found = []
        for i in range(pynvml.nvmlDeviceGetCount()):
            handle = pynvml.nvmlDeviceGetHandleByIndex(i)
            name = _text(pynvml.nvmlDeviceGetName(handle))
            major, minor = pynvml.nvmlDeviceGetCudaComputeCapability(handle)
            cc = f"{major}.{minor}"
            try:
                mig = pynvml.nvmlDeviceGetMigMode(handle)[0] == 1
            except Exception:  # noqa: BLE001 - NVMLError_NotSupported
                mig = False
            if not mig:
                memory = pynvml.nvmlDeviceGetMemoryInfo(handle).total
                found.append(GPU(str(i), _text(pynvml.nvmlDeviceGetUUID(
                    handle)), name, memory // 2**20, cc, driver, cuda))
                continue
            count = pynvml.nvmlDeviceGetMaxMigDeviceCount(handle)
            for j in range(count):
                try:
                    part = pynvml.nvmlDeviceGetMigDeviceHandleByIndex(
                        handle, j)
                except Exception:  # noqa: BLE001 - NVMLError_NotFound
                    continue
                memory = pynvml.nvmlDeviceGetMemoryInfo(part).total
                found.append(GPU(f"{i}:{j}", _text(pynvml.nvmlDeviceGetUUID(
                    part)), f"{name} MIG", memory // 2**20, cc, driver, cuda,
                    mig=True))
        return found
    except Exception:  # noqa: BLE001 - a partly working NVML: try the CLI
        return None
    finally:
        try:
            pynvml.nvmlShutdown()
        except Exception:  # noqa: BLE001
            pass


def _run(args: list[str]) -> str | None:
    try:
        out = subprocess.run(args, capture_output=True, text=True,
                             timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout if out.returncode == 0 else None


def _from_smi() -> list[GPU]:
    """Every GPU ``nvidia-smi`` reports (empty when there is none). MIG
    instances are not listed one by one here: NVML does that."""
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return []
    fields = "index,uuid,name,memory.total,compute_cap,driver_version"
    table = _run([smi, f"--query-gpu={fields}",
                  "--format=csv,noheader,nounits"])
    if table is None:
        return []
    header = _run([smi]) or ""
    match = re.search(r"CUDA Version:\s*([0-9.]+)", header)
    cuda = match.group(1) if match else "unknown"
    found = []
    for line in table.splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) != 6:
            continue
        index, uuid, name, memory, cc, driver = parts
        try:
            mib = int(float(memory))
        except ValueError:
            mib = 0
        found.append(GPU(index, uuid, name, mib, cc, driver, cuda))
    return found


def _visible(gpus: list[GPU], visible: str) -> list[GPU]:
    """The GPUs ``CUDA_VISIBLE_DEVICES=visible`` leaves, in its order
    (CUDA stops at the first entry it cannot match)."""
    chosen: list[GPU] = []
    for entry in (e.strip() for e in visible.split(",")):
        match = [g for g in gpus if entry and (
            g.index == entry or g.uuid == entry
            or (entry.startswith(("GPU-", "MIG-"))
                and g.uuid.startswith(entry)))]
        if len(match) != 1:
            break
        if match[0] not in chosen:
            chosen.append(match[0])
    return chosen


def discover(visible: str | None = None) -> list[GPU]:
    """The NVIDIA GPUs of this machine (NVML, else ``nvidia-smi``), as
    ``CUDA_VISIBLE_DEVICES=visible`` leaves them (``None``: all)."""
    gpus = _from_nvml()
    if gpus is None:
        gpus = _from_smi()
    if visible is None:
        return gpus
    return _visible(gpus, visible)


def visible_gpus() -> list[GPU]:
    """The GPUs this process may use (its ``CUDA_VISIBLE_DEVICES``)."""
    return discover(os.environ.get("CUDA_VISIBLE_DEVICES"))


# --------------------------------------------------------------------------
# The device of a page; sharing a card
# --------------------------------------------------------------------------


def page_device(wants_gpu: bool, gpus: Iterable[GPU],
                assigned: str | None = None) -> str:
    """The device label of a page: the GPU's name when the page declared a
    GPU and the machine has one (``assigned``: the CUDA id the scheduler
    gave it), else ``"CPU"``. One rule, for placing a page and for deciding
    whether its record's device still holds."""
    gpus = list(gpus)
    if not wants_gpu or not gpus:
        return CPU
    for gpu in gpus:
        if assigned is None or assigned in (gpu.index, gpu.uuid):
            return gpu.name
    return CPU


def gpu_slots(gpu: GPU, configured: int | None = None) -> int:
    """How many kernels share ``gpu`` at once: ``configured`` (the
    ``gpu_slots`` setting or ``--gpu-slots``), else one per
    :data:`GB_PER_SLOT` GB of its memory, at least 1 and at most
    :data:`MAX_DEFAULT_SLOTS`."""
    if configured is not None:
        if configured < 1:
            raise ValueError(f"gpu_slots must be at least 1. Received: "
                             f"gpu_slots={configured}")
        return configured
    slots = int(gpu.memory_mib * 2**20 // (GB_PER_SLOT * 10**9))
    return max(1, min(MAX_DEFAULT_SLOTS, slots))


def memory_fraction(slots: int) -> str:
    """``XLA_PYTHON_CLIENT_MEM_FRACTION`` for one of ``slots`` kernels on a
    card: an equal share of :data:`CARD_MEMORY_SHARE`, as JAX reads it."""
    share = math.floor(CARD_MEMORY_SHARE / max(1, slots) * 1000) / 1000
    return f"{share:.3f}"
