"""Numeric precision for inference and training, chosen by what the hardware computes fast.

``auto`` picks, on CUDA, bf16 where the GPU supports it and fp16 otherwise; on a CPU, bf16 only when
the CPU has native bf16 instructions (AVX512-BF16 or AMX, read from the CPU's feature flags, not guessed
from its vendor) *and* a short bf16 matmul measured in this process beats fp32 by a clear margin. The
measurement is there because the flag alone is not enough: on a virtualised Intel Xeon with
``avx512_bf16`` (and AMX hidden by the hypervisor) bf16 matmuls ran at half the fp32 rate, while an AMD
EPYC with the same flag ran them 4.5x faster. ``fp32``, ``bf16`` and ``fp16`` force a precision.
"""

from __future__ import annotations

import functools
import logging
import os
import time

import torch

logger = logging.getLogger(__name__)

PRECISIONS = ("auto", "fp32", "bf16", "fp16")
DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}
PRECISION_ENV = "STANCEFRAME_PRECISION"
# bf16 must beat fp32 by this factor in the start-up measurement before auto picks it on a CPU.
MIN_CPU_BF16_SPEEDUP = 1.3


def requested_precision() -> str:
    """The precision asked for in ``STANCEFRAME_PRECISION`` (default ``auto``)."""
    return os.environ.get(PRECISION_ENV, "auto").strip().lower() or "auto"


def cpu_has_native_bf16() -> bool:
    """True when the CPU has bf16 dot-product instructions (AVX512-BF16 or AMX tiles)."""
    cpu = torch.cpu
    checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(getattr(cpu, name, lambda: False)() for name in checks)


@functools.cache
def cpu_bf16_speedup() -> float:
    """bf16 over fp32 throughput of an encoder-sized matmul on this CPU, measured once per process.

    Each precision's best of five interleaved rounds counts, so that a burst of work from another process
    (a sibling Ray actor loading its model, say) cannot slow one precision's timing and decide the choice.
    """
    operands = {
        name: (torch.randn(1024, 384, dtype=DTYPES[name]), torch.randn(384, 1536, dtype=DTYPES[name]))
        for name in ("fp32", "bf16")
    }
    best = dict.fromkeys(operands, float("inf"))
    for _ in range(5):
        for name, (a, b) in operands.items():
            a @ b
            start = time.perf_counter()
            for _ in range(4):
                a @ b
            best[name] = min(best[name], time.perf_counter() - start)
    return best["fp32"] / best["bf16"]


def resolve_precision(requested: str, device: torch.device) -> str:
    """Turn ``auto|fp32|bf16|fp16`` into the concrete precision to run at on ``device``."""
    requested = requested.strip().lower()
    if requested not in PRECISIONS:
        raise ValueError(f"precision must be one of {list(PRECISIONS)}, got {requested!r}")
    if device.type == "cuda":
        if requested == "bf16" and not torch.cuda.is_bf16_supported():
            raise ValueError("bf16 was asked for but this GPU does not support it; use fp16 or auto")
        if requested == "auto":
            return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
        return requested
    if requested != "auto":
        return requested
    if not cpu_has_native_bf16():
        logger.info("precision auto: fp32 (this CPU has no native bf16 instructions)")
        return "fp32"
    speedup = cpu_bf16_speedup()
    choice = "bf16" if speedup >= MIN_CPU_BF16_SPEEDUP else "fp32"
    logger.info("precision auto: %s (native bf16; measured bf16/fp32 matmul speed %.2fx)", choice, speedup)
    return choice
