"""Service throughput and latency at several concurrency levels, batching on and off, then a soak.

    python -m bench.service_load [--seconds 20] [--concurrency 1 8 32 64] [--soak-seconds 300]

Starts `bentoml serve` on a free localhost port (model: STANCEFRAME_MODEL or stance-framing:latest),
once with batching and once without. Each client sends one-sentence /classify requests back to
back for the given seconds. The soak then runs 64 clients for `--soak-seconds` with mixed request
sizes (1, 8 and 64 sentences) and one 100,000-character /analyze every few seconds, and reports every
non-200 answer and the resident memory of the service's processes at its start and end.
Writes bench/results/service.json and prints Markdown tables.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import time
from pathlib import Path

import httpx
import numpy as np
import psutil

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


def service_processes(url: str) -> list[psutil.Process]:
    """The `bentoml serve` process listening on `url` and all its workers."""
    port_flag = f"--port {url.rsplit(':', 1)[1]}"
    server = next(p for p in psutil.process_iter(["cmdline"]) if port_flag in " ".join(p.info["cmdline"] or []))
    return [server, *server.children(recursive=True)]


def service_rss_mb(url: str) -> float:
    """Resident memory of the `bentoml serve` process listening on `url` and all its workers."""
    return round(sum(p.memory_info().rss for p in service_processes(url)) / 2**20, 1)


def rss_by_process_mb(url: str) -> dict[str, float]:
    """Resident memory per process, named by the tail of its command line (which worker it is)."""
    rss = {}
    for process in service_processes(url):
        with contextlib.suppress(psutil.Error):
            name = " ".join(process.cmdline()[-2:])[-60:] or str(process.pid)
            rss[f"{process.pid} {name}"] = round(process.memory_info().rss / 2**20, 1)
    return rss


def long_article(characters: int = 100_000) -> str:
    """A headline and plain numbered sentences, `characters` long: the service's largest legal document."""
    body = " ".join(f"On day {n} the ministry said the drills near the border were routine." for n in range(2000))
    return ("Drills continue near the border\n\n" + body)[:characters]


async def soak(
    url: str, clients: int, seconds: float, sentences: list[str], analyze_every_s: float = 5, sample_every_s: float = 15
) -> dict:
    """Mixed /classify sizes from `clients` loops, plus one full-size /analyze every `analyze_every_s`.

    The service's resident memory is also sampled every `sample_every_s`, to tell a leak from a warm-up.
    """
    statuses: dict[str, int] = {}
    deadline = time.perf_counter() + seconds
    sizes = (1, 8, 64)
    article = long_article()

    def count(label: str):
        statuses[label] = statuses.get(label, 0) + 1

    async def client(number: int, http: httpx.AsyncClient):
        i = number
        while time.perf_counter() < deadline:
            batch = [sentences[(i + k) % len(sentences)] for k in range(sizes[i % len(sizes)])]
            i += clients
            try:
                response = await http.post(f"{url}/classify", json={"sentences": batch})
                ok = response.status_code == 200 and [r["text"] for r in response.json()["results"]] == batch
                count("classify 200" if ok else f"classify {response.status_code}")
                if response.status_code == 503:  # a well-behaved client waits as it is told
                    await asyncio.sleep(float(response.headers.get("retry-after", 1)))
            except httpx.HTTPError as error:
                count(f"classify {type(error).__name__}")

    async def analyzer(http: httpx.AsyncClient):
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                response = await http.post(f"{url}/analyze", json={"text": article})
                ok = response.status_code == 200 and all(
                    article[s["start"] : s["end"]] == s["text"] for s in response.json()["sentences"]
                )
                count("analyze 200" if ok else f"analyze {response.status_code}")
            except httpx.HTTPError as error:
                count(f"analyze {type(error).__name__}")
            await asyncio.sleep(max(0.0, analyze_every_s - (time.perf_counter() - started)))

    async def sample_memory():
        started = time.perf_counter()
        while time.perf_counter() < deadline:
            samples.append({"s": round(time.perf_counter() - started), "rss_mb": service_rss_mb(url)})
            await asyncio.sleep(sample_every_s)

    samples: list[dict] = []
    limits = httpx.Limits(max_connections=clients + 1, max_keepalive_connections=clients + 1)
    memory_start, processes_start = service_rss_mb(url), rss_by_process_mb(url)
    async with httpx.AsyncClient(timeout=300, limits=limits) as http:
        await asyncio.gather(sample_memory(), analyzer(http), *(client(n, http) for n in range(clients)))
    memory_end = service_rss_mb(url)
    errors = sum(n for label, n in statuses.items() if not label.endswith(" 200"))
    return {
        "clients": clients,
        "seconds": seconds,
        "answers": statuses,
        "errors": errors,
        "service_rss_mb_start": memory_start,
        "service_rss_mb_end": memory_end,
        "rss_growth": round(memory_end / memory_start - 1, 3),
        "rss_mb_by_process_start": processes_start,
        "rss_mb_by_process_end": rss_by_process_mb(url),
        "rss_samples": samples,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32, 64])
    parser.add_argument("--soak-seconds", type=float, default=300, help="0 skips the soak")
    parser.add_argument("--soak-clients", type=int, default=64)
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
            if batching == "1" and args.soak_seconds > 0:
                soaked = asyncio.run(soak(url, args.soak_clients, args.soak_seconds, sentences))
                print("soak", soaked, flush=True)
    record = {"machine": machine("cpu"), "seconds_per_level": args.seconds, "results": results}
    if args.soak_seconds > 0:
        record["soak"] = soaked
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
    if args.soak_seconds > 0:
        print(
            f"soak: {soaked['clients']} clients for {soaked['seconds']:.0f} s: {soaked['answers']}; errors "
            f"{soaked['errors']}; service RSS {soaked['service_rss_mb_start']} -> {soaked['service_rss_mb_end']} MB "
            f"({soaked['rss_growth']:+.1%}); over time: "
            + ", ".join(f"{sample['s']} s {sample['rss_mb']:.0f} MB" for sample in soaked["rss_samples"])
        )


if __name__ == "__main__":
    main()
