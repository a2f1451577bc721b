"""The naive way to serve this model: a Hugging Face pipeline called once per sentence."""

from __future__ import annotations

from transformers import Pipeline


class StanceFramePipeline(Pipeline):
    """One (target, sentence) pair per call; no length sorting, no batching across sentences."""

    def _sanitize_parameters(self, target=None, **kwargs):
        return ({"target": target} if target else {}), {}, {}

    def preprocess(self, sentence, target=None):
        target = target or self.model.config.default_target
        return self.tokenizer(
            target, sentence, truncation=True, max_length=self.model.config.max_seq_length, return_tensors="pt"
        )

    def _forward(self, model_inputs):
        return self.model(**model_inputs)

    def postprocess(self, model_outputs):
        config = self.model.config
        stance = model_outputs["stance_logits"][0].softmax(-1).tolist()
        frames = model_outputs["frame_logits"][0].sigmoid().tolist()
        frame_scores = dict(zip(config.frame_labels, frames, strict=True))
        return {
            "stance": config.stance_labels[max(range(len(stance)), key=stance.__getitem__)],
            "frames": [f for f in config.frame_labels if frame_scores[f] >= config.frame_thresholds[f]],
        }
