"""Precision chosen by the hardware, and forced by argument, environment and CLI flag."""

import pytest
import torch

from model import precision
from model.predictor import Predictor

SENTENCES = ["Beijing said the drills were routine.", "Taipei warned the exercises endanger flights."]
CPU = torch.device("cpu")


@pytest.fixture
def bf16_cpu(monkeypatch):
    """Pretend the CPU has native bf16 and measure a given bf16/fp32 speed ratio."""

    def set_speedup(ratio: float):
        monkeypatch.setattr(precision, "cpu_has_native_bf16", lambda: True)
        monkeypatch.setattr(precision, "cpu_bf16_speedup", lambda: ratio)

    return set_speedup


def test_auto_takes_bf16_where_it_is_native_and_measured_faster(bf16_cpu):
    bf16_cpu(4.5)
    assert precision.resolve_precision("auto", CPU) == "bf16"


def test_auto_keeps_fp32_where_bf16_is_native_but_slower(bf16_cpu):
    bf16_cpu(0.6)
    assert precision.resolve_precision("auto", CPU) == "fp32"


def test_auto_keeps_fp32_without_native_bf16(monkeypatch):
    monkeypatch.setattr(precision, "cpu_has_native_bf16", lambda: False)
    monkeypatch.setattr(precision, "cpu_bf16_speedup", lambda: pytest.fail("no need to measure without the flag"))
    assert precision.resolve_precision("auto", CPU) == "fp32"


def test_forced_precision_wins_and_unknown_is_refused(bf16_cpu):
    bf16_cpu(4.5)
    assert precision.resolve_precision("fp32", CPU) == "fp32"
    assert precision.resolve_precision("BF16", CPU) == "bf16"
    with pytest.raises(ValueError, match="precision must be one of"):
        precision.resolve_precision("int8", CPU)


def test_environment_names_the_requested_precision(monkeypatch):
    monkeypatch.setenv("STANCEFRAME_PRECISION", "bf16")
    assert precision.requested_precision() == "bf16"
    monkeypatch.delenv("STANCEFRAME_PRECISION")
    assert precision.requested_precision() == "auto"


def test_forced_bf16_predicts_the_same_labels_as_fp32(tiny_model_dir):
    fp32 = Predictor.from_pretrained(tiny_model_dir, precision="fp32")
    bf16 = Predictor.from_pretrained(tiny_model_dir, precision="bf16")
    assert (fp32.precision, bf16.precision) == ("fp32", "bf16")
    a, b = fp32.predict(SENTENCES), bf16.predict(SENTENCES)
    for x, y in zip(a, b, strict=True):
        for label, score in x["stance_scores"].items():
            assert y["stance_scores"][label] == pytest.approx(score, abs=0.02)
        assert x["stance_scores"] != y["stance_scores"]  # bf16 really ran: the scores moved a little


def test_auto_predictor_reports_what_it_chose(tiny_model_dir, bf16_cpu):
    bf16_cpu(0.5)
    assert Predictor.from_pretrained(tiny_model_dir).precision == "fp32"
    bf16_cpu(3.0)
    assert Predictor.from_pretrained(tiny_model_dir).precision == "bf16"
