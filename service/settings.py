"""Every runtime setting of the service, read once from environment variables.

| variable | default | meaning |
|---|---|---|
| STANCEFRAME_MODEL | stance-framing:latest | BentoML model tag, or a saved model directory |
| STANCEFRAME_MAX_SENTENCES | 256 | most sentences in one /classify request |
| STANCEFRAME_MAX_SENTENCE_CHARS | 2000 | longest sentence, in characters |
| STANCEFRAME_MAX_DOCUMENT_CHARS | 100000 | longest /analyze text, in characters |
| STANCEFRAME_MAX_TARGET_CHARS | 200 | longest target, in characters |
| STANCEFRAME_MAX_BATCH_SIZE | 64 | batching: most sentences in one call to the model worker |
| STANCEFRAME_FORWARD_BATCH_SIZE | 8 on CPU hosts, 64 with GPUs | sentences per forward pass within a call |
| STANCEFRAME_MAX_LATENCY_MS | 60000 | adaptive batching: latency budget before a request is refused |
| STANCEFRAME_BATCHING | 1 | 0 turns batching off: no coalescing, no adaptive batching (each request runs alone) |
| STANCEFRAME_WORKERS | 1 | worker processes, each with its own copy of the model and cores / workers torch threads |
| STANCEFRAME_THREADS | 1 | threads per worker running forward passes (one is fastest on a CPU) |
| STANCEFRAME_GPUS | 0 on CPU hosts, 1 where CUDA is visible | GPUs requested per worker |
| STANCEFRAME_TIMEOUT_S | 300 | request timeout |
| STANCEFRAME_PRECISION | auto | auto, fp32, bf16 or fp16 (see `model.precision`) |
| STANCEFRAME_API_KEY | unset | when set, model endpoints need `Authorization: Bearer <key>` |
| STANCEFRAME_MAX_CONCURRENCY | 128 | /classify and /analyze requests in flight; past it, 503 with Retry-After |
| STANCEFRAME_RETRY_AFTER_S | 2 | the Retry-After a client gets with a 503 |
| STANCEFRAME_MAX_BODY_BYTES | 4 bytes per allowed character + 64 KiB | larger request bodies get 413 unread |
| STANCEFRAME_CHUNKS_IN_FLIGHT | 2 | chunks of one request scored at once; the rest wait (dropped if it fails) |
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from model.precision import PRECISION_ENV, PRECISIONS, requested_precision


def _int(name: str, default: int, minimum: int = 1) -> int:
    raw = os.environ.get(name, str(default))
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return value


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {list(allowed)}, got {value!r}")
    return value


def _cuda_visible() -> bool:
    import torch

    return torch.cuda.is_available()


@dataclass(frozen=True)
class Settings:
    """Limits, batching and resources of the service."""

    model: str
    max_sentences: int
    max_sentence_chars: int
    max_document_chars: int
    max_target_chars: int
    max_batch_size: int
    forward_batch_size: int
    max_latency_ms: int
    batching: bool
    workers: int
    threads: int
    gpus: int
    timeout_s: int
    precision: str
    api_key: str | None
    max_concurrency: int
    retry_after_s: int
    max_body_bytes: int
    chunks_in_flight: int

    @classmethod
    def from_env(cls) -> Settings:
        max_sentences = _int("STANCEFRAME_MAX_SENTENCES", 256)
        max_sentence_chars = _int("STANCEFRAME_MAX_SENTENCE_CHARS", 2000)
        max_document_chars = _int("STANCEFRAME_MAX_DOCUMENT_CHARS", 100_000)
        # UTF-8 takes at most 4 bytes a character; JSON escapes and the target fit in the 64 KiB.
        body_default = 4 * max(max_document_chars, max_sentences * max_sentence_chars) + 65_536
        gpus = _int("STANCEFRAME_GPUS", int(_cuda_visible()), minimum=0)
        return cls(
            model=os.environ.get("STANCEFRAME_MODEL", "stance-framing:latest"),
            max_sentences=max_sentences,
            max_sentence_chars=max_sentence_chars,
            max_document_chars=max_document_chars,
            max_target_chars=_int("STANCEFRAME_MAX_TARGET_CHARS", 200),
            max_batch_size=_int("STANCEFRAME_MAX_BATCH_SIZE", 64),
            # A call's sentences are sorted by length before its forward passes: on a CPU, small passes pad less
            # than one big pass (MPNet on 2 cores, calls of 32 random news sentences: 35.6 sentences/s in passes
            # of 8, 30.0 in passes of 16; MiniLM: 223 in passes of 16 against 146 in one of 64); a GPU wants big ones.
            forward_batch_size=_int("STANCEFRAME_FORWARD_BATCH_SIZE", 64 if gpus else 8),
            max_latency_ms=_int("STANCEFRAME_MAX_LATENCY_MS", 60_000),
            batching=_int("STANCEFRAME_BATCHING", 1, minimum=0) > 0,
            workers=_int("STANCEFRAME_WORKERS", 1),
            threads=_int("STANCEFRAME_THREADS", 1),
            gpus=gpus,
            timeout_s=_int("STANCEFRAME_TIMEOUT_S", 300),
            precision=_choice(PRECISION_ENV, requested_precision(), PRECISIONS),
            api_key=os.environ.get("STANCEFRAME_API_KEY") or None,
            max_concurrency=_int("STANCEFRAME_MAX_CONCURRENCY", 128),
            retry_after_s=_int("STANCEFRAME_RETRY_AFTER_S", 2),
            max_body_bytes=_int("STANCEFRAME_MAX_BODY_BYTES", body_default),
            chunks_in_flight=_int("STANCEFRAME_CHUNKS_IN_FLIGHT", 2),
        )

    def limits(self) -> dict:
        """The request limits a client must stay within, as reported by `/info`."""
        return {
            "max_sentences": self.max_sentences,
            "max_sentence_chars": self.max_sentence_chars,
            "max_document_chars": self.max_document_chars,
            "max_target_chars": self.max_target_chars,
            "max_body_bytes": self.max_body_bytes,
            "max_concurrency": self.max_concurrency,
        }

    def batching_options(self) -> dict:
        """`@bentoml.api` options of the inner scoring API: adaptive batching, or none."""
        if not self.batching:
            return {"batchable": False}
        return {"batchable": True, "max_batch_size": self.max_batch_size, "max_latency_ms": self.max_latency_ms}

    def model_service_config(self) -> dict:
        """`@bentoml.service` options of the model service: workers, GPUs, timeout."""
        config = {
            "workers": self.workers,
            "traffic": {"timeout": self.timeout_s},
            # BentoML 1.4.39 replaces its client session to a dependency every 100 requests or 300 s and closes
            # the old one with requests still in flight on it: they fail with "Server disconnected". Over a
            # local socket nothing needs that refresh, so the session lives as long as the process.
            "runner_connection": {"max_requests": 2**31 - 1, "max_age": 10.0**9},
        }
        if self.gpus:
            config["resources"] = {"gpu": self.gpus}
        return config

    def api_service_config(self) -> dict:
        """`@bentoml.service` options of the HTTP layer: one light worker is enough for validation."""
        return {"workers": 1, "traffic": {"timeout": self.timeout_s}}
