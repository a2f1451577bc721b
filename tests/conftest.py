"""Shared fixtures: a tiny randomly initialised encoder (no download) and tiny labelled data."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
TINY_DATA = FIXTURES / "tiny"

# Set before anything imports bentoml (it reads BENTOML_HOME once), so no test touches the user's store;
# `bentoml serve` subprocesses inherit it.
TEST_BENTOML_HOME = tempfile.mkdtemp(prefix="stanceframe-test-bentoml-")
os.environ["BENTOML_HOME"] = TEST_BENTOML_HOME
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(TEST_BENTOML_HOME, ignore_errors=True)


@pytest.fixture(scope="session")
def tiny_encoder_dir(tmp_path_factory) -> Path:
    """A 2-layer, 32-wide BERT with random weights and the packaged MiniLM tokenizer."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertModel

    from model.encoders import resolve_encoder

    torch.manual_seed(0)
    directory = tmp_path_factory.mktemp("tiny-encoder")
    config = BertConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64)
    BertModel(config).save_pretrained(directory)
    AutoTokenizer.from_pretrained(resolve_encoder("minilm")).save_pretrained(directory)
    return directory


@pytest.fixture(scope="session")
def tiny_model_dir(tiny_encoder_dir, tmp_path_factory) -> Path:
    """A tiny model trained for a few steps on the tiny data, saved with its report."""
    from training.config import TrainConfig
    from training.train import train

    output = tmp_path_factory.mktemp("tiny-model")
    train(
        TrainConfig(
            data=str(TINY_DATA),
            base_model=str(tiny_encoder_dir),
            output=str(output),
            epochs=2,
            batch_size=4,
            max_seq_length=48,
            default_target="China's military drills around Taiwan",
        )
    )
    return output


@pytest.fixture(scope="session")
def tiny_predictor(tiny_model_dir):
    """In fp32 wherever it runs: the tiny random encoder's probabilities crowd around the thresholds, so tests that
    compare it with differently batched runs need fp32's 1e-6 agreement (bf16 moves scores by 1e-3)."""
    from model.predictor import Predictor

    return Predictor.from_pretrained(tiny_model_dir, precision="fp32")
