"""Scoring an archive with `stanceframe predict`: throughput and peak memory at two sizes, against the predictor.

    python -m bench.archive [--model stance-framing:latest] [--sizes 20000 200000] [--ray-size 20000]

For each size it writes a JSONL archive of that many sentences (the shipped corpus's sentences with
their targets, repeated, each with its own id) to a temporary directory and runs
`python -m training.cli predict` on it as a subprocess, progress bar on. Throughput is sentences
over the subprocess's whole wall time, start-up and model loading included; peak memory is the
subprocess's peak resident set (``os.wait4``). The reference is the predictor's in-process figure:
`Predictor.predict` over the smallest archive's sentences after a warm-up, in a process of its own,
at the same precision and batch size. The Ray engine then labels ``--ray-size`` sentences on a local
Ray instance (all of this machine's CPUs); its overhead is its wall time over the local engine's on
the same archive. Writes bench/results/archive.json and prints a Markdown table.

Targets: the local engine at >= 90% of the in-process throughput, and a peak resident memory that is
the same for every size (within 10%) and under 2 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
CORPUS = ROOT / "data" / "corpus"
MIN_SHARE, MAX_MEMORY_SPREAD, MAX_PEAK_MB = 0.90, 0.10, 2048


def corpus_rows(count: int) -> list[dict]:
    """`count` sentence rows: the shipped corpus's sentences and targets, repeated, with unique ids."""
    rows = [json.loads(line) for split in sorted(CORPUS.glob("*.jsonl")) for line in split.open(encoding="utf-8")]
    return [
        {"id": f"s{i:07d}", "text": rows[i % len(rows)]["text"], "target": rows[i % len(rows)]["target"]}
        for i in range(count)
    ]


def write_archive(path: Path, count: int) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        for row in corpus_rows(count):
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path


def run_predict(arguments: list[str], log: Path) -> dict:
    """Run `stanceframe predict` in a subprocess: wall seconds and peak resident memory (MB)."""
    command = [sys.executable, "-m", "training.cli", "predict", *arguments]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with log.open("w") as errors:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{log.read_text()[-3000:]}")
    return {"seconds": round(seconds, 1), "peak_rss_mb": round(usage.ru_maxrss / 1024)}


