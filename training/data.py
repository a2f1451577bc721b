"""Load labelled data with `datasets` and check every row before training starts.

A row is a JSON object (JSONL), a CSV row or a Parquet row with the fields
``text``, ``target``, ``stance`` and ``frames`` (a list of frame labels; in CSV a
``;``-separated string or a JSON list), and optionally ``id``. Other fields are kept.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from model.labels import FRAME_LABELS, STANCE_LABELS

if TYPE_CHECKING:
    import datasets

FORMATS = {".jsonl": "json", ".json": "json", ".csv": "csv", ".parquet": "parquet"}
REQUIRED_FIELDS = ("text", "target", "stance", "frames")


class DataError(ValueError):
    """A labelled-data problem, located by file and line (or row)."""

    def __init__(self, path: Path, position: str, problem: str):
        super().__init__(f"{path}:{position}: {problem}")
        self.path, self.position, self.problem = path, position, problem


def split_files(path: str | Path) -> dict[str, Path]:
    """Map split name to file: a directory's files by stem (train, dev, test, test_unseen…) or one file as train."""
    path = Path(path)
    if path.is_file():
        return {"train": path}
    if not path.is_dir():
        raise FileNotFoundError(f"no data file or directory at {path}")
    files = {f.stem: f for f in sorted(path.iterdir()) if f.suffix in FORMATS}
    if "train" not in files and "dev" not in files and not any(name.startswith("test") for name in files):
        raise DataError(path, "-", f"no train/dev/test files with a suffix in {sorted(FORMATS)}")
    return files


def load_splits(path: str | Path) -> datasets.DatasetDict:
    """Load and validate every split; raise DataError at the first bad row."""
    import datasets  # here, not at the top: `stanceframe predict` imports this module and needs none of it

    return datasets.DatasetDict({name: load_file(file) for name, file in split_files(path).items()})


def load_file(path: Path) -> datasets.Dataset:
    """Load one file with `datasets`, normalise frames to lists and validate each row."""
    import datasets

    path = Path(path)
    if path.suffix not in FORMATS:
        raise DataError(path, "-", f"unsupported file type {path.suffix!r}; use one of {sorted(FORMATS)}")
    if path.suffix in (".jsonl", ".json"):
        for _ in json_objects(path):  # locate syntax errors by line before `datasets` parses the file
            pass
    try:
        dataset = datasets.load_dataset(FORMATS[path.suffix], data_files=str(path), split="train")
    except Exception as error:  # datasets wraps parser errors in several types
        raise DataError(path, "-", f"could not be read: {error}") from error
    positions = _row_positions(path, len(dataset))
    missing = [name for name in REQUIRED_FIELDS if name not in dataset.column_names]
    if missing:
        raise DataError(path, positions[0] if positions else "-", f"missing field(s) {missing}")
    rows = []
    for position, row in zip(positions, dataset, strict=True):
        rows.append(validate_row(row, path, position))
    if not rows:
        raise DataError(path, "-", "the file holds no rows")
    return datasets.Dataset.from_list(rows)


def validate_row(row: dict, path: Path, position: str) -> dict:
    """Return the row with ``frames`` as a list; raise DataError naming what is wrong."""
    for name in REQUIRED_FIELDS:
        if row.get(name) is None and not (name == "frames" and path.suffix == ".csv"):
            raise DataError(path, position, f"missing field {name!r}")
    text, target = row["text"], row["target"]
    if not isinstance(text, str) or not text.strip():
        raise DataError(path, position, "empty text")
    if not isinstance(target, str) or not target.strip():
        raise DataError(path, position, "empty target")
    if row["stance"] not in STANCE_LABELS:
        raise DataError(path, position, f"unknown stance {row['stance']!r}; expected one of {list(STANCE_LABELS)}")
    frames = _parse_frames(row["frames"], path, position)
    unknown = [frame for frame in frames if frame not in FRAME_LABELS]
    if unknown:
        raise DataError(path, position, f"unknown frame(s) {unknown}; expected some of {list(FRAME_LABELS)}")
    if len(set(frames)) != len(frames):
        raise DataError(path, position, f"repeated frame in {frames}")
    return {**row, "id": str(row.get("id") or position), "frames": frames}


def _parse_frames(value, path: Path, position: str) -> list[str]:
    if value is None:  # an empty CSV cell
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, str):
        stripped = value.strip()
        if stripped.startswith("["):
            try:
                return [str(v) for v in json.loads(stripped)]
            except json.JSONDecodeError:
                raise DataError(path, position, f"frames {value!r} is not a JSON list") from None
        return [part.strip() for part in stripped.split(";") if part.strip()]
    raise DataError(path, position, f"frames must be a list of labels, got {type(value).__name__}")


def json_objects(path: Path) -> Iterator[tuple[int, dict]]:
    """(line number, object) for each non-blank line of a JSONL file; DataError at the first bad line."""
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as error:
                raise DataError(path, f"line {number}", f"invalid JSON: {error.msg}") from None
            if not isinstance(value, dict):
                raise DataError(path, f"line {number}", "each line must be a JSON object")
            yield number, value


def _row_positions(path: Path, count: int) -> list[str]:
    """Human positions of the rows `datasets` read: JSONL and CSV lines, Parquet row numbers."""
    if path.suffix in (".jsonl", ".json"):
        with path.open(encoding="utf-8") as handle:
            return [f"line {n}" for n, line in enumerate(handle, 1) if line.strip()][:count]
    if path.suffix == ".csv":
        return [f"line {n}" for n in range(2, count + 2)]
    return [f"row {n}" for n in range(1, count + 1)]


def data_hash(path: str | Path) -> str:
    """SHA-256 over the split files' names and bytes: identifies the exact training data."""
    digest = hashlib.sha256()
    for name, file in sorted(split_files(path).items()):
        digest.update(name.encode())
        digest.update(Path(file).read_bytes())
    return digest.hexdigest()
