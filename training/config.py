"""Everything a training run depends on, in a module light enough for the command line to import."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from model.encoders import DEFAULT_ENCODER
from model.labels import DEFAULT_TARGET
from model.precision import PRECISIONS
from training.recipes import recipe_for

DEFAULT_DATA = Path(__file__).resolve().parent.parent / "data" / "corpus"


@dataclass
class TrainConfig:
    """Everything a training run depends on; saved next to the model."""

    data: str = field(default=str(DEFAULT_DATA), metadata={"help": "JSONL/CSV/Parquet file or directory of splits"})
    base_model: str = field(default=DEFAULT_ENCODER, metadata={"help": "minilm, mpnet, a hub id or a local directory"})
    output: str = field(default="runs/stance-framing", metadata={"help": "directory the trained model is written to"})
    epochs: float | None = field(
        default=None,
        metadata={"help": "maximum epochs; early stopping may end sooner (None: the encoder's recipe)", "type": float},
    )
    batch_size: int = field(default=16, metadata={"help": "training batch size per device"})
    learning_rate: float | None = field(
        default=None, metadata={"help": "peak AdamW learning rate (None: the encoder's recipe)", "type": float}
    )
    head_learning_rate: float | None = field(
        default=None,
        metadata={"help": "peak learning rate of the two heads (None: the recipe's)", "type": float},
    )
    max_seq_length: int = field(default=128, metadata={"help": "tokens per (target, sentence) pair; longer is cut"})
    max_steps: int = field(default=-1, metadata={"help": "stop after this many steps (-1: run the epochs)"})
    patience: int = field(default=3, metadata={"help": "epochs without dev macro-F1 gain before stopping"})
    seed: int = field(default=13, metadata={"help": "seed for data order, head init and dropout"})
    default_target: str = field(default=DEFAULT_TARGET, metadata={"help": "target used when a request names none"})
    dev_fraction: float = field(default=0.1, metadata={"help": "share of train held out when no dev split exists"})
    balance_stances: bool = field(
        default=False,
        metadata={"help": "weight stance classes by inverse frequency (off: keep the data's own label mix)"},
    )
    precision: str = field(
        default="auto", metadata={"help": "auto, fp32, bf16 or fp16: mixed precision for training and evaluation"}
    )

    def __post_init__(self):
        recipe = recipe_for(self.base_model)
        if self.epochs is None:
            self.epochs = recipe.epochs
        if self.learning_rate is None:
            self.learning_rate = recipe.learning_rate
            if self.head_learning_rate is None:
                self.head_learning_rate = recipe.head_learning_rate
        if self.epochs <= 0 and self.max_steps <= 0:
            raise ValueError("epochs or max_steps must be positive")
        if self.batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        if not 0 < self.learning_rate < 1:
            raise ValueError("learning_rate must be in (0, 1)")
        if self.head_learning_rate is not None and not 0 < self.head_learning_rate < 1:
            raise ValueError("head_learning_rate must be in (0, 1)")
        if not 8 <= self.max_seq_length <= 512:
            raise ValueError("max_seq_length must be between 8 and 512")
        if not 0 < self.dev_fraction < 0.5:
            raise ValueError("dev_fraction must be in (0, 0.5)")
        if not self.default_target.strip():
            raise ValueError("default_target must not be empty")
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {list(PRECISIONS)}")
