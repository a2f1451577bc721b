"""Training recipes: the epochs and learning rates that suit each base encoder's size.

MiniLM-L6 (22M parameters) trains for up to 10 epochs at 1e-4, heads included. MPNet-base (110M) and any
other encoder named by hub id or directory (most are base-sized) train for 4 epochs at 5e-5, with the two
freshly initialised heads at 1e-3: at the encoder's rate, the frame head was still far from converged after
3 epochs (dev frame macro-F1 0.50, 0.62, 0.71 by epoch). On corpus v6 a fourth epoch raised MPNet's dev score
from 0.852 to 0.861 (bench/README.md). Flags given to `stanceframe train` override these.
"""

from __future__ import annotations

from dataclasses import dataclass

from model.encoders import packaged_encoder


@dataclass(frozen=True)
class Recipe:
    """Defaults for one kind of encoder; `head_learning_rate` None means the encoder's rate."""

    epochs: float
    learning_rate: float
    head_learning_rate: float | None


SMALL = Recipe(epochs=10.0, learning_rate=1e-4, head_learning_rate=None)
BASE_SIZED = Recipe(epochs=4.0, learning_rate=5e-5, head_learning_rate=1e-3)


def recipe_for(base_model: str) -> Recipe:
    """The recipe of a base encoder name, hub id or directory."""
    return SMALL if packaged_encoder(base_model) == "minilm" else BASE_SIZED
