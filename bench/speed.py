"""Predictor throughput at several batch sizes against a naive per-sentence pipeline, same machine, one run.

    python -m bench.speed [--model stance-framing:latest] [--sentences 512] [--device cpu|cuda]

Each measurement runs in its own process so its peak memory is its own.
Writes bench/results/speed-<device>.json and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import torch

from model.predictor import Predictor, pick_device

RESULTS = Path(__file__).parent / "results"
CORPUS = Path(__file__).resolve().parents[1] / "data" / "corpus"
BATCH_SIZES = (1, 8, 32, 128)


def news_sentences(count: int) -> list[str]:
    """Sentences from the shipped test splits (headlines to 60-word sentences), repeated to `count`."""
    texts = [
        json.loads(line)["text"]
        for name in ("test", "test_unseen")
        for line in (CORPUS / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    return (texts * (count // len(texts) + 1))[:count]


def measure(mode: str, model_dir: str, count: int, batch_size: int, device: str) -> dict:
    """Sentences per second for one mode, after a warm-up, in this process."""
    sentences = news_sentences(count)
    predictor = Predictor.from_pretrained(model_dir, device=torch.device(device))
    if mode == "predictor":

        def run(batch):
            return predictor.predict(batch, batch_size=batch_size)
    else:
        from bench.naive_pipeline import StanceFramePipeline

        model = predictor.model.float()
        pipe = StanceFramePipeline(model=model, tokenizer=predictor.tokenizer, device=torch.device(device))

        def run(batch):
            return [pipe(sentence) for sentence in batch]

    run(sentences[:16])
    if device == "cuda":
        torch.cuda.synchronize()
    started = time.perf_counter()
    run(sentences)
    if device == "cuda":
        torch.cuda.synchronize()
    elapsed = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {
        "mode": mode,
        "batch_size": batch_size if mode == "predictor" else 1,
        "sentences": count,
        "seconds": round(elapsed, 3),
        "sentences_per_s": round(count / elapsed, 1),
        "peak_rss_mb": round(peak_mb),
    }
    if device == "cuda":
        result["peak_gpu_mb"] = round(torch.cuda.max_memory_allocated() / 2**20)
    return result


def machine(device: str) -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.machine(),
    )
    name = f"{cpu}, {torch.get_num_threads()} torch threads, torch {torch.__version__}"
    if device == "cuda":
        name += f", GPU {torch.cuda.get_device_name()}"
    return name


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="stance-framing:latest", help="model directory or BentoML tag")
    parser.add_argument("--sentences", type=int, default=512, help="sentences per measurement")
    parser.add_argument("--device", default=pick_device().type)
    parser.add_argument("--one", nargs=2, metavar=("MODE", "BATCH"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    from model.store import resolve_model_dir

    model_dir = str(resolve_model_dir(args.model))
    if args.one:
        print(json.dumps(measure(args.one[0], model_dir, args.sentences, int(args.one[1]), args.device)))
        return
    runs = [("naive_pipeline", 1)] + [("predictor", b) for b in BATCH_SIZES]
    results = []
    for mode, batch in runs:
        command = [
            sys.executable,
            "-m",
            "bench.speed",
            "--model",
            model_dir,
            "--sentences",
            str(args.sentences),
            "--device",
            args.device,
            "--one",
            mode,
            str(batch),
        ]
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        results.append(json.loads(output.strip().splitlines()[-1]))
        print(results[-1], flush=True)
    naive = results[0]["sentences_per_s"]
    best = max(results[1:], key=lambda r: r["sentences_per_s"])
    record = {
        "machine": machine(args.device),
        "device": args.device,
        "results": results,
        "best_speedup_over_naive": round(best["sentences_per_s"] / naive, 2),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"speed-{args.device}.json").write_text(json.dumps(record, indent=2))
    print("| mode | batch size | sentences/s | peak RSS (MB) |\n|---|---|---|---|")
    for r in results:
        print(f"| {r['mode']} | {r['batch_size']} | {r['sentences_per_s']} | {r['peak_rss_mb']} |")
    print(f"best predictor / naive: {record['best_speedup_over_naive']}x on {record['machine']}")


if __name__ == "__main__":
    main()
