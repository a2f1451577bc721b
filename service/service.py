"""The HTTP layer: validate, send (sentence, target) pairs through adaptive batching, shape answers.

`classify` and `analyze` call the batchable `score` API through BentoML's self-proxy, so
sentences from concurrent requests share forward passes; each request is cut into chunks
no larger than the batch size, so a large request is batched too and never refused whole.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import bentoml

from model.store import ModelNotFound, resolve_model_dir
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


@bentoml.service(name="stanceframe", **SETTINGS.service_config())
class StanceFraming:
    """Stance toward a target and framing labels for news sentences and whole articles."""

    stored_model = _bento_model(SETTINGS.model)

    def __init__(self):
        from model.predictor import Predictor

        model_dir = Path(self.stored_model.path) if self.stored_model else resolve_model_dir(SETTINGS.model)
        self.predictor = Predictor.from_pretrained(model_dir)

    @bentoml.api(
        batchable=True,
        max_batch_size=SETTINGS.max_batch_size if SETTINGS.batching else 1,
        max_latency_ms=SETTINGS.max_latency_ms,
    )
    def score(self, pairs: list[Pair]) -> list[dict]:
        """Label (sentence, target) pairs; the unit adaptive batching merges across requests."""
        return self.predictor.predict(
            [pair.text for pair in pairs], targets=[pair.target for pair in pairs], batch_size=SETTINGS.max_batch_size
        )

    @bentoml.api
    async def classify(self, sentences: Sentences, target: Target | None = None) -> dict:
        """Label each sentence; results come back in input order with their index as `id`."""
        target = target or self.predictor.default_target
        results = await self._score_all(sentences, target)
        return {"target": target, "results": [{"id": i, **r} for i, r in enumerate(results)]}

    @bentoml.api
    async def analyze(self, text: Document, target: Target | None = None) -> dict:
        """Split an article into sentences, label each with offsets, and summarise the article."""
        from model.documents import split_sentences

        target = target or self.predictor.default_target
        spans = split_sentences(text)
        results = await self._score_all([span.text for span in spans], target)
        sentences = [
            {"id": i, **result, "start": span.start, "end": span.end}
            for i, (span, result) in enumerate(zip(spans, results, strict=True))
        ]
        return {"target": target, "sentences": sentences, "summary": summarise(sentences, self.predictor.config)}

    async def _score_all(self, sentences: list[str], target: str) -> list[dict]:
        chunk = SETTINGS.max_batch_size if SETTINGS.batching else 1
        pieces = [
            [{"text": text, "target": target} for text in sentences[start : start + chunk]]
            for start in range(0, len(sentences), chunk)
        ]
        scored = await asyncio.gather(*(self.to_async.score(pairs=piece) for piece in pieces))
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
