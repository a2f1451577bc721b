"""The document summary shared by `/analyze` and `stanceframe predict --summary`."""

from model.config import StanceFrameConfig
from model.summary import summarise


def test_summary_counts_stances_and_frames_and_shares():
    sentences = [
        {"stance": "against", "frames": ["threat", "escalation"]},
        {"stance": "favor", "frames": ["downplaying"]},
        {"stance": "against", "frames": ["threat"]},
        {"stance": "neutral", "frames": []},
    ]
    summary = summarise(sentences, StanceFrameConfig())
    assert summary == {
        "sentences": 4,
        "stance_counts": {"favor": 1, "against": 2, "neutral": 1},
        "frame_counts": {"threat": 2, "downplaying": 1, "escalation": 1, "denial": 0},
        "frame_shares": {"threat": 0.5, "downplaying": 0.25, "escalation": 0.25, "denial": 0.0},
    }


def test_summary_of_no_sentences_has_zero_shares():
    assert summarise([], StanceFrameConfig())["frame_shares"] == dict.fromkeys(StanceFrameConfig().frame_labels, 0.0)
