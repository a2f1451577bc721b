"""The `stanceframe` command: train, evaluate and predict."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

from training.data import DataError


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `stanceframe` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except (DataError, FileNotFoundError, ValueError) as error:
        print(f"stanceframe {args.command}: error: {error}", file=sys.stderr)
        return 2
    except RuntimeError as error:  # model not found, encoder package missing
        print(f"stanceframe {args.command}: error: {error}", file=sys.stderr)
        return 1


def build_parser() -> argparse.ArgumentParser:
    from training.config import TrainConfig

    parser = argparse.ArgumentParser(prog="stanceframe", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    train = commands.add_parser("train", help="train a model from labelled data and add it to the BentoML store")
    for spec in dataclasses.fields(TrainConfig):
        flag = "--" + spec.name.replace("_", "-")
        help_text = f"{spec.metadata['help']} (default: %(default)s)"
        if isinstance(spec.default, bool):
            train.add_argument(flag, action=argparse.BooleanOptionalAction, default=spec.default, help=help_text)
        else:
            kind = spec.metadata.get("type", type(spec.default))
            train.add_argument(flag, type=kind, default=spec.default, help=help_text)
    train.add_argument("--no-store", action="store_true", help="do not import the model into the BentoML store")
    train.set_defaults(handler=run_train)

    evaluate = commands.add_parser("evaluate", help="score a model on labelled data")
    evaluate.add_argument("--data", required=True, help="labelled file or directory of splits")
    evaluate.add_argument("--model", help="saved model directory or BentoML tag (default: stance-framing:latest)")
    evaluate.add_argument("--output", default="metrics.json", help="where to write the metrics (default: %(default)s)")
    add_precision_flag(evaluate)
    evaluate.set_defaults(handler=run_evaluate)

    predict = commands.add_parser(
        "predict",
        help="label an archive: sentence or document rows (JSONL, CSV, Parquet) or a plain-text document",
        description="Label every sentence of an input of any size, writing results as they come. Sentence rows "
        "have `text` (optional `id`, `target`); document rows have `doc_id` and `text` (optional `target`) and "
        "are split into sentences with offsets; any other file is one plain-text document.",
    )
    predict.add_argument("--input", required=True, help="JSONL, CSV or Parquet rows, or a plain-text document")
    predict.add_argument(
        "--output", required=True, help="one row per sentence: JSONL, or Parquet (a directory of parts) for .parquet"
    )
    predict.add_argument("--model", help="saved model directory or BentoML tag (default: stance-framing:latest)")
    predict.add_argument("--target", help="target for rows that name none (default: the model's default target)")
    predict.add_argument("--batch-size", type=int, default=32, help="sentences per forward pass (default: %(default)s)")
    predict.add_argument(
        "--explain",
        action="store_true",
        help="add `evidence`: the words behind the stance and each predicted frame (one extra pass per word)",
    )
    add_precision_flag(predict)
    predict.add_argument(
        "--resume", action="store_true", help="keep what an interrupted run wrote and go on from there"
    )
    predict.add_argument(
        "--skip-bad-rows", action="store_true", help="write bad rows to the rejects file with the reason and go on"
    )
    predict.add_argument("--rejects", help="rejects file for --skip-bad-rows (default: OUTPUT's stem + .rejects.jsonl)")
    predict.add_argument("--summary", help="document input: one summary per document here (JSONL, or .parquet)")
    predict.add_argument("--quiet", action="store_true", help="no progress bar")
    predict.add_argument(
        "--engine", choices=("local", "ray"), default="local", help="label in this process or on Ray (default: local)"
    )
    predict.add_argument("--ray-address", help="Ray cluster to use, e.g. auto (default: start a local Ray instance)")
    predict.add_argument("--ray-cpus", type=int, help="CPUs of the local Ray instance (default: all of this machine's)")
    predict.add_argument(
        "--ray-workers", type=int, help="predictor actors (default: one per GPU, else one per --ray-threads CPUs)"
    )
    predict.add_argument(
        "--ray-threads", type=int, default=1, help="CPUs and torch threads per actor without GPUs (default: 1)"
    )
    predict.set_defaults(handler=run_predict)
    return parser


def add_precision_flag(parser: argparse.ArgumentParser) -> None:
    from model.precision import PRECISIONS, requested_precision

    parser.add_argument(
        "--precision",
        choices=PRECISIONS,
        default=requested_precision(),
        help="inference precision; auto picks bf16 where the hardware computes it fast (default: %(default)s, "
        "from STANCEFRAME_PRECISION)",
    )


def run_train(args: argparse.Namespace) -> int:
    from model.store import save_to_store
    from training.config import TrainConfig
    from training.train import train

    values = {spec.name: getattr(args, spec.name) for spec in dataclasses.fields(TrainConfig)}
    config = TrainConfig(**values)
    output, metrics = train(config)
    run_record = json.loads((output / "metrics.json").read_text())
    print(f"model saved to {output}")
    print_metrics(metrics)
    if not args.no_store:
        summary = {
            name: {
                "stance_macro_f1": round(m["stance"]["macro_f1"], 4),
                "frames_macro_f1": round(m["frames"]["macro_f1"], 4),
            }
            for name, m in metrics.items()
        }
        tag = save_to_store(
            output,
            metadata={"metrics": summary, "data_sha256": run_record["data_sha256"], "base_model": config.base_model},
        )
        print(f"added to the BentoML store as {tag}")
    return 0


def run_evaluate(args: argparse.Namespace) -> int:
    from model.predictor import Predictor
    from model.store import resolve_model_dir
    from training.data import load_file, load_splits
    from training.evaluation import evaluate_split

    data = Path(args.data)
    splits = {data.stem: load_file(data)} if data.is_file() else load_splits(data)
    predictor = Predictor.from_pretrained(resolve_model_dir(args.model), precision=args.precision)
    metrics = {name: evaluate_split(predictor, split) for name, split in splits.items()}
    Path(args.output).write_text(json.dumps(metrics, indent=2))
    print_metrics(metrics)
    print(f"metrics written to {args.output}")
    return 0


def run_predict(args: argparse.Namespace) -> int:
    from model.store import resolve_model_dir
    from training.archive import default_rejects

    source, output = Path(args.input), Path(args.output)
    if args.rejects and not args.skip_bad_rows:
        raise ValueError("--rejects goes with --skip-bad-rows")
    if args.explain and args.engine == "ray":
        raise ValueError("--explain runs with the local engine only; drop --engine ray")
    rejects = (Path(args.rejects) if args.rejects else default_rejects(output)) if args.skip_bad_rows else None
    options = {
        "target": args.target,
        "resume": args.resume,
        "rejects": rejects,
        "summary": Path(args.summary) if args.summary else None,
        "quiet": args.quiet,
        "batch_size": args.batch_size,
    }
    model_dir = resolve_model_dir(args.model)
    try:
        if args.engine == "ray":
            from training.ray_engine import predict_archive_on_ray

            sink = predict_archive_on_ray(
                model_dir,
                source,
                output,
                precision=args.precision,
                address=args.ray_address,
                cpus=args.ray_cpus,
                workers=args.ray_workers,
                threads=args.ray_threads,
                **options,
            )
        else:
            from model.predictor import Predictor
            from training.archive import predict_archive

            predictor = Predictor.from_pretrained(model_dir, precision=args.precision)
            sink = predict_archive(predictor, source, output, explain=args.explain, **options)
    except KeyboardInterrupt:
        print(f"interrupted: {output} holds every row labelled so far; add --resume to go on", file=sys.stderr)
        return 130
    print(f"wrote {sink.written} predictions to {output}")
    if rejects:
        print(f"{sink.rejected} bad rows written to {rejects}")
    if args.summary:
        print(f"{sink.summarised} document summaries written to {args.summary}")
    return 0


def print_metrics(metrics: dict) -> None:
    """One line per split: stance and frame macro-F1 (95% bootstrap interval) with per-label F1."""
    from training.metrics import with_interval

    for name, split in metrics.items():
        stance, frames = split["stance"], split["frames"]
        per_stance = ", ".join(f"{k} {v['f1']:.3f}" for k, v in stance["per_label"].items())
        per_frame = ", ".join(f"{k} {v['f1']:.3f}" for k, v in frames["per_label"].items())
        print(
            f"{name:12s} n={split['rows']:<5d} stance macro-F1 {with_interval(stance)} [{per_stance}] | "
            f"frames macro-F1 {with_interval(frames)} [{per_frame}]"
        )


if __name__ == "__main__":
    sys.exit(main())
