"""Keep the model worker serving after SIGTERM for as long as the HTTP layer still feeds it.

`bentoml serve` stops both services at once on SIGTERM. The HTTP layer drains its requests in flight,
but a long `/analyze` still has chunks to send, and a model worker that exits at once would turn them
into 503s. The model worker therefore passes SIGTERM on to its server only once no chunk has arrived
for `idle_s` seconds.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable

logger = logging.getLogger("bentoml.stanceframe.drain")  # through `bentoml serve`'s log handlers


def defer_sigterm_until_idle(last_call: Callable[[], float], idle_s: float = 2.0) -> None:
    """Wrap the current SIGTERM handler so it runs once `last_call()` (a monotonic time) is `idle_s` old."""
    if threading.current_thread() is not threading.main_thread():
        return  # signal handlers can only be set from the main thread; keep the server's own behaviour
    previous = signal.getsignal(signal.SIGTERM)
    if not callable(previous):
        return

    def on_sigterm(signum, frame):
        received = time.monotonic()

        def exit_when_idle():
            while time.monotonic() - max(last_call(), received) < idle_s:
                time.sleep(0.1)
            logger.info("no work for %.0f s after SIGTERM: shutting the model worker down", idle_s)
            previous(signum, frame)

        threading.Thread(target=exit_when_idle, name="drain", daemon=True).start()

    signal.signal(signal.SIGTERM, on_sigterm)