def in_process(model_dir: str, count: int, batch_size: int, precision: str) -> dict:
    """The predictor's own throughput on `count` sentences, model already loaded and warmed up."""
    from model.predictor import Predictor

    rows = corpus_rows(count)
    texts, targets = [row["text"] for row in rows], [row["target"] for row in rows]
    predictor = Predictor.from_pretrained(model_dir, precision=precision)
    predictor.predict(texts[:64], targets=targets[:64], batch_size=batch_size)
    started = time.perf_counter()
    predictor.predict(texts, targets=targets, batch_size=batch_size)
    seconds = time.perf_counter() - started
    return {"sentences": count, "seconds": round(seconds, 1), "sentences_per_s": round(count / seconds, 1)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="stance-framing:latest", help="model directory or BentoML tag")
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 200_000], help="sentences per archive")
    parser.add_argument("--ray-size", type=int, default=20_000, help="sentences for the Ray engine (0: skip)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--precision", default="auto", help="auto, fp32, bf16 or fp16; auto is resolved once here")
    parser.add_argument("--results", default=str(RESULTS / "archive.json"), help="where to write the results")
    parser.add_argument("--in-process", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    from bench.speed import machine
    from model.precision import resolve_precision
    from model.predictor import pick_device
    from model.store import resolve_model_dir

    model_dir = str(resolve_model_dir(args.model))
    device = pick_device()
    precision = resolve_precision(args.precision, device)
    if args.in_process:
        print(json.dumps(in_process(model_dir, args.in_process, args.batch_size, precision)))
        return

    sizes = sorted(args.sizes)
    command = [sys.executable, "-m", "bench.archive", "--model", model_dir, "--batch-size", str(args.batch_size)]
    command += ["--precision", precision, "--in-process", str(sizes[0])]
    reference = json.loads(subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True).stdout)
    print(f"in-process predictor: {reference}", flush=True)

    common = ["--model", model_dir, "--batch-size", str(args.batch_size), "--precision", precision]
    local, ray = [], None
    with tempfile.TemporaryDirectory(prefix="stanceframe-archive-") as work:
        work = Path(work)
        for size in sorted({*sizes, args.ray_size} - {0}):
            source = write_archive(work / f"archive-{size}.jsonl", size)
            output = work / f"labels-{size}.jsonl"
            run = run_predict(["--input", str(source), "--output", str(output), *common], work / "local.log")
            run = {"sentences": size, **run, "sentences_per_s": round(size / run["seconds"], 1)}
            run["share_of_in_process"] = round(run["sentences_per_s"] / reference["sentences_per_s"], 3)
            local.append(run)
            print(f"local engine: {run}", flush=True)
            if size == args.ray_size:
                ray = bench_ray(source, work, common, run)
    measured = [run for run in local if run["sentences"] in sizes]
    peaks = [run["peak_rss_mb"] for run in measured]
    spread = round(max(peaks) / min(peaks) - 1, 3)
    record = {
        "machine": machine(device.type),
        "model": model_dir,
        "precision": precision,
        "batch_size": args.batch_size,
        "in_process": reference,
        "local": measured,
        "peak_rss_spread": spread,
        "targets_met": {
            f"throughput >= {MIN_SHARE:.0%} of in-process": all(
                r["share_of_in_process"] >= MIN_SHARE for r in measured
            ),
            f"peak RSS the same for every size (within {MAX_MEMORY_SPREAD:.0%})": spread <= MAX_MEMORY_SPREAD,
            f"peak RSS under {MAX_PEAK_MB} MB": max(peaks) < MAX_PEAK_MB,
        },
        "ray": ray,
    }
    Path(args.results).parent.mkdir(parents=True, exist_ok=True)
    Path(args.results).write_text(json.dumps(record, indent=2) + "\n")
    print_table(record)


def bench_ray(source: Path, work: Path, common: list[str], local: dict) -> dict | None:
    """The Ray engine on a local instance over the same archive: throughput and overhead over the local engine."""
    try:
        import ray  # noqa: F401
    except ImportError:
        print("Ray is not installed (pip install -e '.[ray]'): no Ray figures", flush=True)
        return None
    output = work / "labels-ray.jsonl"
    run = run_predict(["--input", str(source), "--output", str(output), *common, "--engine", "ray"], work / "ray.log")
    run = {"sentences": local["sentences"], "actors": f"{os.cpu_count()}, one CPU thread each", **run}
    run["sentences_per_s"] = round(local["sentences"] / run["seconds"], 1)
    run["overhead_over_local"] = round(run["seconds"] / local["seconds"] - 1, 3)
    print(f"ray engine: {run}", flush=True)
    return run


def print_table(record: dict) -> None:
    reference = record["in_process"]
    print(f"\n{record['machine']}; precision {record['precision']}, batch size {record['batch_size']}")
    print("| engine | sentences | wall s | sentences/s | share of in-process | peak RSS (MB) |")
    print("|---|---|---|---|---|---|")
    row = f"{reference['sentences']} | {reference['seconds']} | {reference['sentences_per_s']}"
    print(f"| predictor in-process | {row} | 100% | |")
    for run in record["local"]:
        print(
            f"| `stanceframe predict` | {run['sentences']} | {run['seconds']} | {run['sentences_per_s']} "
            f"| {run['share_of_in_process']:.0%} | {run['peak_rss_mb']} |"
        )
    ray = record["ray"]
    if ray:
        print(
            f"| `--engine ray` (local instance) | {ray['sentences']} | {ray['seconds']} | {ray['sentences_per_s']} "
            f"| {ray['sentences_per_s'] / reference['sentences_per_s']:.0%} | {ray['peak_rss_mb']} (driver) |"
        )
        print(f"Ray overhead over the local engine on the same archive: {ray['overhead_over_local']:+.0%} wall time")
    print(f"peak RSS spread across sizes: {record['peak_rss_spread']:.1%}")
    for target, met in record["targets_met"].items():
        print(f"- {target}: {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()
