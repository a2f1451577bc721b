"""Streaming batch prediction over an archive of any size, resumable, with a progress bar.

A job is the same for both engines (this module's local one and `training.ray_engine`):
`InputPlan.units` turns input rows into units in input order (a sentence row, a document, or a
reject) and skips what an earlier run already wrote; `expand_documents` splits documents into
sentence units; `Sink` writes labelled units in order (output rows, rejects, per-document
summaries) and moves the progress bar. Only what labels the sentences differs between engines.

Resuming is exact because each output file holds an in-order prefix of what the job writes to it:
an earlier run's complete output rows, rejects and summaries are counted, and the same number of
input rows is skipped. The row key that ends each prefix (``id``, or ``doc_id`` and sentence ``id``)
is checked against the input, so output from another input is refused rather than extended.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from model.explain import add_evidence
from model.summary import summarise
from training.archive_io import count_records, open_rows, read_records, recover_rows, remove_rows
from training.data import DataError

# Sentences per predictor call, in batches: sorted by length within the call, 64 batches pad a few
# percent less than sorting the whole archive would, and memory stays bounded.
CHUNK_BATCHES = 64
PREDICTED = ("row", "sentence")  # the unit kinds that carry a sentence to label


@dataclass
class Done:
    """What an earlier run of the job already wrote, counted from its files."""

    rows: int = 0  # sentence input: output rows
    last_id: object = None  # each count's last key, to check against the input
    documents: int = 0  # document input: documents with sentences in the output
    last_doc_id: object = None
    tail: list[dict] = field(default_factory=list)  # the last of them: its sentences' stance, frames, target
    summaries: int = 0
    last_summary: object = None
    rejects: int = 0
    last_reject: str | None = None

    def input_rows(self, documents: bool) -> int:
        """Input rows that need nothing more (the last document may still miss sentences)."""
        return self.rejects + (max(self.documents - 1, 0) if documents else self.rows)


@dataclass(frozen=True)
class InputPlan:
    """Which input to read, how to read it, and what to skip; small and picklable, so Ray can run it."""

    source: Path
    documents: bool
    default_target: str
    done: Done

    def units(self) -> Iterator[dict]:
        """Units in input order, with everything before the earlier run's stopping point skipped."""
        done, good, bad = self.done, 0, 0
        for record in read_records(self.source):
            problem = record.problem or self._problem(record.fields)
            if problem:
                bad += 1
                if bad == done.rejects:
                    self._check("rejects", done.last_reject, record.position, record.position)
                if bad <= done.rejects:
                    continue
                yield {"kind": "reject", "position": record.position, "problem": problem, "row": record.fields}
                continue
            good += 1
            fields = record.fields
            target = fields.get("target") or self.default_target
            if not self.documents:
                row_id = fields["id"] if fields.get("id") is not None else record.number
                if good == done.rows:
                    self._check("output", done.last_id, row_id, record.position)
                if good > done.rows:
                    yield {"kind": "row", "id": row_id, "text": fields["text"], "target": target}
                continue
            doc_id, last = fields["doc_id"], good == done.documents
            if good == done.summaries:
                self._check("summary", done.last_summary, doc_id, record.position)
            if last:
                self._check("output", done.last_doc_id, doc_id, record.position)
            if good >= done.documents:
                yield {
                    "kind": "document",
                    "doc_id": doc_id,
                    "text": fields["text"],
                    "target": target,
                    "skip": len(done.tail) if last else 0,  # sentences of it already written
                    "seed": done.tail if last else [],
                    "summarise": good > done.summaries,
                }
        if good < max(done.rows, done.documents, done.summaries) or bad < done.rejects:
            raise ValueError(f"cannot resume: the output holds more rows than {self.source}; run without --resume")

    def _problem(self, fields: dict) -> str | None:
        if self.documents and fields.get("doc_id") in (None, ""):
            return "missing `doc_id`"
        text = fields.get("text")
        if not isinstance(text, str) or not text.strip():
            return "missing or empty `text`"
        target = fields.get("target")
        if target is not None and (not isinstance(target, str) or not target.strip()):
            return "`target` must be a non-empty string when given"
        return None

    def _check(self, what: str, written, key, position: str) -> None:
        """The input row at which an earlier run's file ends must have that file's last key."""
        if str(written) != str(key):
            raise ValueError(
                f"cannot resume: the {what} file ends at {written!r} but {self.source}:{position} is {key!r}, "
                "so it was written from other input; run without --resume to start over"
            )


