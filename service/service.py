"""Two BentoML services: a thin HTTP layer (`StanceFraming`) over a batching model service.

`StanceFraming` validates requests, splits documents and shapes answers; it never loads weights.
`StanceFrameModel` holds the predictor and exposes one batchable API, `score`, so that
(sentence, target) pairs from concurrent requests share forward passes. Each request is cut
into chunks no larger than the batch size, so a large request is batched too and never refused whole.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import bentoml

from model.config import StanceFrameConfig
from model.store import ModelNotFound, resolve_model_dir
from model.summary import summarise
from service.schemas import SETTINGS, Document, Pair, Sentences, Target


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


@bentoml.service(name="stanceframe-model", **SETTINGS.model_service_config())
class StanceFrameModel:
    """Runs the predictor; the only process that loads weights (and the one that takes the GPU)."""

    stored_model = STORED_MODEL

    def __init__(self):
        from model.predictor import Predictor

        self.predictor = Predictor.from_pretrained(_model_dir(), precision=SETTINGS.precision)

    @bentoml.api
    def runtime(self) -> dict:
        """Where and at which precision the model runs."""
        return {"device": str(self.predictor.device), "precision": self.predictor.precision}

    @bentoml.api(**SETTINGS.batching_options())
    def score(self, pairs: list[Pair]) -> list[dict]:
        """Label (sentence, target) pairs; the unit adaptive batching merges across requests."""
        return self.predictor.predict(
            [pair.text for pair in pairs], targets=[pair.target for pair in pairs], batch_size=SETTINGS.max_batch_size
        )


@bentoml.service(name="stanceframe", **SETTINGS.api_service_config())
class StanceFraming:
    """Stance toward a target and framing labels for news sentences and whole articles."""

    model = bentoml.depends(StanceFrameModel)

    def __init__(self):
        self.config = StanceFrameConfig.from_pretrained(_model_dir())

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
    async def classify(self, sentences: Sentences, target: Target | None = None) -> dict:
        """Label each sentence; results come back in input order with their index as `id`."""
        target = target or self.config.default_target
        results = await self._score_all(sentences, target)
        return {"target": target, "results": [{"id": i, **r} for i, r in enumerate(results)]}

    @bentoml.api
    async def analyze(self, text: Document, target: Target | None = None) -> dict:
        """Split an article into sentences, label each with offsets, and summarise the article."""
        from model.documents import split_sentences

        target = target or self.config.default_target
        spans = split_sentences(text)
        results = await self._score_all([span.text for span in spans], target)
        sentences = [
            {"id": i, **result, "start": span.start, "end": span.end}
            for i, (span, result) in enumerate(zip(spans, results, strict=True))
        ]
        return {"target": target, "sentences": sentences, "summary": summarise(sentences, self.config)}

    async def _score_all(self, sentences: list[str], target: str) -> list[dict]:
        chunk = SETTINGS.max_batch_size
        pieces = [
            [{"text": text, "target": target} for text in sentences[start : start + chunk]]
            for start in range(0, len(sentences), chunk)
        ]
        scored = await asyncio.gather(*(self.model.to_async.score(pairs=piece) for piece in pieces))
        return [result for piece in scored for result in piece]
