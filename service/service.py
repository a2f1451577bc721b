"""Two BentoML services: a thin HTTP layer (`StanceFraming`) over a batching model service.

`StanceFraming` validates requests, splits documents and shapes answers; it never loads weights.
`StanceFrameModel` holds the predictor and exposes one batchable API, `score`, so that
(sentence, target) pairs from concurrent requests share forward passes. Each request is cut
into chunks no larger than the batch size, so a large request is batched too and never refused whole.
Requests with `"explain": true` go to its unbatched `explain` API instead. The analyst's page
(`service/ui_app.py`) is mounted at `/ui`.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import bentoml

from model.config import StanceFrameConfig
from model.store import ModelNotFound, resolve_model_dir
from service.schemas import SETTINGS, Document, Pair, Sentences, Target
from service.ui_app import ui_app


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

    @bentoml.api
    def explain(self, pairs: list[Pair]) -> list[dict]:
        """`score` plus each result's `evidence` (`model.explain`); not batched, so `score` never waits for it."""
        from model.explain import add_evidence

        results = self.predictor.predict(
            [pair.text for pair in pairs], targets=[pair.target for pair in pairs], batch_size=SETTINGS.max_batch_size
        )
        return add_evidence(self.predictor, results, batch_size=SETTINGS.max_batch_size)


@bentoml.asgi_app(ui_app, path="/ui")
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
    async def classify(self, sentences: Sentences, target: Target | None = None, explain: bool = False) -> dict:
        """Label each sentence; results come back in input order with their index as `id`.

        With `explain`, each result has `evidence`: the words behind its stance and each predicted frame.
        """
        target = target or self.config.default_target
        results = await self._score_all(sentences, target, explain)
        return {"target": target, "results": [{"id": i, **r} for i, r in enumerate(results)]}

    @bentoml.api
    async def analyze(self, text: Document, target: Target | None = None, explain: bool = False) -> dict:
        """Split an article into sentences, label each with offsets, and summarise the article.

        With `explain`, each sentence has `evidence`, with offsets into the sentence's `text`.
        """
        from model.documents import split_sentences

        target = target or self.config.default_target
        spans = split_sentences(text)
        results = await self._score_all([span.text for span in spans], target, explain)
        sentences = [
            {"id": i, **result, "start": span.start, "end": span.end}
            for i, (span, result) in enumerate(zip(spans, results, strict=True))
        ]
        return {"target": target, "sentences": sentences, "summary": summarise(sentences, self.config)}

    async def _score_all(self, sentences: list[str], target: str, explain: bool = False) -> list[dict]:
        chunk = SETTINGS.max_batch_size
        score = self.model.to_async.explain if explain else self.model.to_async.score
        pieces = [
            [{"text": text, "target": target} for text in sentences[start : start + chunk]]
            for start in range(0, len(sentences), chunk)
        ]
        scored = await asyncio.gather(*(score(pairs=piece) for piece in pieces))
        return [result for piece in scored for result in piece]


def summarise(sentences: list[dict], config) -> dict:
    """Count of each stance and frame, and the share of sentences carrying each frame."""
    total = len(sentences)
    frame_counts = {label: sum(label in s["frames"] for s in sentences) for label in config.frame_labels}
    return {
        "sentences": total,
        "stance_counts": {label: sum(s["stance"] == label for s in sentences) for label in config.stance_labels},
        "frame_counts": frame_counts,
        "frame_shares": {label: (count / total if total else 0.0) for label, count in frame_counts.items()},
    }
