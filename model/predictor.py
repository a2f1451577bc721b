"""Batch inference without HTTP: sentences (or a whole document) in, labelled results out."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from pathlib import Path

import torch
from transformers import AutoTokenizer

from model.documents import split_sentences
from model.modeling import StanceFrameModel
from model.precision import DTYPES, resolve_precision

logger = logging.getLogger(__name__)


def pick_device() -> torch.device:
    """CUDA when a GPU is present, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


class Predictor:
    """Labels sentences with stance toward a target and with frames, in input order."""

    def __init__(self, model: StanceFrameModel, tokenizer, device: torch.device | None = None, precision: str = "auto"):
        """``precision`` is ``auto``, ``fp32``, ``bf16`` or ``fp16`` (see `model.precision`)."""
        self.device = device or pick_device()
        self.precision = resolve_precision(precision, self.device)
        self.model = model.to(self.device).eval()
        if self.device.type == "cuda":
            self.model.to(DTYPES[self.precision])
        self.tokenizer = tokenizer
        self.config = model.config
        logger.info("predictor on %s at %s", self.device, self.precision)

    @classmethod
    def from_pretrained(
        cls, path: str | Path, device: torch.device | None = None, precision: str = "auto"
    ) -> Predictor:
        """Load a saved model directory (weights, config and tokenizer)."""
        return cls(StanceFrameModel.from_pretrained(path), AutoTokenizer.from_pretrained(path), device, precision)

    def _autocast(self):
        # On a CPU the weights stay fp32 and autocast runs the matmuls in bf16/fp16: labels stay stable.
        if self.device.type == "cpu" and self.precision != "fp32":
            return torch.autocast("cpu", dtype=DTYPES[self.precision])
        return contextlib.nullcontext()

    @property
    def default_target(self) -> str:
        return self.config.default_target

    def predict(
        self,
        sentences: Sequence[str],
        target: str | None = None,
        targets: Sequence[str | None] | None = None,
        batch_size: int = 32,
    ) -> list[dict]:
        """Label each sentence; ``targets`` gives one target per sentence, else ``target`` or the default.

        Sentences are batched by length for speed; results come back in input order.
        Inputs longer than the encoder's limit are truncated and marked ``truncated``.
        """
        if isinstance(sentences, str):
            raise TypeError("predict() takes a list of sentences; wrap a single sentence in a list")
        if targets is not None and len(targets) != len(sentences):
            raise ValueError(f"got {len(targets)} targets for {len(sentences)} sentences")
        pair_targets = [
            (targets[i] if targets is not None and targets[i] else None) or target or self.default_target
            for i in range(len(sentences))
        ]
        lengths = self._token_lengths(pair_targets, sentences)
        scores = self._scores_by_length(pair_targets, sentences, lengths, batch_size)
        return [
            self._result(text, pair_target, stance_probs, frame_probs, length > self.config.max_seq_length)
            for text, pair_target, (stance_probs, frame_probs), length in zip(
                sentences, pair_targets, scores, lengths, strict=True
            )
        ]

    def scores(
        self, targets: Sequence[str], sentences: Sequence[str], batch_size: int = 32
    ) -> list[tuple[list[float], list[float]]]:
        """Stance probabilities (softmax) and frame probabilities (sigmoid) of each (target, sentence) pair.

        In the order of the label lists in the model's config, batched by length, in input order.
        """
        return self._scores_by_length(targets, sentences, self._token_lengths(targets, sentences), batch_size)

    def analyze(self, document: str, target: str | None = None, batch_size: int = 32) -> list[dict]:
        """Split a document into sentences and label each, with ``start``/``end`` offsets."""
        spans = split_sentences(document)
        results = self.predict([span.text for span in spans], target=target, batch_size=batch_size)
        for span, result in zip(spans, results, strict=True):
            result["start"], result["end"] = span.start, span.end
        return results

    def _scores_by_length(self, targets, sentences, lengths, batch_size) -> list[tuple[list[float], list[float]]]:
        order = sorted(range(len(sentences)), key=lengths.__getitem__)
        scores: list[tuple[list[float], list[float]] | None] = [None] * len(sentences)
        for begin in range(0, len(order), batch_size):
            batch = order[begin : begin + batch_size]
            pairs = self._score([targets[i] for i in batch], [sentences[i] for i in batch])
            for i, pair_scores in zip(batch, pairs, strict=True):
                scores[i] = pair_scores
        return scores

    def _token_lengths(self, targets: Sequence[str], sentences: Sequence[str]) -> list[int]:
        encoded = self.tokenizer(list(targets), list(sentences), truncation=False, verbose=False)
        return [len(ids) for ids in encoded["input_ids"]]

    @torch.inference_mode()
    def _score(self, targets: list[str], sentences: list[str]) -> list[tuple[list[float], list[float]]]:
        encoded = self.tokenizer(
            targets,
            sentences,
            padding=True,
            truncation="longest_first",
            max_length=self.config.max_seq_length,
            return_tensors="pt",
        ).to(self.device)
        with self._autocast():
            output = self.model(**encoded)
        stance = output.stance_logits.float().softmax(dim=-1).cpu().tolist()
        frames = output.frame_logits.float().sigmoid().cpu().tolist()
        return list(zip(stance, frames, strict=True))

    def _result(self, text, target, stance_probs, frame_probs, truncated) -> dict:
        config = self.config
        stance_scores = dict(zip(config.stance_labels, stance_probs, strict=True))
        frame_scores = dict(zip(config.frame_labels, frame_probs, strict=True))
        return {
            "text": text,
            "target": target,
            "stance": max(stance_scores, key=stance_scores.get),
            "stance_scores": stance_scores,
            "frames": [label for label in config.frame_labels if frame_scores[label] >= config.frame_thresholds[label]],
            "frame_scores": frame_scores,
            "truncated": truncated,
        }
