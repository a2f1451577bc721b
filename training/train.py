"""Fine-tune the two-headed model with the Hugging Face Trainer and save a self-describing model."""

from __future__ import annotations

import logging
import tempfile
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
from datasets import Dataset, DatasetDict
from transformers import (
    AutoTokenizer,
    DataCollatorWithPadding,
    EarlyStoppingCallback,
    EvalPrediction,
    Trainer,
    TrainingArguments,
    set_seed,
)

from model.encoders import resolve_encoder
from model.labels import FRAME_LABELS, STANCE_LABELS
from model.modeling import StanceFrameModel
from model.precision import resolve_precision
from model.predictor import Predictor, pick_device
from training.config import TrainConfig
from training.data import data_hash, load_file, load_splits
from training.evaluation import metrics_from_arrays, split_arrays
from training.metrics import tune_thresholds
from training.report import write_report

logger = logging.getLogger(__name__)
# Third-party real wire news beside the repository: scored for the model card when present, never trained or
# tuned on (thresholds come from dev before it is read).
REAL_NEWS = Path(__file__).resolve().parents[2] / "shared" / "real-news" / "real_news_test.jsonl"


def with_dev_split(splits: DatasetDict, fraction: float, seed: int) -> DatasetDict:
    """Ensure train and dev splits exist, holding out part of train when no dev file was given."""
    if "train" not in splits:
        raise ValueError(f"the data has no train split (found {sorted(splits)})")
    if "validation" in splits:
        splits["dev"] = splits.pop("validation")
    if "dev" in splits:
        return splits
    held_out = splits["train"].train_test_split(test_size=fraction, seed=seed)
    splits["train"], splits["dev"] = held_out["train"], held_out["test"]
    return splits


def encode(split: Dataset, tokenizer, max_seq_length: int) -> Dataset:
    """Tokenise (target, text) pairs and attach the stance id and the frame multi-hot vector."""

    def batch(rows):
        encoded = tokenizer(rows["target"], rows["text"], truncation="longest_first", max_length=max_seq_length)
        encoded["stance_labels"] = [STANCE_LABELS.index(s) for s in rows["stance"]]
        encoded["frame_labels"] = [[float(label in frames) for label in FRAME_LABELS] for frames in rows["frames"]]
        return encoded

    return split.map(batch, batched=True, remove_columns=split.column_names)


