"""Word-occlusion evidence on the tiny encoder: spans that slice the sentence and weights that mean what they say."""

import copy

import pytest

from model.explain import delete_spans, explain, word_spans

SENTENCES = [
    "Beijing said the drills were routine and posed no threat to shipping.",
    "Taipei warned that the exercises endanger civilian flights across the strait.",
    "Moscow's envoy denied the dual-use shipments, calling the reports 'fabrications'.",
    "Ships left port.",
    "Drills resume",
]


@pytest.fixture(scope="module")
def results(tiny_predictor):
    return tiny_predictor.predict(SENTENCES, target="China's military drills around Taiwan")


def all_spans(evidence: dict) -> list[dict]:
    return [*evidence["stance"], *(span for spans in evidence["frames"].values() for span in spans)]


def test_words_keep_inner_apostrophes_and_hyphens():
    text = "Moscow's dual-use drones (2024) — 'fabrications'."
    assert [text[s:e] for s, e in word_spans(text)] == ["Moscow's", "dual-use", "drones", "2024", "fabrications"]
    assert delete_spans(text, word_spans(text)[:2]) == "  drones (2024) — 'fabrications'."


def test_offsets_slice_the_sentence_into_whole_words(tiny_predictor, results):
    for result, evidence in zip(results, explain(tiny_predictor, results), strict=True):
        words = set(word_spans(result["text"]))
        for span in all_spans(evidence):
            assert result["text"][span["start"] : span["end"]] == span["text"]
            assert (span["start"], span["end"]) in words


def test_at_most_top_k_words_with_positive_weights_strongest_first(tiny_predictor, results):
    for top_k in (1, 3):
        for evidence in explain(tiny_predictor, results, top_k=top_k):
            for spans in [evidence["stance"], *evidence["frames"].values()]:
                assert len(spans) <= top_k
                weights = [span["weight"] for span in spans]
                assert all(w > 0 for w in weights)
                assert weights == sorted(weights, reverse=True)
    evidence = explain(tiny_predictor, results, top_k=50)
    assert any(len(e["stance"]) > 3 for e in evidence), "a long sentence has more than three words behind its stance"


def test_evidence_is_given_for_the_predicted_labels_only(tiny_predictor, results):
    evidence = explain(tiny_predictor, results)
    assert [set(e["frames"]) for e in evidence] == [set(r["frames"]) for r in results]
    assert any(r["frames"] for r in results), "the tiny model predicts some frame on these sentences"


def test_a_weight_is_the_drop_in_probability_when_the_word_is_deleted(tiny_predictor, results):
    result = results[1]
    [evidence] = explain(tiny_predictor, [result], top_k=2)
    for span in evidence["stance"]:
        without = delete_spans(result["text"], [(span["start"], span["end"])])
        [rescored] = tiny_predictor.predict([without], target=result["target"])
        drop = result["stance_scores"][result["stance"]] - rescored["stance_scores"][result["stance"]]
        assert span["weight"] == pytest.approx(drop, abs=1e-4)


def test_explaining_leaves_the_predictions_unchanged(tiny_predictor, results):
    before = copy.deepcopy(results)
    explain(tiny_predictor, results)
    assert results == before
    assert all("evidence" not in result for result in results)
    assert tiny_predictor.predict(SENTENCES, target="China's military drills around Taiwan") == results
