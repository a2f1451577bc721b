"""A real `bentoml serve` process on a free localhost port, serving a trained model from a temporary store."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from service import launcher
from tests.integration.conftest import post

pytestmark = pytest.mark.integration
LIMITS = {
    "STANCEFRAME_MAX_SENTENCES": "200",
    "STANCEFRAME_MAX_SENTENCE_CHARS": "3000",
    "STANCEFRAME_MAX_DOCUMENT_CHARS": "20000",
    "STANCEFRAME_MAX_TARGET_CHARS": "120",
    "STANCEFRAME_MAX_BATCH_SIZE": "32",
}
SENTENCES = [
    "Pyongyang dismissed the reports of arms shipments as fabrications.",
    "Seoul said the deepening military ties pose a grave threat to the peninsula.",
    "The delegation arrived in Vladivostok on Tuesday.",
    "Moscow insisted the talks were routine and not aimed at third countries.",
    "Escalators at the Pyongyang metro station were repaired last spring.",
]


@pytest.fixture(scope="module")
def server_log(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("serve") / "bentoml.log"


@pytest.fixture(scope="module")
def server(stored_model, server_log):
    with launcher.running(LIMITS, log_path=server_log) as url:
        yield url


def assert_same_predictions(served: list[dict], expected: list[dict]):
    assert len(served) == len(expected)
    for got, want in zip(served, expected, strict=True):
        assert got["text"] == want["text"]
        assert got["target"] == want["target"]
        assert got["stance"] == want["stance"]
        assert got["frames"] == want["frames"]
        assert got["truncated"] == want["truncated"]
        assert got["stance_scores"] == pytest.approx(want["stance_scores"], abs=1e-4)
        assert got["frame_scores"] == pytest.approx(want["frame_scores"], abs=1e-4)


def test_classify_matches_the_predictor(server, predictor):
    response = post(server, "/classify", {"sentences": SENTENCES})
    assert response.status_code == 200
    body = response.json()
    assert body["target"] == predictor.default_target
    assert [r["id"] for r in body["results"]] == list(range(len(SENTENCES)))
    assert_same_predictions(body["results"], predictor.predict(SENTENCES))


def test_classify_with_a_target(server, predictor):
    target = "Russia's deployment of tactical nuclear weapons in Belarus"
    body = post(server, "/classify", {"sentences": SENTENCES, "target": target}).json()
    assert {r["target"] for r in body["results"]} == {target}
    assert_same_predictions(body["results"], predictor.predict(SENTENCES, target=target))


def test_analyze_returns_sentences_offsets_and_summary(server, predictor):
    article = "Seoul warns of new threat\n\n" + " ".join(SENTENCES)
    body = post(server, "/analyze", {"text": article}).json()
    sentences = body["sentences"]
    assert [s["text"] for s in sentences] == ["Seoul warns of new threat", *SENTENCES]
    assert all(article[s["start"] : s["end"]] == s["text"] for s in sentences)
    assert_same_predictions(sentences, predictor.analyze(article))
    summary = body["summary"]
    assert summary["sentences"] == 6
    assert sum(summary["stance_counts"].values()) == 6
    for frame, count in summary["frame_counts"].items():
        assert count == sum(frame in s["frames"] for s in sentences)
        assert summary["frame_shares"][frame] == pytest.approx(count / 6)


def test_analyze_with_explain_gives_evidence_that_slices_each_sentence(server, predictor):
    article = "Seoul warns of new threat\n\n" + " ".join(SENTENCES)
    plain = post(server, "/analyze", {"text": article}).json()
    body = post(server, "/analyze", {"text": article, "explain": True}).json()
    assert [{k: v for k, v in s.items() if k != "evidence"} for s in body["sentences"]] == plain["sentences"]
    assert body["summary"] == plain["summary"]
    for sentence in body["sentences"]:
        evidence = sentence["evidence"]
        assert set(evidence["frames"]) == set(sentence["frames"])
        for span in [*evidence["stance"], *(span for spans in evidence["frames"].values() for span in spans)]:
            assert sentence["text"][span["start"] : span["end"]] == span["text"]
            assert span["weight"] > 0
    assert any(s["evidence"]["stance"] for s in body["sentences"])
    assert any(s["evidence"]["frames"] for s in body["sentences"])


def test_classify_with_explain_gives_evidence_and_explain_false_changes_nothing(server):
    payload = {"sentences": SENTENCES[:2]}
    before = post(server, "/classify", payload)
    assert post(server, "/classify", {**payload, "explain": False}).content == before.content
    assert b"evidence" not in before.content
    explained = post(server, "/classify", {**payload, "explain": True}).json()
    assert all(set(r["evidence"]) == {"stance", "frames"} for r in explained["results"])


def test_input_longer_than_the_encoder_limit_is_truncated_not_refused(server):
    long_sentence = "The convoy of armoured vehicles moved slowly north along the border road. " * 30
    body = post(server, "/classify", {"sentences": [long_sentence, SENTENCES[0]]}).json()
    assert [r["truncated"] for r in body["results"]] == [True, False]


@pytest.mark.parametrize(
    "route, payload, field, words",
    [
        ("/classify", {"sentences": []}, ["sentences"], "at least 1"),
        ("/classify", {"sentences": ["fine", "   "]}, ["sentences", 1], "empty or whitespace"),
        ("/classify", {"sentences": ["x"] * 201}, ["sentences"], "at most 200"),
        ("/classify", {"sentences": ["x" * 3001]}, ["sentences", 0], "at most 3000"),
        ("/classify", {"sentences": "one string"}, ["sentences"], "valid array"),
        ("/classify", {"sentences": [42]}, ["sentences", 0], "valid string"),
        ("/classify", {"sentences": ["ok"], "target": "t" * 121}, ["target"], "at most 120"),
        ("/classify", {"sentences": ["ok"], "target": " "}, ["target"], "empty or whitespace"),
        ("/classify", {"text": "wrong field"}, ["sentences"], "required"),
        ("/analyze", {"text": "x" * 20001}, ["text"], "at most 20000"),
        ("/analyze", {"text": "\n\n"}, ["text"], "empty or whitespace"),
        ("/analyze", {"text": ["a list"]}, ["text"], "valid string"),
    ],
)
def test_bad_input_gets_a_400_naming_the_field_and_limit(server, route, payload, field, words):
    response = post(server, route, payload)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["status"] == 400 and error["type"] == "invalid_request"
    assert any(d["loc"] == field and words in d["msg"] for d in error["detail"]), error
    assert words in error["message"]


def test_malformed_json_gets_a_400(server):
    response = post(server, "/classify", b'{"sentences": ["unterminated')
    assert response.status_code == 400
    assert "Invalid JSON" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    "method, route, status, kind",
    [("GET", "/no-such-route", 404, "not_found"), ("GET", "/classify", 405, "method_not_allowed")],
)
def test_unknown_routes_and_wrong_methods_answer_json(server, method, route, status, kind):
    response = httpx.request(method, f"{server}{route}")
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert response.json()["error"]["type"] == kind


def test_a_body_over_the_limit_is_refused_before_it_is_read(server):
    limit = post(server, "/info", {}).json()["limits"]["max_body_bytes"]  # 4 bytes a character + 64 KiB
    body = b'{"text": "' + b"x" * limit + b'"}'
    response = post(server, "/analyze", body)
    assert response.status_code == 413
    assert response.json()["error"]["type"] == "payload_too_large"
    streamed = httpx.post(f"{server}/analyze", content=iter([body]), headers={"content-type": "application/json"})
    assert streamed.status_code == 413  # sent without Content-Length: counted while read


def test_client_errors_are_one_log_line_without_a_traceback(server, server_log):
    post(server, "/classify", {"sentences": []})
    post(server, "/classify", b"not json")
    log = server_log.read_text()
    assert "POST /classify -> 400 invalid_request" in log
    assert "Traceback" not in log


def test_info_describes_the_served_model(server, predictor):
    info = post(server, "/info", {}).json()
    config = predictor.config
    assert info["model"].startswith("stance-framing:")
    assert info["base_model"] == config.base_model
    assert info["stance_labels"] == config.stance_labels and info["frame_labels"] == config.frame_labels
    assert info["frame_thresholds"] == config.frame_thresholds
    assert info["default_target"] == config.default_target
    assert info["precision"] == predictor.precision
    assert info["limits"]["max_sentences"] == 200
    assert httpx.get(f"{server}/info").json() == info  # browsers and monitors ask with GET


def test_bad_requests_do_not_disturb_the_server(server, predictor):
    for _ in range(5):
        post(server, "/classify", b"not json")
        post(server, "/classify", {"sentences": []})
    body = post(server, "/classify", {"sentences": SENTENCES[:2]}).json()
    assert_same_predictions(body["results"], predictor.predict(SENTENCES[:2]))


def test_one_large_request_is_batched_not_refused(server, predictor):
    sentences = [f"{SENTENCES[i % 5]} Report {i} followed." for i in range(200)]
    response = post(server, "/classify", {"sentences": sentences})
    assert response.status_code == 200
    assert_same_predictions(response.json()["results"], predictor.predict(sentences))


def test_fifty_concurrent_requests_are_all_answered_in_order(server, predictor):
    requests = [[f"Request {n}, sentence {i}: {SENTENCES[(n + i) % 5]}" for i in range(1 + n % 12)] for n in range(50)]
    with ThreadPoolExecutor(max_workers=50) as pool:
        responses = list(pool.map(lambda sentences: post(server, "/classify", {"sentences": sentences}), requests))
    assert [r.status_code for r in responses] == [200] * 50
    for sentences, response in zip(requests, responses, strict=True):
        assert_same_predictions(response.json()["results"], predictor.predict(sentences))


def test_health_metrics_and_openapi_stay_available(server):
    assert httpx.get(f"{server}/livez").status_code == 200
    assert httpx.get(f"{server}/readyz").status_code == 200
    metrics = httpx.get(f"{server}/metrics")
    assert metrics.status_code == 200 and "bentoml_service_request" in metrics.text
    spec = httpx.get(f"{server}/docs.json").json()
    assert {"/classify", "/analyze"} <= set(spec["paths"])


def test_startup_without_a_model_says_how_to_train_one(stored_model):
    process = launcher.start(launcher.free_port(), {"STANCEFRAME_MODEL": "no-such-model:latest"})
    output, _ = process.communicate(timeout=120)
    assert process.returncode != 0
    assert "no model 'no-such-model:latest'" in output
    assert "stanceframe train" in output


def test_bentoml_build_packages_the_service_and_model_offline(stored_model):
    import subprocess

    import bentoml

    result = subprocess.run(
        [launcher.BENTOML, "build", "--output", "tag"], cwd=launcher.REPO, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    bento = bentoml.bentos.get("stanceframe:latest")
    bundled = {str(m.tag) for m in bento.info.all_models}
    assert str(bentoml.models.get("stance-framing:latest").tag) in bundled
    assert (Path(bento.path) / "src" / "service" / "service.py").exists()
    assert (Path(bento.path) / "src" / "service" / "ui" / "index.html").exists()
    requirements = (Path(bento.path) / "env" / "python" / "requirements.txt").read_text()
    assert "torch==2.13.0" in requirements
