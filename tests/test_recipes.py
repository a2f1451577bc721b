"""Each base encoder trains with epochs and learning rates that suit its size, unless the user says otherwise."""

import pytest

from model.modeling import StanceFrameModel
from training.config import TrainConfig
from training.train import optimizer


def test_minilm_keeps_its_small_model_recipe():
    config = TrainConfig(base_model="minilm")
    assert (config.epochs, config.learning_rate, config.head_learning_rate) == (10.0, 1e-4, None)


@pytest.mark.parametrize("base", ["mpnet", "all-mpnet-base-v2", "org/some-hub-encoder", "/models/local-encoder"])
def test_base_sized_encoders_train_shorter_with_faster_heads(base):
    config = TrainConfig(base_model=base)
    assert (config.epochs, config.learning_rate, config.head_learning_rate) == (4.0, 5e-5, 1e-3)


def test_flags_given_by_the_user_win_over_the_recipe():
    config = TrainConfig(base_model="mpnet", epochs=7.0, learning_rate=2e-5)
    assert (config.epochs, config.learning_rate, config.head_learning_rate) == (7.0, 2e-5, None)
    assert TrainConfig(base_model="mpnet", head_learning_rate=3e-4).head_learning_rate == 3e-4


def test_a_bad_head_learning_rate_is_refused():
    with pytest.raises(ValueError, match="head_learning_rate"):
        TrainConfig(head_learning_rate=2.0)


def test_heads_get_their_own_rate_and_no_decay_on_biases(tiny_encoder_dir):
    model = StanceFrameModel.from_encoder(str(tiny_encoder_dir), "tiny")
    groups = optimizer(model, TrainConfig(base_model="mpnet")).param_groups
    rate_of = {id(p): group["lr"] for group in groups for p in group["params"]}
    decay_of = {id(p): group["weight_decay"] for group in groups for p in group["params"]}
    assert rate_of[id(model.frame_head.weight)] == rate_of[id(model.stance_head.bias)] == 1e-3
    encoder_weight = next(p for name, p in model.named_parameters() if name.startswith("encoder.") and p.ndim > 1)
    assert rate_of[id(encoder_weight)] == 5e-5
    assert decay_of[id(model.stance_head.bias)] == 0 and decay_of[id(encoder_weight)] == 0.01
    assert len(rate_of) == len(list(model.parameters()))  # every parameter is trained
