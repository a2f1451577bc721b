"""`stanceframe predict` over archives: formats, document input, summaries, bad rows and exact resume."""

from __future__ import annotations

import csv
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from model.summary import summarise
from training import archive, archive_io
from training.cli import main

ROOT = Path(__file__).resolve().parents[1]
CORPUS_TEST = ROOT / "data" / "corpus" / "test.jsonl"
TARGET = "Russia–North Korea military cooperation"
SENTENCE_FIELDS = {"id", "text", "target", "stance", "stance_scores", "frames", "frame_scores", "truncated"}


def corpus_texts(count: int) -> list[str]:
    lines = CORPUS_TEST.read_text(encoding="utf-8").splitlines()
    return [json.loads(lines[i % len(lines)])["text"] for i in range(count)]


def sentence_rows(count: int = 40) -> list[dict]:
    rows = [{"id": f"s{i}", "text": text} for i, text in enumerate(corpus_texts(count))]
    for row in rows[::3]:
        row["target"] = TARGET
    return rows


def document_rows(count: int = 12) -> list[dict]:
    """Documents of 2 to 5 sentences: a headline paragraph, then corpus sentences."""
    texts = corpus_texts(4 * count)
    rows = [
        {"doc_id": f"doc-{n}", "text": f"Headline {n}\n\n" + " ".join(texts[4 * n : 4 * n + 1 + n % 4])}
        for n in range(count)
    ]
    rows[1]["target"] = TARGET
    return rows


def write_rows(path: Path, rows: list[dict]) -> Path:
    """The same rows as JSONL, CSV or Parquet, by the path's suffix."""
    columns = list(dict.fromkeys(key for row in rows for key in row))
    if path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    elif path.suffix == ".csv":
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, columns)
            writer.writeheader()
            writer.writerows(rows)
    else:
        pq.write_table(pa.Table.from_pylist([{key: row.get(key) for key in columns} for row in rows]), path)
    return path


def read_output(path: Path) -> list[dict]:
    if path.suffix == ".parquet":
        return pq.read_table(path).to_pylist()
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def assert_same(written, expected) -> None:
    """Equal rows, scores equal to 1e-6: sentences batched differently get scores a few ulps apart."""
    if isinstance(expected, float):
        assert math.isclose(written, expected, rel_tol=0, abs_tol=1e-6), (written, expected)
    elif isinstance(expected, dict):
        assert written.keys() == expected.keys()
        for key, value in expected.items():
            assert_same(written[key], value)
    elif isinstance(expected, list):
        assert len(written) == len(expected)
        for a, b in zip(written, expected, strict=True):
            assert_same(a, b)
    else:
        assert written == expected


def cut(path: Path, share: float) -> None:
    """Leave the first `share` of a file's bytes, as an interruption mid-write would."""
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * share)])


@pytest.fixture(autouse=True)
def fp32(monkeypatch):
    """Every `stanceframe predict` here, subprocesses included, runs in fp32, as `tiny_predictor` does: these tests
    compare runs that batch the same sentences differently, which agree to 1e-6 only in fp32."""
    monkeypatch.setenv("STANCEFRAME_PRECISION", "fp32")