def loss_weights(split: Dataset, balance_stances: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """Stance weights (inverse frequency, or all 1) and sqrt(negative/positive) frame weights from train."""
    counts = np.array([split["stance"].count(label) for label in STANCE_LABELS], dtype=float)
    stance = counts.sum() / (len(counts) * np.maximum(counts, 1)) if balance_stances else np.ones(len(counts))
    positives = np.array([sum(label in frames for frames in split["frames"]) for label in FRAME_LABELS], dtype=float)
    frames = np.sqrt((len(split) - positives) / np.maximum(positives, 1))
    return torch.tensor(stance), torch.tensor(np.maximum(frames, 1.0))


def optimizer(model: StanceFrameModel, config: TrainConfig) -> torch.optim.AdamW:
    """AdamW with the heads at their own learning rate: fresh heads learn slowly at a large encoder's rate.

    Biases and LayerNorm weights get no weight decay, as in the Trainer's own optimizer.
    """
    groups: dict[tuple[bool, bool], list] = {}
    for name, parameter in model.named_parameters():
        is_head = name.startswith(("stance_head.", "frame_head."))
        decays = parameter.ndim > 1
        groups.setdefault((is_head, decays), []).append(parameter)
    head_rate = config.head_learning_rate or config.learning_rate
    return torch.optim.AdamW(
        [
            {"params": params, "lr": head_rate if is_head else config.learning_rate, "weight_decay": 0.01 * decays}
            for (is_head, decays), params in groups.items()
        ]
    )


def dev_score(prediction: EvalPrediction) -> dict[str, float]:
    """Mean of stance macro-F1 and frame macro-F1 (threshold 0.5): the early-stopping metric."""
    from sklearn.metrics import f1_score

    stance_logits, frame_logits = prediction.predictions
    stance_true, frames_true = prediction.label_ids
    stance_f1 = f1_score(stance_true, stance_logits.argmax(axis=1), average="macro", zero_division=0)
    frames_f1 = f1_score(frames_true.astype(int), (frame_logits > 0).astype(int), average="macro", zero_division=0)
    return {"stance_macro_f1": stance_f1, "frames_macro_f1": frames_f1, "score": (stance_f1 + frames_f1) / 2}


def train(config: TrainConfig) -> tuple[Path, dict]:
    """Train, tune frame thresholds on dev, evaluate every test split and save; return (dir, metrics)."""
    set_seed(config.seed)
    data_sha256 = data_hash(config.data)  # of the data as loaded, before hours of training
    splits = with_dev_split(load_splits(config.data), config.dev_fraction, config.seed)
    encoder_path = resolve_encoder(config.base_model)
    tokenizer = AutoTokenizer.from_pretrained(encoder_path)
    model = StanceFrameModel.from_encoder(
        encoder_path, config.base_model, default_target=config.default_target, max_seq_length=config.max_seq_length
    )
    model.set_loss_weights(*loss_weights(splits["train"], config.balance_stances))

    output = Path(config.output)
    checkpoints = tempfile.TemporaryDirectory(prefix="stanceframe-checkpoints-")
    device = pick_device()
    precision = resolve_precision(config.precision, device)
    if precision == "fp16" and device.type == "cpu":
        raise ValueError("fp16 training needs a GPU; on a CPU use bf16, fp32 or auto")
    logger.info("training on %s at %s", device, precision)
    arguments = TrainingArguments(
        output_dir=checkpoints.name,
        num_train_epochs=config.epochs,
        max_steps=config.max_steps,
        per_device_train_batch_size=config.batch_size,
        per_device_eval_batch_size=64,
        learning_rate=config.learning_rate,
        warmup_steps=0.1,
        weight_decay=0.01,
        eval_strategy="epoch",
        save_strategy="epoch",
        save_total_limit=1,
        load_best_model_at_end=True,
        metric_for_best_model="score",
        label_names=["stance_labels", "frame_labels"],
        logging_strategy="epoch",
        fp16=precision == "fp16",
        bf16=precision == "bf16",
        use_cpu=device.type == "cpu",  # without it the Trainer refuses bf16 on a CPU, even one fast at it
        seed=config.seed,
        report_to="none",
        save_only_model=True,
    )
    trainer = Trainer(
        model=model,
        args=arguments,
        train_dataset=encode(splits["train"], tokenizer, config.max_seq_length),
        eval_dataset=encode(splits["dev"], tokenizer, config.max_seq_length),
        data_collator=DataCollatorWithPadding(tokenizer),
        compute_metrics=dev_score,
        callbacks=[EarlyStoppingCallback(early_stopping_patience=config.patience)],
        optimizers=(optimizer(model, config), None),  # the Trainer adds its warm-up and linear decay
    )
    with checkpoints:
        trainer.train()

    predictor = Predictor(trainer.model.float(), tokenizer, precision=precision)
    model_config = predictor.config
    dev_arrays = split_arrays(predictor, splits["dev"])
    model_config.frame_thresholds = tune_thresholds(
        dev_arrays["frames_true"], dev_arrays["frame_probs"], list(FRAME_LABELS)
    )

    held_out = {name: splits[name] for name in sorted(splits) if name.startswith("test")}
    if REAL_NEWS.exists():
        held_out = {"real_news": load_file(REAL_NEWS), **held_out}  # first: it is the quality that matters most
    metrics = {}
    for name, split in held_out.items():
        arrays = split_arrays(predictor, split)
        metrics[name] = metrics_from_arrays(arrays, STANCE_LABELS, FRAME_LABELS, model_config.frame_thresholds)
    metrics["dev"] = metrics_from_arrays(dev_arrays, STANCE_LABELS, FRAME_LABELS, model_config.frame_thresholds)

    predictor.model.float().save_pretrained(output)
    tokenizer.save_pretrained(output)
    run_info = {
        "config": asdict(config),
        "data_sha256": data_sha256,
        "precision": precision,
        "split_sizes": {name: len(split) for name, split in splits.items()},
        "epochs_run": float(trainer.state.epoch or 0),
        "best_dev_score": trainer.state.best_metric,
    }
    write_report(output, metrics, run_info, model_config)
    return output, metrics
