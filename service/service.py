"""Two BentoML services: a thin HTTP layer (`StanceFraming`) over a batching model service.

`StanceFraming` validates requests, splits documents and shapes answers; it never loads weights.
`StanceFrameModel` holds the predictor and exposes one batchable API, `score`, so that
(sentence, target) pairs from concurrent requests share forward passes. Each request is cut
into chunks no larger than the batch size, so a large request is batched too and never refused whole.
In front of the hop, `service.coalescer` merges the chunks of concurrent requests into shared calls, so
that the cost of a call between the two services is paid per batch, not per request.

Why two processes and not one: the HTTP layer outlives the model worker. When the model worker dies
(out of memory, a killed process) the HTTP layer is still there to answer 503 with Retry-After while
BentoML restarts the worker, instead of clients seeing dropped connections. A request feeds the model
at most `STANCEFRAME_CHUNKS_IN_FLIGHT` chunks at a time, so when it fails or its client goes away the
chunks not yet sent are dropped instead of being scored for nobody.

Requests with `"explain": true` go to its unbatched `explain` API instead. The analyst's page
(`service/ui_app.py`) is mounted at `/ui`.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import bentoml
from bentoml.exceptions import BentoMLException, ServiceUnavailable

from model.config import StanceFrameConfig
from model.store import ModelNotFound, resolve_model_dir
from model.summary import summarise
from service.coalescer import Coalescer
from service.drain import defer_sigterm_until_idle
from service.gateway import Gateway, install_log_filter
from service.schemas import SETTINGS, Document, Pair, Sentences, Target
from service.ui_app import ui_app

logger = logging.getLogger("bentoml.stanceframe.service")  # through `bentoml serve`'s log handlers
MODEL_ROUTES = frozenset({"/classify", "/analyze"})


def _bento_model(reference: str):
    """A BentoModel for a store tag (so `bentoml build` packages it), None for a directory."""
    if Path(reference).expanduser().is_dir():
        return None
    try:
        resolve_model_dir(reference)
    except ModelNotFound as error:
        raise SystemExit(f"stanceframe service cannot start: {error}") from None
    return bentoml.models.BentoModel(reference)


STORED_MODEL = _bento_model(SETTINGS.model)


def _model_dir() -> Path:
    return Path(STORED_MODEL.resolve().path) if STORED_MODEL else resolve_model_dir(SETTINGS.model)


def _load_predictor():
    import torch

    from model.predictor import Predictor

    # torch's default is one thread per core in every worker; the workers share the cores instead.
    torch.set_num_threads(max(1, torch.get_num_threads() // SETTINGS.workers))
    return Predictor.from_pretrained(_model_dir(), precision=SETTINGS.precision)


@bentoml.service(name="stanceframe-model", **SETTINGS.model_service_config())
class StanceFrameModel:
    """Runs the predictor; the only process that loads weights (and the one that takes the GPU).

    The weights are loaded, and every forward pass runs, on the worker's own inference thread
    (`STANCEFRAME_THREADS`, one by default), not on the server's event loop or thread pool. torch's OpenMP
    runtime (libgomp) keeps a thread team per calling thread, and once it manages more threads than there are
    cores it spins only 100 times before sleeping (see GOMP_SPINCOUNT). With the weights loaded on the main
    thread and the passes run on another, MPNet ran 32.0 sentences/s in process on two cores against 35.5
    on one thread, and the model worker left a tenth of the CPU idle.
    """

    stored_model = STORED_MODEL

    def __init__(self):
        self.inference = ThreadPoolExecutor(SETTINGS.threads, thread_name_prefix="inference")
        self.predictor = self.inference.submit(_load_predictor).result()
        self.last_pass, self.passes_running, self.passes_lock = time.monotonic(), 0, threading.Lock()
        defer_sigterm_until_idle(self._last_activity, idle_s=5.0)  # longer than splitting a maximal text

    @bentoml.api
    def runtime(self) -> dict:
        """Where and at which precision the model runs."""
        return {"device": str(self.predictor.device), "precision": self.predictor.precision}

    @bentoml.api(**SETTINGS.batching_options())
    async def score(self, pairs: list[Pair]) -> list[dict]:
        """Label (sentence, target) pairs; the unit adaptive batching merges across requests."""
        return await self._infer(self._predict, pairs)

    @bentoml.api
    async def explain(self, pairs: list[Pair]) -> list[dict]:
        """`score` plus each result's `evidence` (`model.explain`); not batched, so it never joins a `score` batch."""
        from model.explain import add_evidence

        def predict_and_explain():
            return add_evidence(self.predictor, self._predict(pairs), batch_size=SETTINGS.max_batch_size)

        return await self._infer(predict_and_explain)

    async def _infer(self, function, *args):
        def timed():
            with self.passes_lock:
                self.passes_running += 1
            try:
                return function(*args)
            finally:
                with self.passes_lock:
                    self.passes_running -= 1
                    self.last_pass = time.monotonic()

        return await asyncio.wrap_future(self.inference.submit(timed))

    def _last_activity(self) -> float:
        """Now while a pass runs, else when the last one ended: SIGTERM waits until this is old enough."""
        return time.monotonic() if self.passes_running else self.last_pass

    @bentoml.on_shutdown
    def stop_inference(self):
        """Passes still queued when the server stops are cancelled (the drain has waited for the ones in use)."""
        self.inference.shutdown(wait=False, cancel_futures=True)

    def _predict(self, pairs: list[Pair]) -> list[dict]:
        texts, targets = [pair.text for pair in pairs], [pair.target for pair in pairs]
        return self.predictor.predict(texts, targets=targets, batch_size=SETTINGS.forward_batch_size)


