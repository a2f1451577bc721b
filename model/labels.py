"""The label schema of ../shared/LABELS.md: the one place the label names are written down."""

STANCE_LABELS: tuple[str, ...] = ("favor", "against", "neutral")
FRAME_LABELS: tuple[str, ...] = ("threat", "downplaying", "escalation", "denial")

DEFAULT_FRAME_THRESHOLD = 0.5
# The example target LABELS.md opens with; a trained model stores its own default target.
DEFAULT_TARGET = "Russia–North Korea military cooperation"
