"""Write what a training run produced: metrics.json, confusion-matrix plots and the model card."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from training.metrics import with_interval  # noqa: E402

CARD_TEMPLATE = """---
library_name: transformers
tags: [stance-detection, framing, text-classification, stanceframe]
base_model: {base_model}
---
# stance-framing

A stance and framing classifier for sentences of security and geopolitics news, trained with
stanceframe. One shared encoder ({base_model}), two heads:

- **stance** toward a target, read from the pair (target, sentence): {stance_labels}
- **frames**, independent sigmoids: {frame_labels}, with per-frame thresholds tuned on dev:
  {thresholds}

Default target (used when a request names none): "{default_target}". Inputs longer than
{max_seq_length} tokens are truncated and marked `truncated`.

## Data
`{data}` (sha256 `{data_sha256}`), split sizes: {split_sizes}.

## Training
{hyperparameters}

Epochs run: {epochs_run:g} (early stopping on dev mean of stance and frame macro-F1; best {best_dev_score:.3f}).

## Results
`real_news`, when present, is 360 real AG News wire sentences on targets no training split has
(`../shared/real-news`, evaluation only): the figure to read first.

| split | rows | stance macro-F1 (95% interval) | stance accuracy | frames macro-F1 (95% interval) | {frame_columns} |
|---|---|---|---|---|{frame_rule}
{result_rows}

Confusion matrices (rows = true stance): {plots}.

## Limits
- Trained on English news-style sentences about security events; other domains and languages are untested.
- Real wire news has scored well below the synthetic test splits for every model trained on the shipped
  corpus: check the `real_news` row before relying on a label.
- Targets absent from training (`test_unseen`) may score differently from seen ones: check the table.
- A sentence is judged alone: context from neighbouring sentences is not used.
- The shipped corpus was written for this project, not sampled from real outlets; see data/DATASHEET.md.
"""


def write_report(output: Path, metrics: dict, run_info: dict, model_config) -> None:
    """Write metrics.json, one confusion-matrix PNG per split and the model card README.md."""
    output.mkdir(parents=True, exist_ok=True)
    (output / "metrics.json").write_text(json.dumps({"metrics": metrics, **run_info}, indent=2, ensure_ascii=False))
    plots = [
        plot_confusion(output / f"confusion_{name}.png", split, model_config.stance_labels, name)
        for name, split in metrics.items()
    ]
    (output / "README.md").write_text(model_card(metrics, run_info, model_config, plots))


def plot_confusion(path: Path, split_metrics: dict, labels: list[str], title: str) -> str:
    """Save the stance confusion matrix of one split as a PNG; return its file name."""
    matrix = split_metrics["stance"]["confusion_matrix"]
    figure, axes = plt.subplots(figsize=(4, 3.5))
    axes.imshow(matrix, cmap="Blues")
    axes.set_xticks(range(len(labels)), labels)
    axes.set_yticks(range(len(labels)), labels)
    axes.set_xlabel("predicted")
    axes.set_ylabel("true")
    axes.set_title(f"stance: {title}")
    peak = max(max(row) for row in matrix) or 1
    for i, row in enumerate(matrix):
        for j, count in enumerate(row):
            axes.text(j, i, str(count), ha="center", va="center", color="white" if count > peak / 2 else "black")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path.name


def model_card(metrics: dict, run_info: dict, model_config, plots: list[str]) -> str:
    """The model card text, filled from the run's metrics and configuration."""
    frame_labels = model_config.frame_labels
    rows = []
    for name, split in metrics.items():
        per_frame = " | ".join(f"{split['frames']['per_label'][f]['f1']:.3f}" for f in frame_labels)
        rows.append(
            f"| {name} | {split['rows']} | {with_interval(split['stance'])} | {split['stance']['accuracy']:.3f} "
            f"| {with_interval(split['frames'])} | {per_frame} |"
        )
    config = run_info["config"]
    return CARD_TEMPLATE.format(
        base_model=model_config.base_model,
        stance_labels=", ".join(model_config.stance_labels),
        frame_labels=", ".join(frame_labels),
        thresholds=", ".join(f"{k} {v:.2f}" for k, v in model_config.frame_thresholds.items()),
        default_target=model_config.default_target,
        max_seq_length=model_config.max_seq_length,
        data=config["data"],
        data_sha256=run_info["data_sha256"],
        split_sizes=", ".join(f"{k} {v}" for k, v in run_info["split_sizes"].items()),
        hyperparameters="\n".join(f"- `{k}`: {v}" for k, v in config.items() if k not in ("data", "output")),
        epochs_run=run_info["epochs_run"],
        best_dev_score=run_info["best_dev_score"] or 0.0,
        frame_columns=" | ".join(f"{f} F1" for f in frame_labels),
        frame_rule="---|" * len(frame_labels),
        result_rows="\n".join(rows),
        plots=", ".join(f"`{p}`" for p in plots),
    )
