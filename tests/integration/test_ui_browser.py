"""The analyst's page at /ui in a real Chromium (driven by Playwright) against a real `bentoml serve`."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import httpx
import pytest

from service import launcher

pytestmark = pytest.mark.integration
sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (dev extra)")
CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(
        f"no Chromium at {CHROMIUM}: `apt-get install chromium` (make test does it as root)", allow_module_level=True
    )

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
MAX_DOCUMENT_CHARS = 5000
# Invented for this test: a wire-style report with a headline, quotes, a denial, a warning and reassurance.
ARTICLE = """North Korea denies sending shells as Seoul warns of deepening ties with Moscow

SEOUL, March 14 - North Korea on Friday dismissed reports that it had shipped artillery shells to Russia \
as "fabrications spread by hostile forces", hours after South Korea's spy agency said new rail shipments had crossed \
the border at Tumangang. South Korea's defence minister warned that the deepening military partnership between \
Moscow and Pyongyang poses a grave threat to security on the Korean peninsula and beyond.

A Kremlin spokesman said the contacts were routine and not aimed at any third country. Satellite images published \
by a Washington think tank showed dozens of freight cars at the crossing last week. Up to 10,000 more troops could \
follow in the coming months, according to Seoul's National Intelligence Service.

Japan's chief cabinet secretary called the cooperation "a matter of grave concern" and urged Moscow to abide by \
United Nations sanctions. The delegation returned to Vladivostok on Thursday evening."""


@pytest.fixture(scope="module")
def server(minilm_model):
    model_dir, _ = minilm_model
    env = {"STANCEFRAME_MODEL": str(model_dir), "STANCEFRAME_MAX_DOCUMENT_CHARS": str(MAX_DOCUMENT_CHARS)}
    with launcher.running(env) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, server):
    """The page, loaded and with its default target filled in; fails the test on any script error."""
    page = browser.new_page(viewport={"width": 1200, "height": 900}, accept_downloads=True)
    errors, foreign = [], []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("request", lambda r: r.url.startswith((server, "data:", "blob:")) or foreign.append(r.url))
    page.goto(f"{server}/ui")
    page.wait_for_function("document.getElementById('target').value !== ''")
    yield page
    page.close()
    assert errors == []
    assert foreign == [], "the page fetched something from outside the service"


def analyze(server: str, **payload) -> dict:
    response = httpx.post(f"{server}/analyze", json=payload, timeout=120)
    response.raise_for_status()
    return response.json()


def run_analysis(page, text: str) -> None:
    page.fill("#text", text)
    page.click("#analyse")
    page.wait_for_selector("#sentences li")


def shown_sentences(page) -> list[dict]:
    return page.eval_on_selector_all(
        "#sentences li",
        """items => items.map(li => ({
            text: li.querySelector('.text').textContent,
            stance: li.querySelector('.badge.stance').textContent,
            frames: [...li.querySelectorAll('.badge.frame')].map(b => b.textContent),
            marks: [...li.querySelectorAll('mark')].map(m => m.textContent),
        }))""",
    )


def test_the_page_shows_what_analyze_answers(page, server, tmp_path):
    info = httpx.post(f"{server}/info", json={}).json()
    assert page.input_value("#target") == info["default_target"]
    run_analysis(page, ARTICLE)
    expected = analyze(server, text=ARTICLE, target=info["default_target"])

    shown = shown_sentences(page)
    assert [s["text"] for s in shown] == [s["text"] for s in expected["sentences"]]
    assert [s["stance"] for s in shown] == [s["stance"] for s in expected["sentences"]]
    assert [s["frames"] for s in shown] == [s["frames"] for s in expected["sentences"]]
    assert len(shown) >= 8

    summary = expected["summary"]
    for stance, count in summary["stance_counts"].items():
        bar = page.locator(f"#stance-chart [data-stance='{stance}']")
        assert bar.get_attribute("data-count") == str(count)
        assert bar.locator(".bar-value").text_content().startswith(f"{count} (")
    for frame, share in summary["frame_shares"].items():
        bar = page.locator(f"#frame-chart [data-frame='{frame}']")
        assert float(bar.get_attribute("data-share")) == pytest.approx(share)
        percent = math.floor(share * 100 + 0.5)  # rounded half up, as the page's Math.round does
        assert bar.locator(".bar-value").text_content() == f"{percent}% ({summary['frame_counts'][frame]})"
    assert str(len(shown)) in page.text_content("#status")
    page.screenshot(path=str(tmp_path / "ui-screenshot.png"), full_page=True)


