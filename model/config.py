"""The saved configuration that makes a trained model self-describing."""

from __future__ import annotations

from transformers import AutoConfig, PretrainedConfig

from model.labels import DEFAULT_FRAME_THRESHOLD, DEFAULT_TARGET, FRAME_LABELS, STANCE_LABELS


class StanceFrameConfig(PretrainedConfig):
    """Encoder config plus label names, per-frame thresholds, default target and max length."""

    model_type = "stanceframe"

    def __init__(
        self,
        encoder: dict | None = None,
        base_model: str = "",
        stance_labels: list[str] | None = None,
        frame_labels: list[str] | None = None,
        frame_thresholds: dict[str, float] | None = None,
        default_target: str = DEFAULT_TARGET,
        max_seq_length: int = 128,
        classifier_dropout: float = 0.1,
        **kwargs,
    ):
        self.encoder = encoder or {}
        self.base_model = base_model
        self.stance_labels = list(stance_labels or STANCE_LABELS)
        self.frame_labels = list(frame_labels or FRAME_LABELS)
        thresholds = dict(frame_thresholds or {})
        self.frame_thresholds = {
            label: float(thresholds.get(label, DEFAULT_FRAME_THRESHOLD)) for label in self.frame_labels
        }
        self.default_target = default_target
        self.max_seq_length = max_seq_length
        self.classifier_dropout = classifier_dropout
        kwargs.setdefault("initializer_range", self.encoder.get("initializer_range", 0.02))
        super().__init__(**kwargs)
        # Derived, not stored separately: transformers' own id2label/label2id describe the stance head.
        self.id2label = dict(enumerate(self.stance_labels))
        self.label2id = {label: i for i, label in enumerate(self.stance_labels)}

    def encoder_config(self) -> PretrainedConfig:
        """Rebuild the base encoder's own config object."""
        settings = dict(self.encoder)
        return AutoConfig.for_model(settings.pop("model_type"), **settings)


# Lets `AutoConfig` (and so `AutoTokenizer`, which reads the config) recognise a saved stanceframe model.
AutoConfig.register(StanceFrameConfig.model_type, StanceFrameConfig)
