"""Labelled-data loading: every bad row stops training with the file, the line and the problem."""

import json
import shutil

import pytest

from tests.conftest import TINY_DATA
from training.data import DataError, load_file, load_splits
from training.train import with_dev_split

GOOD = {
    "id": "x1",
    "text": "Seoul warned of a grave threat.",
    "target": "North Korea's missile tests",
    "stance": "against",
    "frames": ["threat"],
}


def write_jsonl(path, rows):
    path.write_text("".join((row if isinstance(row, str) else json.dumps(row)) + "\n" for row in rows))
    return path


@pytest.mark.parametrize(
    "bad_row, problem",
    [
        ({**GOOD, "stance": "positive"}, "unknown stance 'positive'"),
        ({**GOOD, "frames": ["threat", "propaganda"]}, "unknown frame(s) ['propaganda']"),
        ({**GOOD, "text": "   "}, "empty text"),
        ({k: v for k, v in GOOD.items() if k != "target"}, "missing field 'target'"),
        ({**GOOD, "frames": ["threat", "threat"]}, "repeated frame"),
        ('{"text": "unterminated', "invalid JSON"),
    ],
)
def test_bad_row_is_reported_with_file_and_line(tmp_path, bad_row, problem):
    path = write_jsonl(tmp_path / "train.jsonl", [GOOD, {**GOOD, "id": "x2", "text": "Another one."}, "", bad_row])
    with pytest.raises(DataError) as caught:
        load_file(path)
    assert str(caught.value).startswith(f"{path}:line 4: ")
    assert problem in str(caught.value)


def test_csv_frames_may_be_semicolon_separated_or_empty(tmp_path):
    path = tmp_path / "train.csv"
    path.write_text(
        "id,text,target,stance,frames\n"
        '1,"Tokyo denied it, flatly.",t,favor,denial;downplaying\n'
        "2,Ships left.,t,neutral,\n"
    )
    rows = list(load_file(path))
    assert rows[0]["frames"] == ["denial", "downplaying"]
    assert rows[0]["text"] == "Tokyo denied it, flatly."
    assert rows[1]["frames"] == []


def test_csv_error_names_the_line(tmp_path):
    path = tmp_path / "train.csv"
    path.write_text("text,target,stance,frames\nShips left.,t,neutral,\nShips left again.,t,angry,\n")
    with pytest.raises(DataError, match=r"train.csv:line 3: unknown stance 'angry'"):
        load_file(path)


def test_parquet_rows_load(tmp_path):
    import datasets

    path = tmp_path / "train.parquet"
    datasets.Dataset.from_list([GOOD]).to_parquet(str(path))
    assert list(load_file(path))[0]["frames"] == ["threat"]


def test_directory_of_splits_loads_every_split_without_losing_rows():
    splits = load_splits(TINY_DATA)
    assert sorted(splits) == ["dev", "test", "train"]
    assert [len(splits[name]) for name in ("train", "dev", "test")] == [12, 4, 3]


def test_single_file_gets_a_held_out_dev_split(tmp_path):
    path = tmp_path / "all.jsonl"
    shutil.copy(TINY_DATA / "train.jsonl", path)
    splits = with_dev_split(load_splits(path), fraction=0.25, seed=1)
    assert len(splits["train"]) + len(splits["dev"]) == 12
    assert len(splits["dev"]) == 3


def test_missing_path_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no data file or directory"):
        load_splits(tmp_path / "nope")
