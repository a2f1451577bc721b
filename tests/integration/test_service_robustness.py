"""What a client meets when the service is loaded, guarded, crashing or shutting down (real `bentoml serve`)."""

from __future__ import annotations

import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import psutil
import pytest

from service import launcher
from tests.integration.conftest import post

pytestmark = pytest.mark.integration
KEY = "test-key-7c1d"
AUTH = {"Authorization": f"Bearer {KEY}"}
SENTENCE = "The ministry said the drills near the border were routine and posed no threat to anyone."


def article(characters: int) -> str:
    """A plain article of about `characters` characters: a headline, then numbered sentences."""
    sentences = ["Drills continue near the border"]
    while sum(len(s) + 1 for s in sentences) < characters - 120:
        n = len(sentences)
        sentences.append(f"On day {n} the ministry said the drills near the border were routine and posed no threat.")
    return "\n\n".join([sentences[0], " ".join(sentences[1:])])


@pytest.fixture(scope="module")
def guarded(stored_model):
    """A service with an API key and room for only two requests in flight."""
    env = {"STANCEFRAME_API_KEY": KEY, "STANCEFRAME_MAX_CONCURRENCY": "2", "STANCEFRAME_RETRY_AFTER_S": "3"}
    with launcher.running(env) as url:
        yield url


def test_model_endpoints_need_the_key_and_probes_do_not(guarded):
    missing = post(guarded, "/classify", {"sentences": [SENTENCE]})
    assert missing.status_code == 401
    assert missing.json()["error"]["type"] == "unauthorized"
    wrong = post(guarded, "/analyze", {"text": SENTENCE}, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert post(guarded, "/info", {}).status_code == 401
    assert httpx.get(f"{guarded}/info").status_code == 401
    assert httpx.get(f"{guarded}/info", headers=AUTH).json()["limits"]["max_concurrency"] == 2
    assert post(guarded, "/classify", {"sentences": [SENTENCE]}, headers=AUTH).status_code == 200
    assert httpx.get(f"{guarded}/livez").status_code == 200
    assert httpx.get(f"{guarded}/readyz").status_code == 200


def test_overload_answers_503_with_retry_after_and_never_hangs(guarded):
    payload = {"sentences": [f"{SENTENCE} Report {i}." for i in range(256)]}
    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(lambda _: post(guarded, "/classify", payload, headers=AUTH), range(8)))
    statuses = sorted(r.status_code for r in responses)
    assert set(statuses) == {200, 503}, statuses
    for response in responses:
        if response.status_code == 503:
            assert response.headers["retry-after"] == "3"
            assert response.json()["error"]["type"] == "unavailable"


def test_a_killed_model_worker_gives_503_then_comes_back(guarded):
    port_flag = f"--port {guarded.rsplit(':', 1)[1]}"
    server = next(p for p in psutil.process_iter(["cmdline"]) if port_flag in " ".join(p.info["cmdline"] or []))
    worker = next(c for c in server.children(recursive=True) if "stanceframe-model" in " ".join(c.cmdline()))
    in_flight = []
    # A full-size article takes the model worker several seconds, chunk after chunk, so the kill lands mid-request.
    request = threading.Thread(
        target=lambda: in_flight.append(post(guarded, "/analyze", {"text": article(100_000)}, headers=AUTH))
    )
    request.start()
    time.sleep(1)
    worker.send_signal(signal.SIGKILL)
    request.join()
    assert in_flight[0].status_code == 503, in_flight[0].text[:300]
    assert in_flight[0].headers["retry-after"] == "3"
    assert in_flight[0].json()["error"]["type"] == "unavailable"

    statuses = []
    deadline = time.monotonic() + 120
    while statuses[-3:] != [200, 200, 200] and time.monotonic() < deadline:
        response = post(guarded, "/classify", {"sentences": [SENTENCE] * 8}, headers=AUTH)
        statuses.append(response.status_code)
        if response.status_code == 503:
            assert "retry-after" in response.headers
        time.sleep(0.2)
    assert set(statuses) <= {200, 503}, statuses
    assert statuses[-3:] == [200, 200, 200], statuses


def test_ten_full_size_articles_in_a_row_under_load_are_all_answered(stored_model):
    text = article(100_000)
    stop = threading.Event()
    background = []

    def classify_load():
        while not stop.is_set():
            background.append(post(url, "/classify", {"sentences": [SENTENCE, SENTENCE[::-1]]}).status_code)

    with launcher.running() as url:
        loaders = [threading.Thread(target=classify_load) for _ in range(4)]
        for loader in loaders:
            loader.start()
        try:
            for _ in range(10):
                response = post(url, "/analyze", {"text": text}, timeout=300)
                assert response.status_code == 200, response.text[:300]
                sentences = response.json()["sentences"]
                assert len(sentences) > 900
                assert all(text[s["start"] : s["end"]] == s["text"] for s in sentences)
        finally:
            stop.set()
            for loader in loaders:
                loader.join()
    assert background and set(background) == {200}


def test_sigterm_answers_the_request_in_flight_before_exiting(stored_model, tmp_path):
    text = article(100_000)
    port = launcher.free_port()
    url = f"http://127.0.0.1:{port}"
    with open(tmp_path / "bentoml.log", "w+") as log:
        process = launcher.start(port, log=log)
        try:
            launcher.wait_until_ready(process, url, log, 180)
            answer = {}
            request = threading.Thread(target=lambda: answer.update(response=post(url, "/analyze", {"text": text})))
            request.start()
            time.sleep(1.0)
            process.send_signal(signal.SIGTERM)
            request.join()
            assert answer["response"].status_code == 200
            assert len(answer["response"].json()["sentences"]) > 900
            assert process.wait(timeout=120) is not None
        finally:
            if process.poll() is None:
                process.kill()
