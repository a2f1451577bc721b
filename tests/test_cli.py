"""The `stanceframe` command end to end on the tiny encoder."""

import json

import pytest

from tests.conftest import TINY_DATA
from training.cli import main
from training.train import REAL_NEWS

FRAME_FIELDS = {"id", "text", "target", "stance", "stance_scores", "frames", "frame_scores", "truncated"}


@pytest.fixture(scope="module")
def stored_model(tiny_encoder_dir, tmp_path_factory):
    """Train through the CLI, which also imports the model into the (test) BentoML store."""
    output = tmp_path_factory.mktemp("cli-model")
    code = main(
        [
            "train",
            "--data",
            str(TINY_DATA),
            "--base-model",
            str(tiny_encoder_dir),
            "--output",
            str(output),
            "--epochs",
            "1",
            "--batch-size",
            "4",
            "--max-seq-length",
            "48",
        ]
    )
    assert code == 0
    return output


def test_train_writes_a_complete_model_directory(stored_model):
    for name in (
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "metrics.json",
        "README.md",
        "confusion_dev.png",
        "confusion_test.png",
    ):
        assert (stored_model / name).exists(), name
    metrics = json.loads((stored_model / "metrics.json").read_text())
    real_news = {"real_news"} if REAL_NEWS.exists() else set()  # ../shared beside the repository, when present
    assert set(metrics["metrics"]) == {"dev", "test"} | real_news
    for split in metrics["metrics"].values():
        assert set(split["stance"]["per_label"]) == {"favor", "against", "neutral"}
        assert 0 <= split["frames"]["macro_f1"] <= 1
    assert len(metrics["data_sha256"]) == 64
    card = (stored_model / "README.md").read_text()
    assert "| test | 3 |" in card and "Limits" in card


def test_train_runs_in_bf16_on_a_cpu_when_asked(tiny_encoder_dir, tmp_path):
    """`auto` picks bf16 on CPUs that are fast at it, so the Trainer must accept bf16 without a GPU."""
    output = tmp_path / "bf16-model"
    arguments = ["train", "--data", str(TINY_DATA), "--base-model", str(tiny_encoder_dir), "--output", str(output)]
    options = ["--epochs", "1", "--batch-size", "4", "--max-seq-length", "48", "--precision", "bf16", "--no-store"]
    code = main([*arguments, *options])
    assert code == 0
    assert "test" in json.loads((output / "metrics.json").read_text())["metrics"]


def test_train_imports_the_model_into_the_bentoml_store(stored_model):
    import bentoml

    stored = bentoml.models.get("stance-framing:latest")
    assert stored.path_of("config.json")
    assert "test" in stored.info.metadata["metrics"]
    assert len(stored.info.metadata["data_sha256"]) == 64


def test_predict_jsonl_uses_the_store_by_default(stored_model, tmp_path, capsys):
    source = tmp_path / "in.jsonl"
    source.write_text('{"id": "a", "text": "Beijing denied it."}\n\n{"text": "Ships left.", "target": "AUKUS"}\n')
    output = tmp_path / "out.jsonl"
    assert (
        main(["predict", "--input", str(source), "--output", str(output), "--target", "US arms sales to Taiwan"]) == 0
    )
    rows = [json.loads(line) for line in output.read_text().splitlines()]
    assert [r["id"] for r in rows] == ["a", 3]
    assert [r["target"] for r in rows] == ["US arms sales to Taiwan", "AUKUS"]
    assert all(set(r) >= FRAME_FIELDS for r in rows)


def test_predict_document_gives_offsets(stored_model, tmp_path):
    source = tmp_path / "article.txt"
    document = "Drills near Taiwan\n\nThe U.S. said ships sailed. Beijing objected."
    source.write_text(document)
    output = tmp_path / "out.jsonl"
    assert main(["predict", "--input", str(source), "--output", str(output), "--model", str(stored_model)]) == 0
    rows = [json.loads(line) for line in output.read_text().splitlines()]
    assert [r["text"] for r in rows] == ["Drills near Taiwan", "The U.S. said ships sailed.", "Beijing objected."]
    assert all(document[r["start"] : r["end"]] == r["text"] for r in rows)


def test_predict_explain_adds_evidence_only_when_asked(stored_model, tmp_path):
    source = tmp_path / "article.txt"
    source.write_text("Drills near Taiwan\n\nBeijing said the drills were routine and posed no threat to shipping.")
    plain, explained = tmp_path / "plain.jsonl", tmp_path / "explained.jsonl"
    assert main(["predict", "--input", str(source), "--output", str(plain), "--model", str(stored_model)]) == 0
    command = ["predict", "--input", str(source), "--output", str(explained), "--model", str(stored_model)]
    assert main([*command, "--explain"]) == 0
    plain_rows = [json.loads(line) for line in plain.read_text().splitlines()]
    rows = [json.loads(line) for line in explained.read_text().splitlines()]
    assert all("evidence" not in r for r in plain_rows)
    assert [{k: v for k, v in r.items() if k != "evidence"} for r in rows] == plain_rows
    for row in rows:
        assert set(row["evidence"]["frames"]) == set(row["frames"])
        for span in row["evidence"]["stance"]:
            assert row["text"][span["start"] : span["end"]] == span["text"]
    assert any(row["evidence"]["stance"] for row in rows)


def test_evaluate_prints_and_writes_metrics(stored_model, tmp_path, capsys):
    output = tmp_path / "m.json"
    assert (
        main(
            ["evaluate", "--data", str(TINY_DATA / "test.jsonl"), "--model", str(stored_model), "--output", str(output)]
        )
        == 0
    )
    assert "stance macro-F1" in capsys.readouterr().out
    assert json.loads(output.read_text())["test"]["rows"] == 3


def test_bad_prediction_input_names_the_line(stored_model, tmp_path, capsys):
    source = tmp_path / "in.jsonl"
    source.write_text('{"text": "fine"}\n{"text": ""}\n')
    assert main(["predict", "--input", str(source), "--output", str(tmp_path / "o.jsonl")]) == 2
    assert f"{source}:line 2: missing or empty `text`" in capsys.readouterr().err


def test_training_on_bad_data_fails_before_training(tiny_encoder_dir, tmp_path, capsys):
    data = tmp_path / "train.jsonl"
    data.write_text('{"text": "x y z", "target": "t", "stance": "maybe", "frames": []}\n')
    assert (
        main(
            [
                "train",
                "--data",
                str(data),
                "--base-model",
                str(tiny_encoder_dir),
                "--output",
                str(tmp_path / "m"),
                "--no-store",
            ]
        )
        == 2
    )
    assert "line 1: unknown stance 'maybe'" in capsys.readouterr().err
    assert not (tmp_path / "m").exists()


def test_missing_model_says_how_to_train_one(tmp_path, capsys):
    source = tmp_path / "in.jsonl"
    source.write_text('{"text": "fine"}\n')
    assert (
        main(
            [
                "predict",
                "--input",
                str(source),
                "--output",
                str(tmp_path / "o.jsonl"),
                "--model",
                "never-trained:latest",
            ]
        )
        == 1
    )
    assert "stanceframe train" in capsys.readouterr().err
