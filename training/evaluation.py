"""Score a predictor on a labelled split: the one evaluation path for training, CLI and benchmarks."""

from __future__ import annotations

import numpy as np
from datasets import Dataset

from model.predictor import Predictor
from training.metrics import apply_thresholds, frame_metrics, stance_metrics


def split_arrays(predictor: Predictor, split: Dataset, batch_size: int = 64) -> dict[str, np.ndarray]:
    """True labels and predicted probabilities for every row, in row order."""
    config = predictor.config
    results = predictor.predict(split["text"], targets=split["target"], batch_size=batch_size)
    return {
        "stance_true": np.array([config.stance_labels.index(s) for s in split["stance"]]),
        "stance_probs": np.array([[r["stance_scores"][label] for label in config.stance_labels] for r in results]),
        "frames_true": np.array(
            [[int(label in frames) for label in config.frame_labels] for frames in split["frames"]]
        ),
        "frame_probs": np.array([[r["frame_scores"][label] for label in config.frame_labels] for r in results]),
    }


def metrics_from_arrays(arrays: dict[str, np.ndarray], stance_labels, frame_labels, thresholds) -> dict:
    """Stance and frame metrics from `split_arrays` output and per-frame thresholds."""
    frames_predicted = apply_thresholds(arrays["frame_probs"], thresholds, frame_labels)
    return {
        "rows": int(len(arrays["stance_true"])),
        "stance": stance_metrics(arrays["stance_true"], arrays["stance_probs"].argmax(axis=1), list(stance_labels)),
        "frames": frame_metrics(arrays["frames_true"], frames_predicted, list(frame_labels)),
    }


def evaluate_split(predictor: Predictor, split: Dataset, batch_size: int = 64) -> dict:
    """Metrics of the predictor on one labelled split, with the model's own thresholds."""
    config = predictor.config
    arrays = split_arrays(predictor, split, batch_size)
    return metrics_from_arrays(arrays, config.stance_labels, config.frame_labels, config.frame_thresholds)
