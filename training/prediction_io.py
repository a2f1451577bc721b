"""Read prediction inputs (JSONL rows or a plain-text document) and write JSONL results."""

from __future__ import annotations

import json
from pathlib import Path

from model.explain import add_evidence
from model.predictor import Predictor
from training.data import DataError, json_objects

JSONL_SUFFIXES = {".jsonl", ".json"}


def read_rows(path: Path) -> list[dict]:
    """JSONL rows with a non-empty `text`; ids default to the line number."""
    rows = []
    for number, row in json_objects(path):
        text = row.get("text")
        if not isinstance(text, str) or not text.strip():
            raise DataError(path, f"line {number}", "missing or empty `text`")
        target = row.get("target")
        if target is not None and (not isinstance(target, str) or not target.strip()):
            raise DataError(path, f"line {number}", "`target` must be a non-empty string when given")
        rows.append({"id": row.get("id", number), "text": text, "target": target})
    if not rows:
        raise DataError(path, "-", "no rows to predict")
    return rows


def predict_file(
    predictor: Predictor, source: Path, destination: Path, target: str | None, batch_size: int, explain: bool = False
) -> int:
    """Label every row (JSONL) or every sentence (any other file, read as one document); return the count.

    With ``explain``, each result also has its ``evidence`` (`model.explain`).
    """
    if source.suffix in JSONL_SUFFIXES:
        rows = read_rows(source)
        results = predictor.predict(
            [r["text"] for r in rows], target=target, targets=[r["target"] for r in rows], batch_size=batch_size
        )
        ids = [r["id"] for r in rows]
    else:
        document = source.read_text(encoding="utf-8")
        if not document.strip():
            raise DataError(source, "-", "the document is empty")
        results = predictor.analyze(document, target=target, batch_size=batch_size)
        ids = list(range(1, len(results) + 1))
    if explain:
        add_evidence(predictor, results, batch_size=batch_size)
    destination.parent.mkdir(parents=True, exist_ok=True)
    with destination.open("w", encoding="utf-8") as out:
        for row_id, result in zip(ids, results, strict=True):
            out.write(json.dumps({"id": row_id, **result}, ensure_ascii=False) + "\n")
    return len(results)
