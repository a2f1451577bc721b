"""The model and predictor on a tiny random encoder: what a user of the Python API sees."""

import json

import pytest
import torch

from model.labels import FRAME_LABELS, STANCE_LABELS
from model.predictor import Predictor

SENTENCES = [
    "Beijing said the drills were routine.",
    "Taipei warned that the exercises endanger civilian flights across the strait and beyond.",
    "Ships left port.",
]


def test_saved_config_describes_the_model(tiny_model_dir):
    config = json.loads((tiny_model_dir / "config.json").read_text())
    assert config["stance_labels"] == list(STANCE_LABELS)
    assert config["frame_labels"] == list(FRAME_LABELS)
    assert set(config["frame_thresholds"]) == set(FRAME_LABELS)
    assert all(0 < t < 1 for t in config["frame_thresholds"].values())
    assert config["default_target"] == "China's military drills around Taiwan"
    assert config["max_seq_length"] == 48
    assert config["base_model"]
    assert config["id2label"] == {"0": "favor", "1": "against", "2": "neutral"}


def test_round_trip_gives_identical_predictions(tiny_model_dir, tiny_predictor, tmp_path):
    tiny_predictor.model.save_pretrained(tmp_path)
    tiny_predictor.tokenizer.save_pretrained(tmp_path)
    reloaded = Predictor.from_pretrained(tmp_path, precision=tiny_predictor.precision)
    assert reloaded.predict(SENTENCES) == tiny_predictor.predict(SENTENCES)


def test_results_have_every_field_and_valid_scores(tiny_predictor):
    results = tiny_predictor.predict(SENTENCES, target="US arms sales to Taiwan")
    assert [r["text"] for r in results] == SENTENCES
    for result in results:
        assert result["target"] == "US arms sales to Taiwan"
        assert result["stance"] in STANCE_LABELS
        assert result["stance"] == max(result["stance_scores"], key=result["stance_scores"].get)
        assert sum(result["stance_scores"].values()) == pytest.approx(1.0, abs=1e-5)
        assert set(result["frame_scores"]) == set(FRAME_LABELS)
        thresholds = tiny_predictor.config.frame_thresholds
        assert result["frames"] == [f for f in FRAME_LABELS if result["frame_scores"][f] >= thresholds[f]]
        assert result["truncated"] is False


def test_default_target_applies_when_none_given(tiny_predictor):
    results = tiny_predictor.predict(["Ships left port."], targets=[None])
    assert results[0]["target"] == "China's military drills around Taiwan"


def test_input_order_is_kept_whatever_the_batching(tiny_predictor):
    sentences = [("word " * n).strip() + "." for n in (30, 2, 17, 5, 40, 1, 9)]
    one_by_one = [tiny_predictor.predict([s])[0] for s in sentences]
    batched = tiny_predictor.predict(sentences, batch_size=3)
    assert [r["text"] for r in batched] == sentences
    for single, together in zip(one_by_one, batched, strict=True):
        assert single["stance_scores"] == pytest.approx(together["stance_scores"], abs=1e-5)


def test_target_is_part_of_the_input(tiny_predictor):
    sentence = ["Officials said the deployment would continue."]
    first = tiny_predictor.predict(sentence, target="NATO's troop deployments on its eastern flank")[0]
    second = tiny_predictor.predict(sentence, target="Houthi attacks on Red Sea shipping")[0]
    assert first["stance_scores"] != second["stance_scores"]


def test_long_input_is_truncated_and_marked(tiny_predictor):
    long_sentence = "The convoy moved north along the border road. " * 200
    results = tiny_predictor.predict([long_sentence, "Ships left port."])
    assert results[0]["truncated"] is True
    assert results[1]["truncated"] is False
    assert results[0]["text"] == long_sentence


def test_a_bare_string_is_refused(tiny_predictor):
    with pytest.raises(TypeError, match="list of sentences"):
        tiny_predictor.predict("Ships left port.")


def test_mismatched_targets_are_refused(tiny_predictor):
    with pytest.raises(ValueError, match="2 targets for 1 sentences"):
        tiny_predictor.predict(["Ships left port."], targets=["a", "b"])


def test_analyze_reports_offsets_into_the_document(tiny_predictor):
    document = "Drills resume near Taiwan\n\nThe U.S. Navy said Lt. Gen. Hale arrived. Beijing denied it."
    results = tiny_predictor.analyze(document)
    assert [r["text"] for r in results] == [
        "Drills resume near Taiwan",
        "The U.S. Navy said Lt. Gen. Hale arrived.",
        "Beijing denied it.",
    ]
    for result in results:
        assert document[result["start"] : result["end"]] == result["text"]


def test_cpu_is_used_without_a_gpu(tiny_predictor):
    if not torch.cuda.is_available():
        assert tiny_predictor.device.type == "cpu"
        assert next(tiny_predictor.model.parameters()).dtype == torch.float32