@bentoml.asgi_app(ui_app, path="/ui")
@bentoml.service(name="stanceframe", **SETTINGS.api_service_config())
class StanceFraming:
    """Stance toward a target and framing labels for news sentences and whole articles."""

    model = bentoml.depends(StanceFrameModel)

    def __init__(self):
        self.config = StanceFrameConfig.from_pretrained(_model_dir())
        # One call per model worker: everything that queues while it is scored goes in the next call. Two per
        # worker halved each call (about 16 sentences at 32 clients), which cost more than the hop they hid.
        self.coalescer = (
            Coalescer(self._call_model, SETTINGS.max_batch_size, calls_in_flight=SETTINGS.workers)
            if SETTINGS.batching
            else None
        )

    @bentoml.api(route="/info")
    async def info(self) -> dict:
        """The served model: tag, base encoder, labels, thresholds, default target, precision and limits."""
        config = self.config
        return {
            "model": str(STORED_MODEL.tag) if STORED_MODEL else str(_model_dir()),
            "base_model": config.base_model,
            "stance_labels": config.stance_labels,
            "frame_labels": config.frame_labels,
            "frame_thresholds": config.frame_thresholds,
            "default_target": config.default_target,
            "max_seq_length": config.max_seq_length,
            **await self.model.to_async.runtime(),
            "limits": SETTINGS.limits(),
        }

    @bentoml.api
    async def classify(
        self, ctx: bentoml.Context, sentences: Sentences, target: Target | None = None, explain: bool = False
    ) -> dict:
        """Label each sentence; results come back in input order with their index as `id`.

        With `explain`, each result has `evidence`: the words behind its stance and each predicted frame.
        """
        target = target or self.config.default_target
        results = await self._score_all(sentences, target, ctx.request, explain)
        return {"target": target, "results": [{"id": i, **r} for i, r in enumerate(results)]}

    @bentoml.api
    async def analyze(
        self, ctx: bentoml.Context, text: Document, target: Target | None = None, explain: bool = False
    ) -> dict:
        """Split an article into sentences, label each with offsets, and summarise the article.

        With `explain`, each sentence has `evidence`, with offsets into the sentence's `text`.
        """
        from model.documents import split_sentences

        target = target or self.config.default_target
        spans = await asyncio.to_thread(split_sentences, text)  # a 100,000-character text takes a second
        results = await self._score_all([span.text for span in spans], target, ctx.request, explain)
        sentences = [
            {"id": i, **result, "start": span.start, "end": span.end}
            for i, (span, result) in enumerate(zip(spans, results, strict=True))
        ]
        return {"target": target, "sentences": sentences, "summary": summarise(sentences, self.config)}

    async def _score_all(self, sentences: list[str], target: str, request, explain: bool = False) -> list[dict]:
        """Score in chunks, a few at a time; stop feeding the model when one fails or the client leaves."""
        chunk, arrived = SETTINGS.max_batch_size, time.monotonic()
        pieces = [
            [{"text": text, "target": target} for text in sentences[start : start + chunk]]
            for start in range(0, len(sentences), chunk)
        ]
        scored: list[list[dict] | None] = [None] * len(pieces)
        todo = iter(enumerate(pieces))

        async def feed():
            for index, piece in todo:
                if await request.is_disconnected():
                    raise ClientGone
                scored[index] = await self._score(piece, explain, arrived)

        workers = [asyncio.ensure_future(feed()) for _ in range(min(SETTINGS.chunks_in_flight, len(pieces)))]
        try:
            await asyncio.gather(*workers)
        except BaseException as failure:  # one failed chunk fails the request: stop the other feeders
            for worker in workers:
                worker.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            if isinstance(failure, ClientGone):
                unscored = sum(piece is None for piece in scored)
                logger.info("client went away; %d of %d chunks left unscored", unscored, len(pieces))
                raise asyncio.CancelledError from None
            raise
        return [result for piece in scored for result in piece]

    async def _score(self, piece: list[dict], explain: bool, arrived: float) -> list[dict]:
        if explain:
            return await self._call_model(piece, explain=True)
        if self.coalescer:
            return await self.coalescer.score(piece, arrived)
        return await self._call_model(piece)

    async def _call_model(self, piece: list[dict], explain: bool = False) -> list[dict]:
        """One call to the model service; a dead or restarting model worker becomes 503 Service Unavailable."""
        score = self.model.to_async.explain if explain else self.model.to_async.score
        try:
            return await score(pairs=piece)
        except BentoMLException as error:
            if error.error_code.value < 500:
                raise
            raise _model_unavailable(error) from error
        except (OSError, asyncio.TimeoutError) as error:
            raise _model_unavailable(error) from error
        except Exception as error:
            if type(error).__module__.split(".")[0] in ("aiohttp", "httpx", "httpcore"):
                raise _model_unavailable(error) from error
            raise


class ClientGone(Exception):
    """The client disconnected while its request was being scored."""


def _model_unavailable(error: Exception) -> ServiceUnavailable:
    logger.warning("model worker unreachable (%s: %s); answering 503", type(error).__name__, error)
    return ServiceUnavailable("the model worker is restarting; retry shortly")


StanceFraming.add_asgi_middleware(
    Gateway,
    api_key=SETTINGS.api_key,
    max_body_bytes=SETTINGS.max_body_bytes,
    max_concurrency=SETTINGS.max_concurrency,
    retry_after_s=SETTINGS.retry_after_s,
    protected=MODEL_ROUTES | {"/info"},
    admitted=MODEL_ROUTES,
    readable=frozenset({"/info"}),
)
install_log_filter()
