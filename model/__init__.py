"""Stance and framing classifier: schema, encoder resolution, model, predictor."""
