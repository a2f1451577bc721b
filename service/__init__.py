"""BentoML service over the stance/framing predictor."""
