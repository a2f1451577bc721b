"""Does the evidence mean something? ERASER-style comprehensiveness on the shipped test splits.

    python -m bench.evidence [--model stance-framing:latest] [--limit N] [--seed 13] [--draws 5]

For each sentence of `test` and `test_unseen` (all of them, or a seeded sample of `--limit` per split),
and for each frame the model predicts on it, the sentence's evidence for that frame (`model.explain`,
top 3 words) is deleted at once and the drop in the frame's probability is its comprehensiveness
(DeYoung et al., 2020, ERASER). The baseline deletes as many words picked at random from the same
sentence (`--draws` seeded draws, averaged). The predicted stance is measured the same way.
A label with no word of positive weight has no evidence and is counted apart.
Writes bench/results/evidence.json and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

from bench.speed import machine
from model.explain import delete_spans, explain, word_spans
from model.predictor import Predictor
from model.store import resolve_model_dir

RESULTS = Path(__file__).parent / "results"
CORPUS = Path(__file__).resolve().parents[1] / "data" / "corpus"
TEST_SPLITS = ("test", "test_unseen")
TOP_K = 3


def read_split(data: Path, name: str, limit: int | None, rng: random.Random) -> list[dict]:
    rows = [json.loads(line) for line in (data / f"{name}.jsonl").read_text(encoding="utf-8").splitlines() if line]
    return rng.sample(rows, limit) if limit and limit < len(rows) else rows


def comprehensiveness(predictor: Predictor, rows: list[dict], rng: random.Random, draws: int) -> dict:
    """Mean probability drops of each predicted label when its evidence, or random words, are deleted."""
    results = predictor.predict([row["text"] for row in rows], targets=[row["target"] for row in rows])
    evidence = explain(predictor, results, top_k=TOP_K)
    config = predictor.config
    cases = []  # (result, head, label index, deleted evidence text, deleted random texts)
    missing = {"stance": 0, "frames": 0}
    for result, found in zip(results, evidence, strict=True):
        labels = [("stance", result["stance"], found["stance"])]
        labels += [("frames", frame, found["frames"][frame]) for frame in result["frames"]]
        words = word_spans(result["text"])
        for head, label, spans in labels:
            if not spans:
                missing[head] += 1
                continue
            chosen = [(span["start"], span["end"]) for span in spans]
            randoms = [delete_spans(result["text"], rng.sample(words, len(chosen))) for _ in range(draws)]
            cases.append((result, head, label, delete_spans(result["text"], chosen), randoms))

    texts = [[result["text"], deleted, *randoms] for result, _, _, deleted, randoms in cases]
    targets = [result["target"] for (result, *_), group in zip(cases, texts, strict=True) for _ in group]
    scores = iter(predictor.scores(targets, [text for group in texts for text in group]))
    drops: dict[str, dict[str, list[tuple[float, float]]]] = {"stance": {}, "frames": {}}
    for _, head, label, _, randoms in cases:
        column = 0 if head == "stance" else 1
        index = (config.stance_labels if head == "stance" else config.frame_labels).index(label)
        full, deleted, *random_scores = (next(scores)[column][index] for _ in range(2 + len(randoms)))
        drops[head].setdefault(label, []).append((full - deleted, full - statistics.fmean(random_scores)))
    return {head: summary(by_label, missing[head]) for head, by_label in drops.items()}


def summary(by_label: dict[str, list[tuple[float, float]]], missing: int) -> dict:
    pairs = [pair for label_pairs in by_label.values() for pair in label_pairs]
    evidence = statistics.fmean(e for e, _ in pairs) if pairs else 0.0
    random_words = statistics.fmean(r for _, r in pairs) if pairs else 0.0
    return {
        "labels": len(pairs),
        "without_evidence": missing,
        "evidence_top3": round(evidence, 4),
        "random_words": round(random_words, 4),
        "ratio": round(evidence / random_words, 2) if random_words > 0 else None,
        "per_label": {
            label: {
                "labels": len(label_pairs),
                "evidence_top3": round(statistics.fmean(e for e, _ in label_pairs), 4),
                "random_words": round(statistics.fmean(r for _, r in label_pairs), 4),
            }
            for label, label_pairs in sorted(by_label.items())
        },
    }


def markdown(splits: dict[str, dict]) -> str:
    lines = [
        "| split | head | labels | without evidence | drop, top-3 evidence deleted | drop, random words | ratio |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, heads in splits.items():
        for head in ("frames", "stance"):
            m = heads[head]
            lines.append(
                f"| {name} | {head} | {m['labels']} | {m['without_evidence']} | {m['evidence_top3']:.3f} | "
                f"{m['random_words']:.3f} | {m['ratio'] or 'n/a'} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="saved model directory or BentoML tag (default: stance-framing:latest)")
    parser.add_argument("--data", default=str(CORPUS), help="directory with test.jsonl and test_unseen.jsonl")
    parser.add_argument("--limit", type=int, help="a seeded sample of this many sentences per split (default: all)")
    parser.add_argument("--seed", type=int, default=13, help="seed of the sample and of the random words")
    parser.add_argument("--draws", type=int, default=5, help="random deletions averaged per label (default: 5)")
    args = parser.parse_args(argv)
    predictor = Predictor.from_pretrained(resolve_model_dir(args.model))
    rng = random.Random(args.seed)
    started = time.time()
    splits = {}
    for name in TEST_SPLITS:
        rows = read_split(Path(args.data), name, args.limit, rng)
        splits[name] = {"sentences": len(rows), **comprehensiveness(predictor, rows, rng, args.draws)}
    RESULTS.mkdir(exist_ok=True)
    record = {
        "command": "python -m bench.evidence " + " ".join(argv if argv is not None else sys.argv[1:]),
        "model": args.model or "stance-framing:latest",
        "machine": machine(predictor.device.type),
        "seconds": round(time.time() - started, 1),
        "top_k": TOP_K,
        "draws": args.draws,
        "seed": args.seed,
        "splits": splits,
    }
    (RESULTS / "evidence.json").write_text(json.dumps(record, indent=2) + "\n")
    print(markdown(splits))


if __name__ == "__main__":
    main()
