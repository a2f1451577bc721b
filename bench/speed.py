"""Predictor throughput and efficiency at each precision, against a naive per-sentence pipeline, one run.

    python -m bench.speed [--model stance-framing:latest] [--sentences 768] [--device cpu|cuda]

For fp32, for forced bf16 and for what `auto` picks on this machine, it measures in one run:
the matmul peak of this machine (1024² matmul), the predictor's sentences/s at batch sizes 8, 32 and 64,
and its effective GFLOP/s (2 x the encoder's non-embedding parameters x the real, unpadded token count,
over the time) as a share of that peak. It also times the naive per-sentence Hugging Face pipeline in
fp32, and counts on `test` and `test_unseen` how many sentences change stance or frame set against fp32.
Each throughput measurement runs in its own process so its peak memory is its own.
Writes bench/results/speed-<device>.json and prints Markdown tables.
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

from model.precision import DTYPES, resolve_precision
from model.predictor import Predictor, pick_device

RESULTS = Path(__file__).parent / "results"
CORPUS = Path(__file__).resolve().parents[1] / "data" / "corpus"
BATCH_SIZES = (8, 32, 64)
TEST_SPLITS = ("test", "test_unseen")


def test_rows() -> list[dict]:
    """The shipped test splits' rows (headlines to 60-word sentences)."""
    return [
        json.loads(line)
        for name in TEST_SPLITS
        for line in (CORPUS / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
    ]


def news_sentences(count: int) -> list[str]:
    """Sentences from the shipped test splits, repeated to `count`."""
    texts = [row["text"] for row in test_rows()]
    return (texts * (count // len(texts) + 1))[:count]


def matmul_gflops(precision: str, device: str, size: int = 1024, repeats: int = 30) -> float:
    """Measured GFLOP/s of a size² matmul at one precision: the peak the predictor is compared with."""
    a = torch.randn(size, size, dtype=DTYPES[precision], device=device)
    b = torch.randn(size, size, dtype=DTYPES[precision], device=device)
    for _ in range(5):
        a @ b
    _synchronize(device)
    started = time.perf_counter()
    for _ in range(repeats):
        a @ b
    _synchronize(device)
    return 2 * size**3 * repeats / (time.perf_counter() - started) / 1e9


def encoder_flops_per_token(predictor: Predictor) -> int:
    """2 x the encoder's parameters outside the embedding tables: multiply-adds per token."""
    encoder = predictor.model.encoder
    embedding = sum(p.numel() for p in encoder.get_input_embeddings().parameters())
    position = getattr(getattr(encoder, "embeddings", None), "position_embeddings", None)
    embedding += position.weight.numel() if position is not None else 0
    return 2 * (sum(p.numel() for p in encoder.parameters()) - embedding)


def measure(mode: str, model_dir: str, count: int, batch_size: int, device: str, precision: str) -> dict:
    """Sentences per second and effective GFLOP/s for one mode, after a warm-up, in this process."""
    sentences = news_sentences(count)
    predictor = Predictor.from_pretrained(model_dir, device=torch.device(device), precision=precision)
    if mode == "predictor":

        def run(batch):
            return predictor.predict(batch, batch_size=batch_size)
    else:
        from bench.naive_pipeline import StanceFramePipeline

        pipe = StanceFramePipeline(
            model=predictor.model.float(), tokenizer=predictor.tokenizer, device=torch.device(device)
        )

        def run(batch):
            return [pipe(sentence) for sentence in batch]

    targets = [predictor.default_target] * len(sentences)
    tokens = sum(predictor._token_lengths(targets, sentences))
    run(sentences[:64])
    _synchronize(device)
    started = time.perf_counter()
    run(sentences)
    _synchronize(device)
    elapsed = time.perf_counter() - started
    gflops = encoder_flops_per_token(predictor) * tokens / elapsed / 1e9
    result = {
        "mode": mode,
        "precision": predictor.precision if mode == "predictor" else "fp32",
        "batch_size": batch_size if mode == "predictor" else 1,
        "sentences": count,
        "tokens": tokens,
        "seconds": round(elapsed, 3),
        "sentences_per_s": round(count / elapsed, 1),
        "effective_gflops": round(gflops, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    if device == "cuda":
        result["peak_gpu_mb"] = round(torch.cuda.max_memory_allocated() / 2**20)
    return result


def label_changes(model_dir: str, device: str, precision: str) -> dict:
    """Share of test sentences whose stance or frame set differs from fp32 at `precision`."""
    rows = test_rows()
    texts, targets = [r["text"] for r in rows], [r["target"] for r in rows]
    reference = Predictor.from_pretrained(model_dir, device=torch.device(device), precision="fp32")
    other = Predictor.from_pretrained(model_dir, device=torch.device(device), precision=precision)
    a, b = reference.predict(texts, targets=targets), other.predict(texts, targets=targets)
    pairs = list(zip(a, b, strict=True))
    return {
        "precision": other.precision,
        "sentences": len(rows),
        "stance_identical": round(sum(x["stance"] == y["stance"] for x, y in pairs) / len(pairs), 4),
        "frames_identical": round(sum(x["frames"] == y["frames"] for x, y in pairs) / len(pairs), 4),
        "max_frame_probability_change": round(
            max(abs(x["frame_scores"][k] - y["frame_scores"][k]) for x, y in pairs for k in x["frame_scores"]), 4
        ),
    }


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


def _synchronize(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def _one(model_dir: str, count: int, device: str, mode: str, batch: int, precision: str) -> dict:
    command = [sys.executable, "-m", "bench.speed", "--model", model_dir, "--sentences", str(count)]
    command += ["--device", device, "--one", mode, str(batch), precision]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="stance-framing:latest", help="model directory or BentoML tag")
    parser.add_argument("--sentences", type=int, default=768, help="sentences per measurement")
    parser.add_argument("--device", default=pick_device().type)
    parser.add_argument("--one", nargs=3, metavar=("MODE", "BATCH", "PRECISION"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    from model.store import resolve_model_dir

    model_dir = str(resolve_model_dir(args.model))
    if args.one:
        mode, batch, precision = args.one
        print(json.dumps(measure(mode, model_dir, args.sentences, int(batch), args.device, precision)))
        return

    auto = resolve_precision("auto", torch.device(args.device))
    precisions = ["fp32", "fp16" if args.device == "cuda" else "bf16"]
    peaks = {p: round(matmul_gflops(p, args.device), 1) for p in precisions}
    naive = _one(model_dir, args.sentences, args.device, "naive_pipeline", 1, "fp32")
    print(naive, flush=True)
    runs = []
    for precision in precisions:
        for batch in BATCH_SIZES:
            runs.append(_one(model_dir, args.sentences, args.device, "predictor", batch, precision))
            runs[-1]["share_of_matmul_peak"] = round(runs[-1]["effective_gflops"] / peaks[precision], 3)
            print(runs[-1], flush=True)
    best = {p: max((r for r in runs if r["precision"] == p), key=lambda r: r["sentences_per_s"]) for p in precisions}
    changes = [label_changes(model_dir, args.device, p) for p in precisions if p != "fp32"]
    record = {
        "machine": machine(args.device),
        "device": args.device,
        "auto_precision": auto,
        "matmul_peak_gflops": peaks,
        "naive_pipeline": naive,
        "predictor": runs,
        "best": best,
        "auto_over_fp32": round(best[auto]["sentences_per_s"] / best["fp32"]["sentences_per_s"], 2),
        "auto_over_naive": round(best[auto]["sentences_per_s"] / naive["sentences_per_s"], 2),
        "label_changes_against_fp32": changes,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"speed-{args.device}.json").write_text(json.dumps(record, indent=2))
    print_tables(record)


def print_tables(record: dict) -> None:
    peaks = record["matmul_peak_gflops"]
    print(f"\n{record['machine']}; matmul peak " + ", ".join(f"{p} {g} GFLOP/s" for p, g in peaks.items()))
    print("| mode | precision | batch | sentences/s | effective GFLOP/s | share of matmul peak | peak RSS (MB) |")
    print("|---|---|---|---|---|---|---|")
    naive = record["naive_pipeline"]
    share = naive["effective_gflops"] / peaks["fp32"]
    print(
        f"| naive pipeline | fp32 | 1 | {naive['sentences_per_s']} | {naive['effective_gflops']} | {share:.0%} "
        f"| {naive['peak_rss_mb']} |"
    )
    for r in record["predictor"]:
        print(
            f"| predictor | {r['precision']} | {r['batch_size']} | {r['sentences_per_s']} | {r['effective_gflops']} "
            f"| {r['share_of_matmul_peak']:.0%} | {r['peak_rss_mb']} |"
        )
    print(
        f"auto picks {record['auto_precision']}: {record['auto_over_fp32']}x the fp32 predictor, "
        f"{record['auto_over_naive']}x the naive pipeline"
    )
    for change in record["label_changes_against_fp32"]:
        print(
            f"{change['precision']} against fp32 on {change['sentences']} test sentences: stance identical "
            f"{change['stance_identical']:.1%}, frame sets identical {change['frames_identical']:.1%}, "
            f"max frame-probability change {change['max_frame_probability_change']}"
        )


if __name__ == "__main__":
    main()