@pytest.fixture
def one_thread():
    """The tiny model runs fastest on one thread; on a busy machine more threads mostly wait for each other."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def predict(tiny_model_dir, one_thread):
    """`stanceframe predict` with the tiny model."""

    def run(source: Path, output: Path, *options: str) -> int:
        arguments = ["predict", "--input", str(source), "--output", str(output), "--model", str(tiny_model_dir)]
        return main([*arguments, *options])

    return run


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_sentence_rows_in_each_format_are_labelled_as_the_predictor_labels_them(
    predict, tiny_predictor, tmp_path, suffix
):
    rows = sentence_rows()
    output = tmp_path / "out.jsonl"
    assert predict(write_rows(tmp_path / f"in{suffix}", rows), output, "--quiet") == 0
    expected = tiny_predictor.predict([row["text"] for row in rows], targets=[row.get("target") for row in rows])
    assert_same(read_output(output), [{"id": row["id"], **result} for row, result in zip(rows, expected, strict=True)])
    assert all(set(result) == SENTENCE_FIELDS for result in read_output(output))


def test_rows_without_an_id_are_keyed_by_their_line_or_row_number(predict, tmp_path):
    rows = [{"text": text} for text in corpus_texts(3)]
    for suffix, ids in ((".jsonl", [1, 2, 3]), (".csv", [2, 3, 4]), (".parquet", [1, 2, 3])):
        output = tmp_path / f"out{suffix}.jsonl"
        assert predict(write_rows(tmp_path / f"in{suffix}", rows), output, "--quiet") == 0
        assert [r["id"] for r in read_output(output)] == ids


def test_parquet_output_is_a_directory_of_complete_parts(predict, tmp_path, monkeypatch):
    monkeypatch.setattr(archive, "CHUNK_BATCHES", 2)  # labelled and written 8 rows at a time
    monkeypatch.setattr(archive_io, "PART_ROWS", 16)
    source = write_rows(tmp_path / "in.jsonl", sentence_rows(40))
    assert predict(source, tmp_path / "out.jsonl", "--quiet") == 0
    assert predict(source, tmp_path / "out.parquet", "--batch-size", "4", "--quiet") == 0
    parts = sorted(path.name for path in (tmp_path / "out.parquet").iterdir())
    assert parts == ["part-00000.parquet", "part-00001.parquet", "part-00002.parquet"]
    assert_same(read_output(tmp_path / "out.parquet"), read_output(tmp_path / "out.jsonl"))


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_document_rows_are_split_labelled_and_summarised_as_analyze_does(predict, tiny_predictor, tmp_path, suffix):
    documents = document_rows()
    output, summary = tmp_path / "out.jsonl", tmp_path / "summary.jsonl"
    source = write_rows(tmp_path / f"docs{suffix}", documents)
    assert predict(source, output, "--summary", str(summary), "--quiet") == 0
    expected_rows, expected_summaries = [], []
    for document in documents:
        sentences = tiny_predictor.analyze(document["text"], target=document.get("target"))
        expected_rows += [{"doc_id": document["doc_id"], "id": i, **s} for i, s in enumerate(sentences)]
        summary_row = summarise(sentences, tiny_predictor.config)
        expected_summaries.append({"doc_id": document["doc_id"], "target": sentences[0]["target"], **summary_row})
    rows = read_output(output)
    assert_same(rows, expected_rows)
    texts = {document["doc_id"]: document["text"] for document in documents}
    assert all(texts[row["doc_id"]][row["start"] : row["end"]] == row["text"] for row in rows)
    assert_same(read_output(summary), expected_summaries)


def test_a_plain_text_file_is_one_document_named_by_its_file(predict, tmp_path):
    source = tmp_path / "article.txt"
    source.write_text("Drills near Taiwan\n\nThe U.S. said ships sailed. Beijing objected.", encoding="utf-8")
    output, summary = tmp_path / "out.parquet", tmp_path / "summary.jsonl"
    assert predict(source, output, "--summary", str(summary), "--quiet") == 0
    rows = read_output(output)
    assert [(r["doc_id"], r["id"], r["start"], r["end"]) for r in rows] == [
        ("article.txt", 0, 0, 18),
        ("article.txt", 1, 20, 47),
        ("article.txt", 2, 48, 65),
    ]
    assert read_output(summary)[0]["sentences"] == 3


@pytest.mark.parametrize("output_name", ["out.jsonl", "out.parquet"])
def test_a_bad_row_stops_with_file_and_line_and_keeps_every_row_before_it(predict, tmp_path, capsys, output_name):
    rows = sentence_rows(10)
    lines = [json.dumps(row) for row in rows]
    lines.insert(6, '{"text": "unterminated')
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    output = tmp_path / output_name
    assert predict(source, output, "--quiet") == 2
    assert f"{source}:line 7: invalid JSON" in capsys.readouterr().err
    assert [row["id"] for row in read_output(output)] == [row["id"] for row in rows[:6]]


def test_skip_bad_rows_writes_each_to_the_rejects_file_with_its_reason(predict, tmp_path, capsys):
    good = sentence_rows(4)
    lines = [json.dumps(good[0]), '{"text": "  "}', json.dumps(good[1]), "not json", '{"text": "x", "target": 5}']
    lines += ["[1, 2]", json.dumps(good[2]), '{"id": "no text"}', json.dumps(good[3])]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    output = tmp_path / "out.jsonl"
    assert predict(source, output, "--skip-bad-rows", "--quiet") == 0
    rejects = read_output(tmp_path / "out.rejects.jsonl")
    assert [(r["file"], r["position"], r["reason"]) for r in rejects] == [
        (str(source), "line 2", "missing or empty `text`"),
        (str(source), "line 4", "invalid JSON: Expecting value"),
        (str(source), "line 5", "`target` must be a non-empty string when given"),
        (str(source), "line 6", "each line must be a JSON object"),
        (str(source), "line 8", "missing or empty `text`"),
    ]
    assert [r["row"] for r in rejects] == [
        {"text": "  "},
        "not json",
        {"text": "x", "target": 5},
        "[1, 2]",
        {"id": "no text"},
    ]
    assert [row["id"] for row in read_output(output)] == [row["id"] for row in good]
    assert "5 bad rows written to" in capsys.readouterr().out


def test_bad_csv_and_document_rows_are_rejected_with_their_line(predict, tmp_path):
    source = tmp_path / "docs.csv"
    source.write_text(
        'doc_id,text\nd1,"Ships sailed. Talks failed."\n,No id here.\nd3,One,two\nd4,\n', encoding="utf-8"
    )
    rejects = tmp_path / "bad.jsonl"
    assert predict(source, tmp_path / "out.jsonl", "--skip-bad-rows", "--rejects", str(rejects), "--quiet") == 0
    assert [(r["position"], r["reason"]) for r in read_output(rejects)] == [
        ("line 3", "missing `doc_id`"),
        ("line 4", "1 more field(s) than the header"),
        ("line 5", "missing or empty `text`"),
    ]
    assert [row["text"] for row in read_output(tmp_path / "out.jsonl")] == ["Ships sailed.", "Talks failed."]


def sentence_input_with_bad_rows(path: Path) -> Path:
    lines = [json.dumps(row) for row in sentence_rows(60)]
    for position in (5, 23, 41):
        lines.insert(position, '{"text": ""}')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("share", [0.0, 0.31, 0.5, 0.77, 1.0])
def test_resume_after_an_interruption_writes_what_an_uninterrupted_run_writes(predict, tmp_path, share):
    source = sentence_input_with_bad_rows(tmp_path / "in.jsonl")
    whole, resumed = tmp_path / "whole", tmp_path / "resumed"
    whole.mkdir(), resumed.mkdir()
    assert predict(source, whole / "out.jsonl", "--skip-bad-rows", "--quiet") == 0
    for name in ("out.jsonl", "out.rejects.jsonl"):
        shutil.copy(whole / name, resumed / name)
    cut(resumed / "out.jsonl", share)  # mid-line: the last row was being written
    cut(resumed / "out.rejects.jsonl", 1 - share)
    assert predict(source, resumed / "out.jsonl", "--skip-bad-rows", "--resume", "--quiet") == 0
    for name in ("out.jsonl", "out.rejects.jsonl"):
        assert_same(read_output(resumed / name), read_output(whole / name))


@pytest.mark.parametrize(("share", "summaries"), [(0.0, 0), (0.2, 6), (0.4, 1), (0.6, 5), (0.93, 0), (1.0, 12)])
def test_resume_of_documents_finishes_the_document_and_the_summaries_it_stopped_in(predict, tmp_path, share, summaries):
    documents = document_rows()
    documents.insert(4, {"doc_id": "empty", "text": " "})
    source = write_rows(tmp_path / "docs.jsonl", documents)
    whole, resumed = tmp_path / "whole", tmp_path / "resumed"
    whole.mkdir(), resumed.mkdir()
    names = ("out.jsonl", "summary.jsonl", "out.rejects.jsonl")

    def run(directory: Path, *more: str) -> int:
        summary = str(directory / "summary.jsonl")
        return predict(source, directory / "out.jsonl", "--summary", summary, "--skip-bad-rows", "--quiet", *more)

    assert run(whole) == 0
    for name in names:
        shutil.copy(whole / name, resumed / name)
    cut(resumed / "out.jsonl", share)
    lines = (whole / "summary.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    (resumed / "summary.jsonl").write_text("".join(lines[:summaries]), encoding="utf-8")
    assert run(resumed, "--resume") == 0
    for name in names:
        assert_same(read_output(resumed / name), read_output(whole / name))


def test_resume_of_parquet_output_writes_the_unfinished_parts_again(predict, tmp_path, monkeypatch):
    monkeypatch.setattr(archive, "CHUNK_BATCHES", 2)  # labelled and written 8 rows at a time
    monkeypatch.setattr(archive_io, "PART_ROWS", 16)
    source = write_rows(tmp_path / "in.jsonl", sentence_rows(40))
    whole, resumed = tmp_path / "whole.parquet", tmp_path / "resumed.parquet"
    assert predict(source, whole, "--batch-size", "4", "--quiet") == 0
    shutil.copytree(whole, resumed)
    (resumed / "part-00002.parquet").unlink()
    (resumed / "part-00001.parquet").rename(resumed / "part-00001.parquet.tmp")  # the part being written
    assert predict(source, resumed, "--batch-size", "4", "--resume", "--quiet") == 0
    assert sorted(path.name for path in resumed.iterdir()) == sorted(path.name for path in whole.iterdir())
    assert_same(read_output(resumed), read_output(whole))


def test_resume_after_the_process_is_killed(tiny_model_dir, one_thread, tmp_path):
    source = write_rows(tmp_path / "in.jsonl", sentence_rows(1500))
    killed, whole = tmp_path / "killed.jsonl", tmp_path / "whole.jsonl"
    command = [sys.executable, "-m", "training.cli", "predict", "--input", str(source), "--output", str(killed)]
    command += ["--model", str(tiny_model_dir), "--quiet"]
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"})
    while process.poll() is None and not (killed.exists() and killed.stat().st_size > 0):
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL, "the run ended before it could be interrupted"
    written = killed.read_bytes()
    assert 0 < written.count(b"\n") < 1500
    arguments = ["--model", str(tiny_model_dir), "--quiet"]
    assert main(["predict", "--input", str(source), "--output", str(killed), "--resume", *arguments]) == 0
    assert main(["predict", "--input", str(source), "--output", str(whole), *arguments]) == 0
    assert_same(read_output(killed), read_output(whole))


def test_resume_refuses_output_written_from_other_input(predict, tmp_path, capsys):
    output = tmp_path / "out.jsonl"
    assert predict(write_rows(tmp_path / "a.jsonl", sentence_rows(10)), output, "--quiet") == 0
    other = [{"id": f"other-{i}", "text": row["text"]} for i, row in enumerate(sentence_rows(20))]
    assert predict(write_rows(tmp_path / "b.jsonl", other), output, "--resume", "--quiet") == 2
    assert "cannot resume" in capsys.readouterr().err
    assert predict(write_rows(tmp_path / "c.jsonl", sentence_rows(5)), output, "--resume", "--quiet") == 2
    assert "more rows than" in capsys.readouterr().err


def test_progress_bar_goes_to_stderr_unless_quiet(predict, tmp_path, capsys):
    source = write_rows(tmp_path / "in.jsonl", sentence_rows(12))
    assert predict(source, tmp_path / "out.jsonl") == 0
    captured = capsys.readouterr()
    assert "12/12" in captured.err and "row/s" in captured.err
    assert captured.out.strip() == f"wrote 12 predictions to {tmp_path / 'out.jsonl'}"
    assert predict(source, tmp_path / "out.jsonl", "--quiet") == 0
    assert "row/s" not in capsys.readouterr().err


def test_summary_needs_document_input(predict, tmp_path, capsys):
    source = write_rows(tmp_path / "in.jsonl", sentence_rows(3))
    assert predict(source, tmp_path / "out.jsonl", "--summary", str(tmp_path / "s.jsonl"), "--quiet") == 2
    assert "--summary needs document input" in capsys.readouterr().err
