"""Stance and frame metrics, and per-frame threshold tuning."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import confusion_matrix, f1_score, precision_recall_fscore_support

THRESHOLD_GRID = np.round(np.arange(0.10, 0.91, 0.05), 2)


def stance_metrics(true: np.ndarray, predicted: np.ndarray, labels: list[str]) -> dict:
    """Per-label precision/recall/F1, macro-F1, accuracy and the confusion matrix (rows = true)."""
    ids = list(range(len(labels)))
    precision, recall, f1, support = precision_recall_fscore_support(true, predicted, labels=ids, zero_division=0)
    return {
        "macro_f1": float(np.mean(f1)),
        "accuracy": float(np.mean(true == predicted)),
        "per_label": _per_label(labels, precision, recall, f1, support),
        "confusion_matrix": confusion_matrix(true, predicted, labels=ids).tolist(),
    }


def frame_metrics(true: np.ndarray, predicted: np.ndarray, labels: list[str]) -> dict:
    """Per-frame precision/recall/F1 and macro-F1 over the frames (multi-label)."""
    precision, recall, f1, support = precision_recall_fscore_support(true, predicted, zero_division=0)
    return {
        "macro_f1": float(np.mean(f1)),
        "exact_match": float(np.mean(np.all(true == predicted, axis=1))),
        "per_label": _per_label(labels, precision, recall, f1, support),
    }


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
