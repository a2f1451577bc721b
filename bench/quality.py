"""Quality on the shipped test splits: this model (MiniLM and MPNet bases) against three baselines.

    python -m bench.quality [--models minilm=runs/stance-framing mpnet=runs/bench-mpnet]

A model directory that does not exist yet is trained first: default settings, but MPNet for 5 epochs at 5e-5.
Writes bench/results/quality.json and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from bench.baselines import BASELINES, as_arrays
from bench.speed import machine
from model.labels import FRAME_LABELS, STANCE_LABELS
from model.predictor import Predictor, pick_device
from training.data import load_splits
from training.evaluation import evaluate_split
from training.metrics import frame_metrics, stance_metrics
from training.train import DEFAULT_DATA, TrainConfig, train

RESULTS = Path(__file__).parent / "results"
TEST_SPLITS = ("test", "test_unseen")
# MPNet-base has five times MiniLM's parameters: fewer epochs at a lower rate keep it stable and its CPU run short.
TRAINING_OVERRIDES = {"mpnet": {"epochs": 5.0, "learning_rate": 5e-5}}


def model_scores(base: str, directory: Path, splits) -> dict:
    if not (directory / "config.json").exists():
        print(f"training {base} into {directory} ...", flush=True)
        train(TrainConfig(base_model=base, output=str(directory), **TRAINING_OVERRIDES.get(base, {})))
    predictor = Predictor.from_pretrained(directory)
    return {name: evaluate_split(predictor, splits[name]) for name in TEST_SPLITS}


def baseline_scores(splits) -> dict:
    train_arrays = as_arrays(splits["train"])
    scores = {}
    for name, baseline in BASELINES.items():
        scores[name] = {}
        for split in TEST_SPLITS:
            arrays = as_arrays(splits[split])
            stance, frames = baseline(train_arrays, arrays)
            scores[name][split] = {
                "rows": len(arrays["text"]),
                "stance": stance_metrics(arrays["stance_ids"], stance, list(STANCE_LABELS)),
                "frames": frame_metrics(arrays["frame_matrix"], frames, list(FRAME_LABELS)),
            }
    return scores


def markdown(results: dict) -> str:
    header = "| system | split | stance macro-F1 | " + " | ".join(f"{s} F1" for s in STANCE_LABELS)
    header += " | frames macro-F1 | " + " | ".join(f"{f} F1" for f in FRAME_LABELS) + " |"
    lines = [header, "|" + "---|" * (4 + len(STANCE_LABELS) + len(FRAME_LABELS))]
    for system, by_split in results.items():
        for split, m in by_split.items():
            stance = " | ".join(f"{m['stance']['per_label'][s]['f1']:.3f}" for s in STANCE_LABELS)
            frames = " | ".join(f"{m['frames']['per_label'][f]['f1']:.3f}" for f in FRAME_LABELS)
            lines.append(
                f"| {system} | {split} | {m['stance']['macro_f1']:.3f} | {stance} "
                f"| {m['frames']['macro_f1']:.3f} | {frames} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--models",
        nargs="*",
        default=["minilm=runs/stance-framing", "mpnet=runs/bench-mpnet"],
        help="BASE=DIRECTORY pairs (default: %(default)s)",
    )
    parser.add_argument("--data", default=str(DEFAULT_DATA), help="directory of splits (default: shipped corpus)")
    args = parser.parse_args(argv)
    splits = load_splits(args.data)
    started = time.time()
    results = {}
    for pair in args.models:
        base, directory = pair.split("=", 1)
        results[f"stanceframe ({base})"] = model_scores(base, Path(directory), splits)
    results.update(baseline_scores(splits))
    RESULTS.mkdir(exist_ok=True)
    record = {
        "machine": machine(pick_device().type),
        "seconds": round(time.time() - started, 1),
        "results": results,
    }
    (RESULTS / "quality.json").write_text(json.dumps(record, indent=2))
    print(markdown(results))


if __name__ == "__main__":
    main()
