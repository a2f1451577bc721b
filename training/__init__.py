"""Rebuild the stance/framing model from labelled data: loading, training, evaluation, CLI."""
