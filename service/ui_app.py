"""The analyst's page: static HTML, JavaScript and CSS from `service/ui/`, mounted by the service at `/ui`.

The page calls the service's own `/info` and `/analyze`, so it needs nothing from the internet and no
dependency beyond Starlette, which BentoML already brings. It was preferred to a Gradio app, whose
HighlightedText shows one label set per text and would add a large dependency to the Bento.
"""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

UI_DIR = Path(__file__).parent / "ui"

ui_app = Starlette(routes=[Mount("/", StaticFiles(directory=UI_DIR, html=True), name="ui")])
