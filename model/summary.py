"""The per-document summary `/analyze` and `stanceframe predict --summary` give: label counts and frame shares."""

from __future__ import annotations

from collections.abc import Iterable

from model.config import StanceFrameConfig


def summarise(sentences: Iterable[dict], config: StanceFrameConfig) -> dict:
    """Count of each stance and frame over a document's labelled sentences, and the share carrying each frame."""
    sentences = list(sentences)
    total = len(sentences)
    frame_counts = {label: sum(label in s["frames"] for s in sentences) for label in config.frame_labels}
    return {
        "sentences": total,
        "stance_counts": {label: sum(s["stance"] == label for s in sentences) for label in config.stance_labels},
        "frame_counts": frame_counts,
        "frame_shares": {label: (count / total if total else 0.0) for label, count in frame_counts.items()},
    }
