"""One shared encoder, a stance head over (target, sentence) and a multi-label frame head."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from transformers import AutoModel, PreTrainedModel
from transformers.utils import ModelOutput

from model.config import StanceFrameConfig


@dataclass
class StanceFrameOutput(ModelOutput):
    """Logits of both heads, and the training loss when labels were given."""

    loss: torch.Tensor | None = None
    stance_logits: torch.Tensor | None = None
    frame_logits: torch.Tensor | None = None


class StanceFrameModel(PreTrainedModel):
    """Encoder + mean pooling + two linear heads; one forward pass gives both predictions."""

    config_class = StanceFrameConfig
    base_model_prefix = "encoder"

    def __init__(self, config: StanceFrameConfig):
        super().__init__(config)
        self.encoder = AutoModel.from_config(config.encoder_config())
        hidden = self.encoder.config.hidden_size
        self.dropout = nn.Dropout(config.classifier_dropout)
        self.stance_head = nn.Linear(hidden, len(config.stance_labels))
        self.frame_head = nn.Linear(hidden, len(config.frame_labels))
        # Set by training for imbalanced labels; never saved with the model.
        self.register_buffer("stance_class_weights", None, persistent=False)
        self.register_buffer("frame_pos_weights", None, persistent=False)
        self.post_init()

    @classmethod
    def from_encoder(cls, encoder_path: str, base_model: str, **config_kwargs) -> StanceFrameModel:
        """Start a model from a pretrained encoder with freshly initialised heads."""
        encoder = AutoModel.from_pretrained(encoder_path)
        encoder_settings = encoder.config.to_dict()
        config = StanceFrameConfig(encoder=encoder_settings, base_model=base_model, **config_kwargs)
        model = cls(config)
        model.encoder.load_state_dict(encoder.state_dict())
        return model

    def set_loss_weights(self, stance_class_weights: torch.Tensor, frame_pos_weights: torch.Tensor):
        """Weight rare stance classes and rare frames up in the training loss."""
        self.stance_class_weights = stance_class_weights.float()
        self.frame_pos_weights = frame_pos_weights.float()

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
        stance_labels: torch.Tensor | None = None,
        frame_labels: torch.Tensor | None = None,
    ) -> StanceFrameOutput:
        encoder_inputs = {"input_ids": input_ids, "attention_mask": attention_mask}
        if token_type_ids is not None and self.encoder.config.type_vocab_size > 1:
            encoder_inputs["token_type_ids"] = token_type_ids
        hidden = self.encoder(**encoder_inputs).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
        pooled = self.dropout(pooled)
        stance_logits = self.stance_head(pooled)
        frame_logits = self.frame_head(pooled)

        loss = None
        if stance_labels is not None and frame_labels is not None:
            stance_loss = nn.functional.cross_entropy(
                stance_logits.float(), stance_labels, weight=self.stance_class_weights
            )
            frame_loss = nn.functional.binary_cross_entropy_with_logits(
                frame_logits.float(), frame_labels.float(), pos_weight=self.frame_pos_weights
            )
            loss = stance_loss + frame_loss
        return StanceFrameOutput(loss=loss, stance_logits=stance_logits, frame_logits=frame_logits)
