"""`stanceframe predict --engine ray`: the local engine's job, labelled by a pool of Ray actors.

Ray Data reads the input with one read task on this machine's node (so input paths are the ones this
machine sees) running the same `InputPlan` as the local engine, splits documents into sentences in
parallel tasks, and labels them with `map_batches` over a pool of predictor actors: one GPU each where
the cluster has GPUs, else ``threads`` CPUs each. Results come back to this process in input order and
are written by the local engine's `Sink`, so the files, `--resume` and the progress bar are the same.
The model directory and this project's code travel to the nodes with Ray's runtime environments: cluster
nodes need the dependencies (`pip install 'stanceframe[ray]'`), not a copy of the model or of the code.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
from collections.abc import Iterable, Iterator
from pathlib import Path

import pyarrow as pa
import torch

from model.precision import resolve_precision
from training.archive import CHUNK_BATCHES, PREDICTED, InputPlan, Sink, archive_job, expand_documents, predict_units

try:
    import ray
except ImportError as error:  # the optional `ray` extra
    raise RuntimeError("--engine ray needs Ray: pip install -e '.[ray]'") from error
from ray.data import DataContext
from ray.data.block import BlockMetadata
from ray.data.datasource import Datasource, ReadTask

DOCUMENTS_PER_BLOCK = 16  # a block of documents becomes a block of sentences, so documents go fewer to a block


@contextlib.contextmanager
def ray_job(model_dir: Path, address: str | None = None, cpus: int | None = None) -> Iterator[None]:
    """Connect to the cluster at ``address``, or start a local Ray instance of ``cpus`` CPUs, for one job.

    The job's runtime environment ships this project's code and the model directory to every node;
    the model directory is its working directory, so actors load the model from where they start.
    """
    import model
    import training

    if ray.is_initialized():
        raise RuntimeError("Ray is already initialised in this process; stanceframe connects for each job itself")
    ray.init(
        address=address,
        num_cpus=cpus,
        runtime_env={"py_modules": [model, training], "working_dir": str(model_dir), "excludes": ["__pycache__"]},
        logging_level=logging.WARNING,
        log_to_driver=False,
        include_dashboard=False,
    )
    try:
        yield
    finally:
        ray.shutdown()


def predict_archive_on_ray(
    model_dir: Path,
    source: Path,
    output: Path,
    *,
    batch_size: int = 32,
    precision: str = "auto",
    address: str | None = None,
    cpus: int | None = None,
    workers: int | None = None,
    threads: int = 1,
    **options,
) -> Sink:
    """Label an archive on Ray (options as for `training.archive.archive_job`); return the closed sink."""
    from model.config import StanceFrameConfig

    config = StanceFrameConfig.from_pretrained(model_dir)
    with archive_job(source, output, config, **options) as (plan, sink), ray_job(model_dir, address, cpus):
        plan = dataclasses.replace(plan, source=plan.source.resolve())  # Ray's workers start in the model directory
        dataset = _labelled(plan, batch_size, precision, workers, threads)
        for batch in dataset.iter_batches(batch_size=None, batch_format="pyarrow"):
            units = [json.loads(unit) for unit in batch.column("unit").to_pylist()]
            sink.write(units, [json.loads(result) for result in batch.column("result").to_pylist() if result])
    return sink


def _labelled(plan: InputPlan, batch_size: int, precision: str, workers: int | None, threads: int):
    """The Ray Data pipeline: read units here, split documents, label with the actor pool, in input order."""
    context = DataContext.get_current()
    context.execution_options.preserve_order = True
    context.enable_progress_bars = False  # the job's own bar counts rows; Ray Data's logs would break it up
    context.print_on_execution_start = False
    logging.getLogger("ray.data").setLevel(logging.ERROR)
    gpus = int(ray.cluster_resources().get("GPU", 0))
    if gpus:
        resources, size = {"num_gpus": 1}, workers or gpus
    else:
        resources, size = {"num_cpus": threads}, workers or max(1, int(ray.cluster_resources()["CPU"] // threads))
        # Chosen here, once, as the local engine chooses it: each actor measuring for itself while its siblings
        # load their models once picked bf16 where the local engine picked fp32, and the labels differed.
        precision = resolve_precision(precision, torch.device("cpu"))
    chunk = CHUNK_BATCHES * batch_size  # units per actor call, as the local engine's predictor calls
    # Reading and splitting take no CPU from the actors' share (they are light next to the model), so
    # their concurrency is capped instead: one reader, and a splitter per actor.
    dataset = ray.data.read_datasource(_UnitSource(plan, DOCUMENTS_PER_BLOCK if plan.documents else chunk), num_cpus=0)
    if plan.documents:
        splitters = ray.data.TaskPoolStrategy(size=size)
        dataset = dataset.map_batches(_split_documents, batch_format="pyarrow", num_cpus=0, compute=splitters)
    return dataset.map_batches(
        _Labeller,
        fn_constructor_args=(precision, batch_size, threads),
        batch_size=chunk,
        batch_format="pyarrow",
        compute=ray.data.ActorPoolStrategy(size=size),
        **resources,
    )


class _UnitSource(Datasource):
    """The job's units as blocks of JSON strings, read by one task on the driver's node."""

    def __init__(self, plan: InputPlan, block_units: int):
        self.plan, self.block_units = plan, block_units

    @property
    def supports_distributed_reads(self) -> bool:
        return False  # input paths are local to the machine that runs `stanceframe predict`

    def estimate_inmemory_data_size(self) -> None:
        return None

    def get_read_tasks(self, parallelism: int, per_task_row_limit=None, data_context=None) -> list:
        plan, size = self.plan, self.block_units

        def read() -> Iterator[pa.Table]:
            for units in _batched(plan.units(), size):
                yield _block(units)

        return [ReadTask(read, BlockMetadata(num_rows=None, size_bytes=None, exec_stats=None, input_files=None))]


def _split_documents(batch: pa.Table) -> pa.Table:
    return _block(expand_documents(json.loads(unit) for unit in batch.column("unit").to_pylist()))


class _Labeller:
    """A predictor actor: loads the model once from its working directory (the job's model directory) and labels
    the units that carry a sentence."""

    def __init__(self, precision: str, batch_size: int, threads: int):
        import torch

        from model.predictor import Predictor

        if not torch.cuda.is_available():
            torch.set_num_threads(threads)
        self.predictor = Predictor.from_pretrained(Path.cwd(), precision=precision)
        self.batch_size = batch_size

    def __call__(self, batch: pa.Table) -> pa.Table:
        encoded = batch.column("unit").to_pylist()
        units = [json.loads(unit) for unit in encoded]
        results = iter(predict_units(self.predictor, units, self.batch_size))
        labels = [json.dumps(next(results), ensure_ascii=False) if u["kind"] in PREDICTED else "" for u in units]
        return pa.table({"unit": encoded, "result": labels})


def _block(units: Iterable[dict]) -> pa.Table:
    return pa.table(
        {"unit": pa.array([json.dumps(unit, ensure_ascii=False, default=str) for unit in units], pa.string())}
    )


def _batched(items: Iterable, size: int) -> Iterator[list]:
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
