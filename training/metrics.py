"""Stance and frame metrics, and per-frame threshold tuning."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import confusion_matrix, f1_score, precision_recall_fscore_support

THRESHOLD_GRID = np.round(np.arange(0.10, 0.91, 0.05), 2)
BOOTSTRAP_RESAMPLES = 1000


def stance_metrics(true: np.ndarray, predicted: np.ndarray, labels: list[str]) -> dict:
    """Per-label precision/recall/F1, macro-F1, accuracy and the confusion matrix (rows = true)."""
    ids = list(range(len(labels)))
    precision, recall, f1, support = precision_recall_fscore_support(true, predicted, labels=ids, zero_division=0)
    one_hot = np.eye(len(labels), dtype=int)
    return {
        "macro_f1": float(np.mean(f1)),
        "macro_f1_95ci": macro_f1_interval(one_hot[true], one_hot[predicted]),
        "accuracy": float(np.mean(true == predicted)),
        "per_label": _per_label(labels, precision, recall, f1, support),
        "confusion_matrix": confusion_matrix(true, predicted, labels=ids).tolist(),
    }


def frame_metrics(true: np.ndarray, predicted: np.ndarray, labels: list[str]) -> dict:
    """Per-frame precision/recall/F1 and macro-F1 over the frames (multi-label)."""
    precision, recall, f1, support = precision_recall_fscore_support(true, predicted, zero_division=0)
    return {
        "macro_f1": float(np.mean(f1)),
        "macro_f1_95ci": macro_f1_interval(true, predicted),
        "exact_match": float(np.mean(np.all(true == predicted, axis=1))),
        "per_label": _per_label(labels, precision, recall, f1, support),
    }


def macro_f1_interval(true: np.ndarray, predicted: np.ndarray, seed: int = 0) -> list[float]:
    """95% percentile-bootstrap interval of macro-F1 over rows (0/1 matrices, one column per label).

    How far the score on a set of this size could move by the luck of which sentences it holds: on the
    360 real-news sentences it is about ±0.05 for stance and ±0.07 for frames.
    """
    if len(true) == 0:
        return [0.0, 0.0]
    true, predicted = true.astype(bool), predicted.astype(bool)
    rng = np.random.default_rng(seed)
    block = max(1, 2_000_000 // (len(true) * true.shape[1]))  # resamples at a time: bounded memory on big sets
    scores = []
    for start in range(0, BOOTSTRAP_RESAMPLES, block):
        rows = rng.integers(0, len(true), size=(min(block, BOOTSTRAP_RESAMPLES - start), len(true)))
        t, p = true[rows], predicted[rows]  # resamples × rows × labels
        tp = (t & p).sum(axis=1)
        wrong = (t ^ p).sum(axis=1)  # false positives plus false negatives
        f1 = np.divide(2 * tp, 2 * tp + wrong, out=np.zeros(tp.shape), where=(2 * tp + wrong) > 0)
        scores.append(f1.mean(axis=1))
    low, high = np.quantile(np.concatenate(scores), [0.025, 0.975])
    return [float(low), float(high)]


def tune_thresholds(true: np.ndarray, probabilities: np.ndarray, labels: list[str]) -> dict[str, float]:
    """Pick, per frame, the threshold on the grid with the best F1 (ties go to the one nearest 0.5)."""
    thresholds = {}
    for column, label in enumerate(labels):
        scored = [
            (f1_score(true[:, column], probabilities[:, column] >= t, zero_division=0), -abs(t - 0.5), t)
            for t in THRESHOLD_GRID
        ]
        thresholds[label] = float(max(scored)[2])
    return thresholds


def apply_thresholds(probabilities: np.ndarray, thresholds: dict[str, float], labels: list[str]) -> np.ndarray:
    """Binary frame decisions from probabilities and per-frame thresholds."""
    return (probabilities >= np.array([thresholds[label] for label in labels])).astype(int)


def with_interval(metrics: dict) -> str:
    """A macro-F1 with its bootstrap interval, as printed in reports: `0.699 (0.65–0.75)`."""
    low, high = metrics["macro_f1_95ci"]
    return f"{metrics['macro_f1']:.3f} ({low:.2f}–{high:.2f})"


def _per_label(labels, precision, recall, f1, support) -> dict:
    return {
        label: {
            "precision": float(precision[i]),
            "recall": float(recall[i]),
            "f1": float(f1[i]),
            "support": int(support[i]),
        }
        for i, label in enumerate(labels)
    }
