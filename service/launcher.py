"""Start `bentoml serve` for this service on a free localhost port and wait until it is ready."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
BENTOML = str(Path(sys.executable).parent / "bentoml")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(port: int, env: dict[str, str] | None = None) -> subprocess.Popen:
    """Launch `bentoml serve service.service:StanceFraming` with extra environment variables."""
    return subprocess.Popen(
        [BENTOML, "serve", "service.service:StanceFraming", "--host", "127.0.0.1", "--port", str(port)],
        cwd=REPO,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@contextlib.contextmanager
def running(env: dict[str, str] | None = None, ready_timeout_s: float = 180) -> Iterator[str]:
    """Serve until the block ends; yields the base URL once /readyz answers 200."""
    port = free_port()
    process = start(port, env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + ready_timeout_s
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"bentoml serve exited early:\n{process.stdout.read()}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"bentoml serve was not ready within {ready_timeout_s:.0f} s")
            time.sleep(1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
