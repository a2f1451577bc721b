"""`stanceframe predict --engine ray` on a local 2-CPU Ray instance gives the local engine's labels."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.conftest import read_jsonl
from tests.test_archive import document_rows, sentence_rows, write_rows
from training.cli import main

pytestmark = pytest.mark.integration
pytest.importorskip("ray", reason="the Ray engine is the optional `ray` extra: pip install -e '.[ray]'")

LABELS = ("id", "text", "target", "stance", "frames", "truncated")


def run_both(model_dir: Path, source: Path, directory: Path, *options: str) -> tuple[Path, Path]:
    """The same job on the local engine and on Ray, each writing `out.jsonl` (and the rest) in its own directory."""
    runs = {directory / "local": [], directory / "ray": ["--engine", "ray", "--ray-cpus", "2"]}
    for run, engine in runs.items():
        run.mkdir()
        arguments = ["predict", "--input", str(source), "--output", str(run / "out.jsonl"), "--model", str(model_dir)]
        extra = [option.replace("{run}", str(run)) for option in options]
        assert main([*arguments, "--quiet", *extra, *engine]) == 0
    return directory / "local", directory / "ray"


def score_tolerance() -> float:
    """How far the two engines' scores may differ: both run at the precision `--precision` defaults to here, and in
    bf16 (8 bits of mantissa) the same sentence padded into a differently composed batch moves in the third decimal."""
    import torch

    from model.precision import requested_precision, resolve_precision

    return 1e-5 if resolve_precision(requested_precision(), torch.device("cpu")) == "fp32" else 1e-2


def assert_same_labels(written: list[dict], expected: list[dict], keys: tuple[str, ...]) -> None:
    assert [{k: row[k] for k in keys} for row in written] == [{k: row[k] for k in keys} for row in expected]
    tolerance = score_tolerance()
    for a, b in zip(written, expected, strict=True):
        assert a["stance_scores"] == pytest.approx(b["stance_scores"], abs=tolerance)
        assert a["frame_scores"] == pytest.approx(b["frame_scores"], abs=tolerance)


@pytest.fixture(scope="module")
def model_dir(minilm_model) -> Path:
    """The fine-tuned MiniLM: its scores sit well clear of the decision thresholds, unlike the tiny random
    encoder's, whose probabilities crowd around them so that the float noise between differently composed
    batches (1e-6 in fp32, 1e-3 in bf16) could flip a label."""
    return minilm_model[0]


def test_sentence_rows_and_bad_rows_on_ray_match_the_local_engine(model_dir, tmp_path):
    lines = [json.dumps(row) for row in sentence_rows(300)]
    lines.insert(150, '{"text": ""}')
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    # Batches of 4 make actor calls of 256 sentences, so both actors get some.
    local, on_ray = run_both(model_dir, source, tmp_path, "--skip-bad-rows", "--batch-size", "4")
    written = read_jsonl(on_ray / "out.jsonl")
    assert len(written) == 300
    assert_same_labels(written, read_jsonl(local / "out.jsonl"), LABELS)
    assert read_jsonl(on_ray / "out.rejects.jsonl") == read_jsonl(local / "out.rejects.jsonl")


def test_documents_on_ray_are_split_labelled_and_summarised_as_locally(model_dir, tmp_path):
    source = write_rows(tmp_path / "docs.jsonl", document_rows(60))
    local, on_ray = run_both(model_dir, source, tmp_path, "--summary", "{run}/summary.jsonl")
    written = read_jsonl(on_ray / "out.jsonl")
    assert len(written) > 150
    assert_same_labels(written, read_jsonl(local / "out.jsonl"), ("doc_id", *LABELS, "start", "end"))
    summaries = read_jsonl(on_ray / "summary.jsonl")
    assert [s["doc_id"] for s in summaries] == [f"doc-{n}" for n in range(60)]
    assert summaries == read_jsonl(local / "summary.jsonl")