def test_evidence_is_highlighted_on_demand_as_analyze_explains_it(page, server, tmp_path):
    run_analysis(page, ARTICLE)
    assert page.locator("#sentences mark").count() == 0
    explained = analyze(server, text=ARTICLE, explain=True)["sentences"]

    def marks_for(label: str) -> list[list[str]]:
        evidence = [s["evidence"]["frames"].get(label, []) for s in explained]
        if label == "stance":
            evidence = [s["evidence"]["stance"] for s in explained]
        return [[span["text"] for span in sorted(spans, key=lambda span: span["start"])] for spans in evidence]

    page.select_option("#evidence", "stance")
    page.wait_for_selector("#sentences mark")
    assert [s["marks"] for s in shown_sentences(page)] == marks_for("stance")

    frame = next(f for s in explained for f in s["frames"])
    page.locator(f"#sentences .badge.frame-{frame}").first.click()
    page.wait_for_function(f"document.getElementById('evidence').value === '{frame}'")
    assert [s["marks"] for s in shown_sentences(page)] == marks_for(frame)
    page.screenshot(path=str(tmp_path / "ui-evidence.png"), full_page=True)


def test_results_download_as_csv_and_jsonl(page, server, tmp_path):
    run_analysis(page, ARTICLE)
    expected = analyze(server, text=ARTICLE)["sentences"]
    with page.expect_download() as download:
        page.click("#jsonl")
    jsonl = tmp_path / "stanceframe.jsonl"
    download.value.save_as(jsonl)
    assert [json.loads(line) for line in jsonl.read_text().splitlines()] == expected

    with page.expect_download() as download:
        page.click("#csv")
    table = tmp_path / "stanceframe.csv"
    download.value.save_as(table)
    rows = list(csv.DictReader(table.open(newline="", encoding="utf-8")))
    assert [(r["text"], r["stance"], r["frames"]) for r in rows] == [
        (s["text"], s["stance"], ";".join(s["frames"])) for s in expected
    ]
    assert [float(r["score_threat"]) for r in rows] == [s["frame_scores"]["threat"] for s in expected]


def test_a_txt_file_can_be_uploaded(page, tmp_path):
    article = tmp_path / "article.txt"
    article.write_text(ARTICLE, encoding="utf-8")
    page.set_input_files("#file", str(article))
    page.wait_for_function("document.getElementById('text').value.length > 0")
    assert page.input_value("#text") == ARTICLE
    assert page.text_content("#count") == f"{len(ARTICLE):,} characters"


def test_bad_input_gets_a_readable_message(page):
    page.click("#analyse")
    assert page.text_content("#error") == "Paste an article or upload a .txt file first."

    too_long = "Talks resumed. " * (MAX_DOCUMENT_CHARS // 15 + 1)
    page.fill("#text", too_long)
    page.click("#analyse")
    assert page.text_content("#error") == (
        f"The article has {len(too_long):,} characters; this service accepts at most {MAX_DOCUMENT_CHARS:,}. "
        "Split it into parts."
    )
    # Without the limits from /info the page still sends it: the service's 400 comes back as a sentence.
    page.evaluate("state.info = null")
    page.click("#analyse")
    page.wait_for_function("document.getElementById('error').textContent.startsWith('The article:')")
    message = page.text_content("#error")
    assert message == f"The article: String should have at most {MAX_DOCUMENT_CHARS} characters."
    assert page.locator("#sentences li").count() == 0


def test_a_service_with_an_api_key_asks_for_it_and_works_with_it(browser, minilm_model):
    model_dir, _ = minilm_model
    with launcher.running({"STANCEFRAME_MODEL": str(model_dir), "STANCEFRAME_API_KEY": "ui-key-42"}) as url:
        page = browser.new_page()
        page.goto(f"{url}/ui")
        page.fill("#text", ARTICLE)
        page.click("#analyse")
        page.wait_for_function("document.getElementById('error').textContent !== ''")
        assert page.text_content("#error") == (
            "This service needs an API key: enter it in the API key field and try again."
        )
        page.fill("#key", "ui-key-42")
        page.dispatch_event("#key", "change")
        page.fill("#target", "Russia–North Korea military cooperation")
        page.click("#analyse")
        page.wait_for_function("document.querySelectorAll('#sentences li').length > 0")
        assert page.locator("#sentences li").count() == 8
        page.close()
