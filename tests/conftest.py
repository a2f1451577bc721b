"""Shared fixtures: a tiny randomly initialised encoder (no download) and tiny labelled data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
TINY_DATA = FIXTURES / "tiny"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="session", autouse=True)
def isolated_bentoml_home(tmp_path_factory):
    """Keep every test away from the user's BentoML store."""
    home = tmp_path_factory.mktemp("bentoml-home")
    previous = os.environ.get("BENTOML_HOME")
    os.environ["BENTOML_HOME"] = str(home)
    yield home
    if previous is None:
        os.environ.pop("BENTOML_HOME", None)
    else:
        os.environ["BENTOML_HOME"] = previous


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
    from training.train import TrainConfig, train

    output = tmp_path_factory.mktemp("tiny-model")
    train(TrainConfig(data=str(TINY_DATA), base_model=str(tiny_encoder_dir), output=str(output),
                      epochs=2, batch_size=4, max_seq_length=48, default_target="China's military drills around Taiwan"))
    return output


@pytest.fixture(scope="session")
def tiny_predictor(tiny_model_dir):
    from model.predictor import Predictor

    return Predictor.from_pretrained(tiny_model_dir)
