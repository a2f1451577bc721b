"""Stream rows in and out of archive files: JSONL, CSV and Parquet input; JSONL and Parquet output.

Input rows come one at a time with their position (``line N`` or ``row N``), so memory does not grow
with the file. Output is written as it goes and can be read back after an interruption: a JSONL file
loses at most its partly written last line, and Parquet output is a directory of part files
(as Spark and Ray write it) in which only the part being written when the run stopped is incomplete.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

INPUT_FORMATS = {".jsonl": "jsonl", ".json": "jsonl", ".csv": "csv", ".parquet": "parquet"}
PARQUET_BATCH_ROWS = 1024
PART_ROWS = 100_000  # rows per Parquet part file; a run interrupted mid-part writes that part again
PART_PATTERN = "part-*.parquet"


@dataclass(frozen=True)
class Record:
    """One input row: its position, its number (line or row) and its fields, or why it could not be read."""

    position: str
    number: int
    fields: dict | str  # the row, or the raw line when it is not a JSON object
    problem: str | None = None


def read_records(path: Path) -> Iterator[Record]:
    """Every row of a JSONL, CSV or Parquet file; any other file is one document, ``doc_id`` its file name."""
    kind = INPUT_FORMATS.get(path.suffix.lower())
    if kind == "jsonl":
        yield from _jsonl_records(path)
    elif kind == "csv":
        yield from _csv_records(path)
    elif kind == "parquet":
        yield from _parquet_records(path)
    else:
        yield Record("-", 1, {"doc_id": path.name, "text": path.read_text(encoding="utf-8")})


def count_records(path: Path) -> int:
    """How many rows `read_records` yields, read without parsing them (Parquet: from the footer)."""
    kind = INPUT_FORMATS.get(path.suffix.lower())
    if kind == "jsonl":
        with path.open("rb") as handle:
            return sum(1 for line in handle if line.strip())
    if kind == "csv":
        with path.open(encoding="utf-8", newline="") as handle:
            return max(sum(1 for row in csv.reader(handle) if row) - 1, 0)
    if kind == "parquet":
        return pq.ParquetFile(path).metadata.num_rows
    return 1


def _jsonl_records(path: Path) -> Iterator[Record]:
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, 1):
            if not raw.strip():
                continue
            position = f"line {number}"
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                yield Record(position, number, raw.decode("utf-8", "replace").rstrip("\n"), "not valid UTF-8")
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as error:
                yield Record(position, number, line.rstrip("\n"), f"invalid JSON: {error.msg}")
                continue
            if isinstance(value, dict):
                yield Record(position, number, value)
            else:
                yield Record(position, number, line.rstrip("\n"), "each line must be a JSON object")


def _csv_records(path: Path) -> Iterator[Record]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        for row in reader:
            number = reader.line_num  # the record's last line: its only line unless a quoted field spans lines
            extra = row.pop(None, None)
            fields = {key: (value if value != "" else None) for key, value in row.items()}  # empty cell = not given
            problem = f"{len(extra)} more field(s) than the header" if extra else None
            yield Record(f"line {number}", number, fields, problem)


def _parquet_records(path: Path) -> Iterator[Record]:
    number = 0
    for batch in pq.ParquetFile(path).iter_batches(batch_size=PARQUET_BATCH_ROWS):
        for row in batch.to_pylist():
            number += 1
            yield Record(f"row {number}", number, row)


def is_parquet_output(path: Path) -> bool:
    return path.suffix.lower() == ".parquet"


class JsonlRows:
    """Appends rows to a JSONL file, one object per line."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.handle = path.open("a", encoding="utf-8")

    def write(self, rows: list[dict]) -> None:
        self.handle.writelines(json.dumps(row, ensure_ascii=False, default=str) + "\n" for row in rows)

    def close(self) -> None:
        self.handle.close()