def expand_documents(units: Iterable[dict]) -> Iterator[dict]:
    """Split each document unit into its sentence units (with offsets) and an end-of-document unit."""
    from model.documents import split_sentences

    for unit in units:
        if unit["kind"] != "document":
            yield unit
            continue
        for index, span in enumerate(split_sentences(unit["text"])):
            if index >= unit["skip"]:
                yield {
                    "kind": "sentence",
                    "doc_id": unit["doc_id"],
                    "id": index,
                    "text": span.text,
                    "target": unit["target"],
                    "start": span.start,
                    "end": span.end,
                }
        yield {key: unit[key] for key in ("doc_id", "target", "seed", "summarise")} | {"kind": "end"}


def predict_units(predictor, units: list[dict], batch_size: int, explain: bool = False) -> list[dict]:
    """Label the units that carry a sentence, in order; with `explain`, add each result's evidence."""
    todo = [unit for unit in units if unit["kind"] in PREDICTED]
    if not todo:
        return []
    results = predictor.predict(
        [unit["text"] for unit in todo], targets=[unit["target"] for unit in todo], batch_size=batch_size
    )
    return add_evidence(predictor, results, batch_size=batch_size) if explain else results


class Sink:
    """Writes labelled units in input order, counts them and moves the progress bar.

    A reject stops the job with its file and position unless there is a rejects file; everything
    before it is written first.
    """

    def __init__(
        self, source: Path, documents: bool, output: Path, rejects: Path | None, summary: Path | None, config, progress
    ):
        self.source, self.config, self.progress = source, config, progress
        self.output = open_rows(output, text_keys=("doc_id",) if documents else ("id",))
        self.rejects = open_rows(rejects) if rejects else None
        self.summaries = open_rows(summary, text_keys=("doc_id",)) if summary else None
        self.document: list[dict] = []  # the current document's labels, for its summary
        self.written = self.rejected = self.summarised = 0

    def write(self, units: Iterable[dict], results: Iterable[dict]) -> None:
        results = iter(results)
        rows, summaries, advanced = [], [], 0
        try:
            for unit in units:
                kind = unit["kind"]
                if kind == "reject":
                    if self.rejects is None:
                        raise DataError(self.source, unit["position"], unit["problem"])
                    reject = {"file": str(self.source), "position": unit["position"], "reason": unit["problem"]}
                    self.rejects.write([{**reject, "row": unit["row"]}])
                    self.rejected += 1
                    advanced += 1
                elif kind == "row":
                    rows.append({"id": unit["id"], **next(results)})
                    advanced += 1
                elif kind == "sentence":
                    result = next(results)
                    position = {"start": unit["start"], "end": unit["end"]}
                    rows.append({"doc_id": unit["doc_id"], "id": unit["id"], **result, **position})
                    self.document.append({"stance": result["stance"], "frames": result["frames"]})
                else:
                    if unit["summarise"] and self.summaries:
                        summary = summarise(unit["seed"] + self.document, self.config)
                        summaries.append({"doc_id": unit["doc_id"], "target": unit["target"], **summary})
                    self.document = []
                    advanced += 1
        finally:
            self.output.write(rows)
            self.written += len(rows)
            if summaries:
                self.summaries.write(summaries)
                self.summarised += len(summaries)
            self.progress.update(advanced)

    def close(self) -> None:
        self.progress.close()
        for writer in (self.output, self.rejects, self.summaries):
            if writer:
                writer.close()


