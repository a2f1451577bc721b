"""Find a trained model: a local directory, or a tag in the BentoML model store."""

from __future__ import annotations

from pathlib import Path

MODEL_NAME = "stance-framing"
DEFAULT_MODEL_TAG = f"{MODEL_NAME}:latest"


class ModelNotFound(RuntimeError):
    """No trained model under the given directory or tag."""


def resolve_model_dir(reference: str | None = None) -> Path:
    """Return the directory of a saved model named by a path or a BentoML tag (default: latest)."""
    reference = reference or DEFAULT_MODEL_TAG
    path = Path(reference).expanduser()
    if path.is_dir():
        if not (path / "config.json").exists():
            raise ModelNotFound(f"{path} is a directory but holds no saved model (no config.json)")
        return path
    import bentoml
    from bentoml.exceptions import BentoMLException, NotFound

    try:
        return Path(bentoml.models.get(reference).path)
    except (NotFound, BentoMLException, ValueError) as error:
        raise ModelNotFound(
            f"no model {reference!r} in the BentoML model store ({error}). "
            "Train one with `stanceframe train` (or `make serve`, which trains the default model first), "
            "or name a saved model directory."
        ) from None


def save_to_store(model_dir: Path, metadata: dict, labels: dict | None = None) -> str:
    """Copy a saved model directory into the BentoML store as ``stance-framing``; return its tag."""
    import shutil

    import bentoml

    with bentoml.models.create(MODEL_NAME, metadata=metadata, labels=labels or {}) as stored:
        shutil.copytree(model_dir, stored.path, dirs_exist_ok=True)
    return str(stored.tag)
