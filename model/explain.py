"""Evidence for each label: the words whose deletion lowers that label's probability the most.

Word occlusion: each word of a sentence (letters and digits with inner apostrophes and hyphens:
"Moscow's", "dual-use") is deleted in turn and the sentence is scored again with the same target; the
word's weight for a label is the drop in that label's probability. All variants go through the
predictor in length-sorted batches, one extra forward pass per word. Chosen over integrated gradients
because it needs no extra dependency or baseline input, works on any encoder, and measures directly
what an analyst asks ("without this word, is it still a threat?"), which is also what bench/evidence.py checks.

Evidence covers the predicted stance and each predicted frame: at most ``top_k`` words with a positive
weight, strongest first, as ``[start, end)`` character offsets into the sentence.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from model.predictor import Predictor

WORD = re.compile(r"\w+(?:['’-]\w+)*")


def word_spans(text: str) -> list[tuple[int, int]]:
    """``[start, end)`` offsets of each word of ``text``."""
    return [match.span() for match in WORD.finditer(text)]


def delete_spans(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """``text`` without the characters of ``spans`` (which must not overlap)."""
    for start, end in sorted(spans, reverse=True):
        text = text[:start] + text[end:]
    return text


def explain(predictor: Predictor, results: Sequence[dict], top_k: int = 3, batch_size: int = 32) -> list[dict]:
    """Evidence for results of `Predictor.predict`, one per result, in order.

    Each is ``{"stance": [span, ...], "frames": {frame: [span, ...]}}`` with a key for each predicted
    frame only; a span is ``{"start", "end", "text", "weight"}``.
    """
    spans = [word_spans(result["text"]) for result in results]
    targets, texts = [], []
    for result, words in zip(results, spans, strict=True):
        variants = [result["text"], *(delete_spans(result["text"], [word]) for word in words)]
        targets += [result["target"]] * len(variants)
        texts += variants
    scores = iter(predictor.scores(targets, texts, batch_size))

    config = predictor.config
    evidence = []
    for result, words in zip(results, spans, strict=True):
        full_stance, full_frames = next(scores)
        occluded = [next(scores) for _ in words]
        stance = config.stance_labels.index(result["stance"])
        frames = {frame: config.frame_labels.index(frame) for frame in result["frames"]}
        evidence.append(
            {
                "stance": _top(result["text"], words, [full_stance[stance] - s[stance] for s, _ in occluded], top_k),
                "frames": {
                    frame: _top(result["text"], words, [full_frames[j] - f[j] for _, f in occluded], top_k)
                    for frame, j in frames.items()
                },
            }
        )
    return evidence


def add_evidence(predictor: Predictor, results: list[dict], top_k: int = 3, batch_size: int = 32) -> list[dict]:
    """Set each result's ``evidence`` (see `explain`) and return the results."""
    for result, evidence in zip(results, explain(predictor, results, top_k, batch_size), strict=True):
        result["evidence"] = evidence
    return results


def _top(text: str, words: list[tuple[int, int]], weights: list[float], top_k: int) -> list[dict]:
    ranked = sorted(zip(weights, words, strict=True), key=lambda pair: -pair[0])
    return [
        {"start": start, "end": end, "text": text[start:end], "weight": weight}
        for weight, (start, end) in ranked[:top_k]
        if weight > 0
    ]