def is_document_input(source: Path) -> bool:
    """Document rows have a ``doc_id``; a file that is not JSONL, CSV or Parquet is one document."""
    first = next((record.fields for record in read_records(source) if isinstance(record.fields, dict)), {})
    return "doc_id" in first


def default_rejects(output: Path) -> Path:
    """``out.jsonl`` or ``out.parquet`` -> ``out.rejects.jsonl`` beside it."""
    return output.with_name(output.stem + ".rejects.jsonl")


def scan_done(output: Path, rejects: Path | None, summary: Path | None, documents: bool, config) -> Done:
    """Count what an earlier run wrote, cutting what it left half-written; add summaries it did not get to."""
    done = Done()
    for row in recover_rows(rejects) if rejects else ():
        done.rejects, done.last_reject = done.rejects + 1, row["position"]
    if not documents:
        for row in recover_rows(output):
            done.rows, done.last_id = done.rows + 1, row["id"]
        return done
    for row in recover_rows(summary) if summary else ():
        done.summaries, done.last_summary = done.summaries + 1, row["doc_id"]
    missing = []  # summaries of documents the earlier run wrote completely but stopped before summarising
    for row in recover_rows(output):
        if int(row["id"]) == 0:  # a document's first sentence, so the document before it is complete
            if summary and done.summaries < done.documents:
                missing.append(
                    {"doc_id": done.last_doc_id, "target": done.tail[0]["target"], **summarise(done.tail, config)}
                )
                done.summaries, done.last_summary = done.summaries + 1, done.last_doc_id
            done.documents, done.last_doc_id, done.tail = done.documents + 1, row["doc_id"], []
        done.tail.append({"stance": row["stance"], "frames": list(row["frames"]), "target": row["target"]})
    if missing:
        writer = open_rows(summary, text_keys=("doc_id",))
        writer.write(missing)
        writer.close()
    return done


@contextlib.contextmanager
def archive_job(
    source: Path,
    output: Path,
    config,
    *,
    target: str | None = None,
    resume: bool = False,
    rejects: Path | None = None,
    summary: Path | None = None,
    quiet: bool = False,
) -> Iterator[tuple[InputPlan, Sink]]:
    """Set up a job: what to skip when resuming (or a clean start), the writers and the progress bar.

    ``rejects`` set means bad rows are written there and the job goes on; unset, the first one stops it.
    The sink is closed on the way out, however the job ends, so every output is left readable.
    """
    if not source.is_file():
        raise FileNotFoundError(f"no input file at {source}")
    total = count_records(source)
    if total == 0:
        raise DataError(source, "-", "no rows to predict")
    documents = is_document_input(source)
    if summary and not documents:
        raise ValueError("--summary needs document input: rows with `doc_id`, or a plain-text document")
    if resume:
        done = scan_done(output, rejects, summary, documents, config)
    else:
        done = Done()
        for path in (output, rejects, summary):
            if path:
                remove_rows(path)
    plan = InputPlan(source, documents, target or config.default_target, done)
    progress = tqdm(
        total=total,
        initial=done.input_rows(documents),
        unit="doc" if documents else "row",
        disable=quiet,
        file=sys.stderr,
        dynamic_ncols=True,
    )
    sink = Sink(source, documents, output, rejects, summary, config, progress)
    try:
        yield plan, sink
    finally:
        sink.close()


def predict_archive(
    predictor, source: Path, output: Path, *, batch_size: int = 32, explain: bool = False, **options
) -> Sink:
    """Label an archive in this process (options as for `archive_job`); return the closed sink and its counts."""
    with archive_job(source, output, predictor.config, **options) as (plan, sink):
        pending, sentences = [], 0
        for unit in expand_documents(plan.units()):
            pending.append(unit)
            sentences += unit["kind"] in PREDICTED
            if sentences >= CHUNK_BATCHES * batch_size or (unit["kind"] == "reject" and sink.rejects is None):
                sink.write(pending, predict_units(predictor, pending, batch_size, explain))
                pending, sentences = [], 0
        sink.write(pending, predict_units(predictor, pending, batch_size, explain))
    return sink
