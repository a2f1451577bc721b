"""Merge the sentences of concurrent requests into shared calls to the model service.

BentoML's adaptive batching works inside the model service, after the hop: every request still pays for
its own call (an HTTP request, JSON both ways, validation on both sides). The coalescer sits in front of the
hop (measured at 32 one-sentence MiniLM clients on two cores: 96 sentences/s without it, 102 with it; most
of the model worker's time is the forward passes themselves, see bench/README.md). A
request's pairs wait in a queue while `calls_in_flight` calls are out, and when one returns, everything
queued (up to `max_batch` pairs) goes in the next call. Under light load a request goes out at once;
under heavy load calls grow to full batches, so the hop is paid per batch instead of per request.

The queue is ordered by when each request arrived, not by when each chunk was queued: a 100,000-character
`/analyze` that arrived first keeps its chunks going out ahead of one-sentence requests that came after it,
instead of getting one slot in sixty-five while 64 clients keep the queue full and timing out.

A request that is cancelled (its client went away, or another of its chunks failed) before its pairs were
sent is skipped when its turn comes, so nothing is scored for nobody. A failed call fails every request in it.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field


@dataclass(order=True)
class _Waiting:
    arrived: float
    sequence: int
    pairs: list[dict] = field(compare=False)
    future: asyncio.Future = field(compare=False)


class Coalescer:
    """Queue of pairs from concurrent requests, sent to `score` in merged calls."""

    def __init__(self, score: Callable[[list[dict]], Awaitable[list[dict]]], max_batch: int, calls_in_flight: int):
        self._score = score
        self._max_batch = max_batch
        self._calls_in_flight = calls_in_flight
        self._queue: list[_Waiting] = []  # a heap: earliest-arrived request first
        self._sequence = itertools.count()
        self._calls: set[asyncio.Task] = set()  # held so that running calls are not garbage-collected

    async def score(self, pairs: list[dict], arrived: float) -> list[dict]:
        """The results for `pairs`, in order, once the call that carried them returns.

        `arrived` is when the request these pairs belong to arrived (`time.monotonic()`): earlier goes first.
        """
        waiting = _Waiting(arrived, next(self._sequence), pairs, asyncio.get_running_loop().create_future())
        heapq.heappush(self._queue, waiting)
        self._send()
        return await waiting.future  # cancelled: the future is cancelled with it, and skipped when popped

    def _head(self) -> _Waiting | None:
        """The earliest-arrived request still waiting, left in the queue; cancelled ones are dropped on the way."""
        while self._queue and self._queue[0].future.done():
            heapq.heappop(self._queue)
        return self._queue[0] if self._queue else None

    def _send(self) -> None:
        while len(self._calls) < self._calls_in_flight and self._head():
            batch = [heapq.heappop(self._queue)]
            size = len(batch[0].pairs)
            while (head := self._head()) and size + len(head.pairs) <= self._max_batch:
                batch.append(heapq.heappop(self._queue))
                size += len(head.pairs)
            call = asyncio.ensure_future(self._call(batch))
            self._calls.add(call)
            call.add_done_callback(self._finished)

    def _finished(self, call: asyncio.Task) -> None:
        self._calls.discard(call)
        self._send()

    async def _call(self, batch: list[_Waiting]) -> None:
        try:
            results = await self._score([pair for waiting in batch for pair in waiting.pairs])
        except asyncio.CancelledError:  # shutting down: no request may wait forever
            for waiting in batch:
                waiting.future.cancel()
            raise
        except Exception as error:
            for waiting in batch:
                if not waiting.future.done():
                    waiting.future.set_exception(error)
            return
        start = 0
        for waiting in batch:
            end = start + len(waiting.pairs)
            if not waiting.future.done():
                waiting.future.set_result(results[start:end])
            start = end
