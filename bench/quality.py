"""Quality on real wire news first, then the shipped test splits and public stance sets, against baselines.

    python -m bench.quality [--models mpnet=runs/stance-framing minilm=runs/bench-minilm] [--shared ../shared]

Sets, in the order they are reported:
- `real_news`: `<shared>/real-news/real_news_test.jsonl`, 360 real AG News wire sentences on eight targets
  that no training split has, labelled by LABELS.md (stance and frames);
- `test` and `test_unseen`: the shipped corpus's held-out splits;
- `external/*`: the public human-labelled stance sets in `<shared>/external/` (stance only: they have no
  frames, and they define stance in their own way, so read them as a rough guide to transfer).
The third-party sets are read from `../shared` for evaluation only and are never trained or tuned on;
when they are absent the bench says so and goes on with the rest.
A model directory that does not exist yet is trained first, with its encoder's recipe (`training.recipes`).
Writes bench/results/quality.json and prints Markdown tables with per-label F1 and counts; each macro-F1
has its 95% bootstrap interval over the set's sentences (on the 360 real-news sentences
about ±0.05 for stance and ±0.07 for frames).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from datasets import Dataset

from bench.baselines import BASELINES, as_arrays
from bench.speed import machine
from model.labels import FRAME_LABELS, STANCE_LABELS
from model.predictor import Predictor, pick_device
from training.config import DEFAULT_DATA, TrainConfig
from training.data import json_objects, load_file, load_splits
from training.evaluation import evaluate_split
from training.metrics import frame_metrics, stance_metrics, with_interval
from training.train import train

RESULTS = Path(__file__).parent / "results"
SHARED = Path(__file__).resolve().parents[2] / "shared"
TEST_SPLITS = ("test", "test_unseen")
EXTERNAL_SETS = ("emergent_test", "fnc1_test", "vast_test")


def evaluation_sets(data: str, shared: Path) -> dict[str, Dataset]:
    """Every set to score, real news first; absent third-party sets are reported and skipped."""
    sets = {}
    real_news = shared / "real-news" / "real_news_test.jsonl"
    if real_news.exists():
        sets["real_news"] = load_file(real_news)
    else:
        print(f"real news skipped: {real_news} is absent")
    splits = load_splits(data)
    sets.update({name: splits[name] for name in TEST_SPLITS})
    for name in EXTERNAL_SETS:
        path = shared / "external" / f"{name}.jsonl"
        if path.exists():
            rows = [{**row, "frames": None} for _, row in json_objects(path)]
            sets[f"external/{name.removesuffix('_test')}"] = Dataset.from_list(rows)
        else:
            print(f"external/{name} skipped: {path} is absent")
    return sets


def has_frames(split: Dataset) -> bool:
    return split[0]["frames"] is not None


def model_scores(base: str, directory: Path, sets: dict[str, Dataset]) -> dict:
    if not (directory / "config.json").exists():
        print(f"training {base} into {directory} ...", flush=True)
        train(TrainConfig(base_model=base, output=str(directory)))
    predictor = Predictor.from_pretrained(directory)
    scores = {}
    for name, split in sets.items():
        if has_frames(split):
            scores[name] = evaluate_split(predictor, split)
        else:
            results = predictor.predict(split["text"], targets=split["target"], batch_size=64)
            predicted = np.array([STANCE_LABELS.index(r["stance"]) for r in results])
            scores[name] = stance_only(split, predicted)
    return scores


def stance_only(split: Dataset, predicted: np.ndarray) -> dict:
    true = np.array([STANCE_LABELS.index(s) for s in split["stance"]])
    return {"rows": len(split), "stance": stance_metrics(true, predicted, list(STANCE_LABELS))}


def baseline_scores(train_split: Dataset, sets: dict[str, Dataset]) -> dict:
    train_arrays = as_arrays(train_split)
    scores = {}
    for name, baseline in BASELINES.items():
        scores[name] = {}
        for set_name, split in sets.items():
            rows = split if has_frames(split) else split.map(lambda _: {"frames": []})
            arrays = as_arrays(rows)
            stance, frames = baseline(train_arrays, arrays)
            scores[name][set_name] = stance_only(split, stance)
            if has_frames(split):
                scores[name][set_name]["frames"] = frame_metrics(arrays["frame_matrix"], frames, list(FRAME_LABELS))
    return scores


def markdown(results: dict, sets: dict[str, Dataset]) -> str:
    """One table per evaluation set, in report order: macro-F1 (95% bootstrap interval), per-label F1, counts."""
    blocks = []
    for set_name, split in sets.items():
        counts = {s: split["stance"].count(s) for s in STANCE_LABELS}
        header = f"**{set_name}** ({len(split)} sentences; " + ", ".join(f"{s} {n}" for s, n in counts.items())
        columns = ["system", "stance macro-F1", *[f"{s} F1" for s in STANCE_LABELS]]
        if has_frames(split):
            frame_counts = {f: sum(f in frames for frames in split["frames"]) for f in FRAME_LABELS}
            header += "; " + ", ".join(f"{f} {n}" for f, n in frame_counts.items())
            columns += ["frames macro-F1", *[f"{f} F1" for f in FRAME_LABELS]]
        lines = [header + ")", "", "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
        for system, by_set in results.items():
            m = by_set[set_name]
            cells = [system, with_interval(m["stance"])]
            cells += [f"{m['stance']['per_label'][s]['f1']:.3f}" for s in STANCE_LABELS]
            if "frames" in m:
                cells += [with_interval(m["frames"])]
                cells += [f"{m['frames']['per_label'][f]['f1']:.3f}" for f in FRAME_LABELS]
            lines.append("| " + " | ".join(cells) + " |")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--models",
        nargs="*",
        default=["mpnet=runs/stance-framing", "minilm=runs/bench-minilm"],
        help="BASE=DIRECTORY pairs (default: %(default)s)",
    )
    parser.add_argument("--data", default=str(DEFAULT_DATA), help="directory of splits (default: shipped corpus)")
    parser.add_argument("--shared", default=str(SHARED), help="folder with real-news/ and external/ (evaluation only)")
    parser.add_argument("--no-baselines", action="store_true", help="score only the models")
    args = parser.parse_args(argv)
    sets = evaluation_sets(args.data, Path(args.shared))
    started = time.time()
    results = {}
    for pair in args.models:
        base, directory = pair.split("=", 1)
        results[f"stanceframe ({base})"] = model_scores(base, Path(directory), sets)
    if not args.no_baselines:
        results.update(baseline_scores(load_splits(args.data)["train"], sets))
    RESULTS.mkdir(exist_ok=True)
    record = {
        "machine": machine(pick_device().type),
        "seconds": round(time.time() - started, 1),
        "sets": {name: len(split) for name, split in sets.items()},
        "results": results,
    }
    (RESULTS / "quality.json").write_text(json.dumps(record, indent=2))
    print(markdown(results, sets))


if __name__ == "__main__":
    main()
