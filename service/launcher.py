"""Start `bentoml serve` for this service on a free localhost port and wait until it is ready."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import httpx

REPO = Path(__file__).resolve().parents[1]
BENTOML = str(Path(sys.executable).parent / "bentoml")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(port: int, env: dict[str, str] | None = None, log: IO[str] | None = None) -> subprocess.Popen:
    """Launch `bentoml serve service.service:StanceFraming` with extra environment variables.

    Output goes to `log`, a file: a pipe that nobody drains would block the server once full.
    Without one, output is captured for `communicate()`.
    """
    return subprocess.Popen(
        [BENTOML, "serve", "service.service:StanceFraming", "--host", "127.0.0.1", "--port", str(port)],
        cwd=REPO,
        env={**os.environ, **(env or {})},
        stdout=log or subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@contextlib.contextmanager
def running(
    env: dict[str, str] | None = None, ready_timeout_s: float = 180, log_path: Path | None = None
) -> Iterator[str]:
    """Serve until the block ends; yields the base URL once /readyz answers 200. The log goes to `log_path`."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with open(log_path, "w+") if log_path else tempfile.TemporaryFile("w+") as log:
        process = start(port, env, log)
        try:
            wait_until_ready(process, url, log, ready_timeout_s)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def wait_until_ready(process: subprocess.Popen, url: str, log: IO[str], timeout_s: float) -> None:
    """Poll /readyz (2 s per try: it can hang while the model loads) until 200; raise with the log if it dies."""
    deadline = time.monotonic() + timeout_s
    while True:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"bentoml serve exited early:\n{log.read()}")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        if time.monotonic() > deadline:
            raise RuntimeError(f"bentoml serve was not ready within {timeout_s:.0f} s")
        time.sleep(1)
