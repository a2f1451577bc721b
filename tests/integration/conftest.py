"""Integration fixtures: the real MiniLM base fine-tuned on a slice of the shipped corpus."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parents[2] / "data" / "corpus"
SLICE_SIZES = {"train": 480, "dev": 120, "test": 200}


@pytest.fixture(scope="session")
def corpus_slice(tmp_path_factory) -> Path:
    """A seeded random slice of each shipped split, small enough to fine-tune on 2 CPU cores in about 90 seconds."""
    directory = tmp_path_factory.mktemp("corpus-slice")
    rng = random.Random(7)
    for split, size in SLICE_SIZES.items():
        lines = (CORPUS / f"{split}.jsonl").read_text(encoding="utf-8").splitlines()
        (directory / f"{split}.jsonl").write_text("\n".join(rng.sample(lines, size)) + "\n", encoding="utf-8")
    return directory


@pytest.fixture(scope="session")
def minilm_model(corpus_slice, tmp_path_factory) -> tuple[Path, dict]:
    """MiniLM fine-tuned on the slice: (model directory, metrics)."""
    from training.config import TrainConfig
    from training.train import train

    output = tmp_path_factory.mktemp("minilm-model")
    return train(
        TrainConfig(
            data=str(corpus_slice),
            base_model="minilm",
            output=str(output),
            epochs=6,
            batch_size=16,
            learning_rate=2e-4,
            max_seq_length=96,
            patience=3,
        )
    )


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="session")
def stored_model(minilm_model) -> Path:
    """The MiniLM model imported into the test BentoML store as stance-framing:latest."""
    from model.store import resolve_model_dir, save_to_store

    model_dir, _ = minilm_model
    save_to_store(model_dir, metadata={"test": True})
    return resolve_model_dir("stance-framing:latest")


@pytest.fixture(scope="session")
def predictor(stored_model):
    from model.predictor import Predictor

    return Predictor.from_pretrained(stored_model)


def post(url: str, route: str, payload, timeout: float = 120, headers: dict | None = None):
    """POST JSON (a dict) or a raw body (bytes or str) to a running service."""
    import httpx

    headers = {"content-type": "application/json", **(headers or {})}
    if isinstance(payload, (bytes, str)):
        return httpx.post(f"{url}{route}", content=payload, headers=headers, timeout=timeout)
    return httpx.post(f"{url}{route}", json=payload, headers=headers, timeout=timeout)