class ParquetRows:
    """Writes rows into ``part-NNNNN.parquet`` files of a directory, one row group per `write`.

    A part is written under a ``.tmp`` name and renamed when complete, so the directory always reads as a
    valid dataset. The schema comes from the first row; ``text_keys`` are stored as strings (ids may mix
    numbers and strings) and lists as lists of strings (frame labels).
    """

    def __init__(self, path: Path, text_keys: tuple[str, ...] = ()):
        path.mkdir(parents=True, exist_ok=True)
        self.path, self.text_keys = path, text_keys
        self.next_part = max((int(part.name[5:10]) + 1 for part in path.glob(PART_PATTERN)), default=0)
        self.schema: pa.Schema | None = None
        self.writer: pq.ParquetWriter | None = None
        self.part_rows = 0

    def write(self, rows: list[dict]) -> None:
        if not rows:
            return
        rows = [{**row, **{key: str(row[key]) for key in self.text_keys if key in row}} for row in rows]
        if self.schema is None:
            self.schema = pa.schema([(key, _arrow_type(value)) for key, value in rows[0].items()])
        if self.writer is None:
            self.writer = pq.ParquetWriter(self._part(self.next_part, ".tmp"), self.schema)
        self.writer.write_table(pa.Table.from_pylist(rows, schema=self.schema))
        self.part_rows += len(rows)
        if self.part_rows >= PART_ROWS:
            self.close()

    def close(self) -> None:
        if self.writer is None:
            return
        self.writer.close()
        os.replace(self._part(self.next_part, ".tmp"), self._part(self.next_part))
        self.writer, self.part_rows, self.next_part = None, 0, self.next_part + 1

    def _part(self, index: int, suffix: str = "") -> Path:
        return self.path / f"part-{index:05d}.parquet{suffix}"


def _arrow_type(value) -> pa.DataType:
    if isinstance(value, bool):
        return pa.bool_()
    if isinstance(value, int):
        return pa.int64()
    if isinstance(value, float):
        return pa.float64()
    if isinstance(value, dict):
        return pa.struct([(key, _arrow_type(item)) for key, item in value.items()])
    if isinstance(value, list):
        return pa.list_(pa.string())
    return pa.string()


def open_rows(path: Path, text_keys: tuple[str, ...] = ()) -> JsonlRows | ParquetRows:
    """A writer that appends to ``path``: Parquet by the ``.parquet`` suffix, JSONL otherwise."""
    return ParquetRows(path, text_keys) if is_parquet_output(path) else JsonlRows(path)


def remove_rows(path: Path) -> None:
    """Delete what an earlier run wrote to ``path`` (a JSONL file, or the part files of a Parquet directory)."""
    if is_parquet_output(path) and path.is_dir():
        for part in [*path.glob(PART_PATTERN), *path.glob(PART_PATTERN + ".tmp")]:
            part.unlink()
    elif path.is_file():
        path.unlink()


def recover_rows(path: Path) -> Iterator[dict]:
    """The complete rows an earlier, possibly interrupted run wrote to ``path``, in order.

    Drops what an interruption left incomplete first: the last JSONL line when it has no newline,
    a Parquet part still under its ``.tmp`` name. A missing file holds no rows.
    """
    if is_parquet_output(path):
        if not path.is_dir():
            return
        for partial in path.glob(PART_PATTERN + ".tmp"):
            partial.unlink()
        for part in sorted(path.glob(PART_PATTERN)):
            for batch in pq.ParquetFile(part).iter_batches(batch_size=PARQUET_BATCH_ROWS):
                yield from batch.to_pylist()
        return
    if not path.is_file():
        return
    _truncate_partial_line(path)
    with path.open("rb") as handle:
        for number, line in enumerate(handle, 1):
            try:
                yield json.loads(line)
            except json.JSONDecodeError:
                raise ValueError(f"{path}:line {number}: not a JSON row, so the run cannot resume from it") from None


def _truncate_partial_line(path: Path) -> None:
    """Cut a last line that was only partly written (no final newline)."""
    with path.open("rb+") as handle:
        size = handle.seek(0, os.SEEK_END)
        if size == 0:
            return
        handle.seek(size - 1)
        if handle.read(1) == b"\n":
            return
        position = size
        while position > 0:
            step = min(65536, position)
            handle.seek(position - step)
            block = handle.read(step)
            newline = block.rfind(b"\n")
            if newline >= 0:
                handle.truncate(position - step + newline + 1)
                return
            position -= step
        handle.truncate(0)
