"""Service throughput and latency at several concurrency levels, adaptive batching on and off.

    python -m bench.service_load [--seconds 20] [--concurrency 1 8 32 64]

Starts `bentoml serve` on a free localhost port (model: STANCEFRAME_MODEL or stance-framing:latest),
once with batching and once without. Each client sends one-sentence /classify requests back to
back for the given seconds. Writes bench/results/service.json and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path

import httpx
import numpy as np

from bench.speed import machine, news_sentences
from service import launcher

RESULTS = Path(__file__).parent / "results"


async def load(url: str, clients: int, seconds: float, sentences: list[str]) -> dict:
    """`clients` concurrent loops of single-sentence requests for `seconds`; latency in ms."""
    latencies: list[float] = []
    failures = 0
    deadline = time.perf_counter() + seconds

    async def client(number: int, http: httpx.AsyncClient):
        nonlocal failures
        i = number
        while time.perf_counter() < deadline:
            sentence = sentences[i % len(sentences)]
            i += clients
            started = time.perf_counter()
            response = await http.post(f"{url}/classify", json={"sentences": [sentence]})
            if response.status_code == 200 and response.json()["results"][0]["text"] == sentence:
                latencies.append((time.perf_counter() - started) * 1000)
            else:
                failures += 1

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(timeout=120, limits=limits) as http:
        started, cpu_started = time.perf_counter(), time.process_time()
        await asyncio.gather(*(client(n, http) for n in range(clients)))
        elapsed, cpu_used = time.perf_counter() - started, time.process_time() - cpu_started
    p50, p95, p99 = np.percentile(latencies, [50, 95, 99]) if latencies else (float("nan"),) * 3
    return {
        "clients": clients,
        "requests": len(latencies),
        "failures": failures,
        "sentences_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(float(p50), 1),
        "p95_ms": round(float(p95), 1),
        "p99_ms": round(float(p99), 1),
        # The load generator shares the machine with the server: its CPU is CPU the server did not get.
        "load_generator_cores": round(cpu_used / elapsed, 2),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32, 64])
    args = parser.parse_args(argv)
    sentences = news_sentences(1024)
    results = {}
    for mode, batching in (("batching", "1"), ("no_batching", "0")):
        with launcher.running({"STANCEFRAME_BATCHING": batching}) as url:
            asyncio.run(load(url, 4, 3, sentences))  # warm-up
            results[mode] = []
            for clients in args.concurrency:
                results[mode].append(asyncio.run(load(url, clients, args.seconds, sentences)))
                print(mode, results[mode][-1], flush=True)
    record = {"machine": machine("cpu"), "seconds_per_level": args.seconds, "results": results}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "service.json").write_text(json.dumps(record, indent=2))
    print(
        "| batching | clients | sentences/s | p50 ms | p95 ms | p99 ms | failures | load generator cores |\n"
        "|---|---|---|---|---|---|---|---|"
    )
    for mode, rows in results.items():
        for r in rows:
            print(
                f"| {mode} | {r['clients']} | {r['sentences_per_s']} | {r['p50_ms']} | {r['p95_ms']} "
                f"| {r['p99_ms']} | {r['failures']} | {r['load_generator_cores']} |"
            )


if __name__ == "__main__":
    main()
