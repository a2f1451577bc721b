"""The bootstrap interval printed beside every macro-F1: it brackets the score and narrows with more rows."""

import numpy as np

from training.metrics import frame_metrics, stance_metrics, with_interval

LABELS = ["favor", "against", "neutral"]


def noisy_stances(rows: int, accuracy: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    true = rng.integers(0, 3, rows)
    return true, np.where(rng.random(rows) < accuracy, true, rng.integers(0, 3, rows))


def test_interval_brackets_the_score_and_narrows_with_more_rows():
    small = stance_metrics(*noisy_stances(360, 0.7), LABELS)
    large = stance_metrics(*noisy_stances(5760, 0.7), LABELS)
    for metrics in (small, large):
        low, high = metrics["macro_f1_95ci"]
        assert low < metrics["macro_f1"] < high
    width = lambda m: m["macro_f1_95ci"][1] - m["macro_f1_95ci"][0]  # noqa: E731
    assert 0.05 < width(small) < 0.15
    assert width(large) < width(small) / 3  # sixteen times the rows: about a quarter of the width


def test_perfect_frames_have_no_uncertainty_and_the_report_shows_the_interval():
    true = (np.random.default_rng(1).random((200, 4)) < 0.2).astype(int)
    metrics = frame_metrics(true, true, ["threat", "downplaying", "escalation", "denial"])
    assert metrics["macro_f1_95ci"] == [1.0, 1.0]
    assert with_interval(metrics) == "1.000 (1.00–1.00)"
