"""Concurrent requests share calls to the model service, and get back exactly their own results."""

import asyncio

import pytest

from service.coalescer import Coalescer


class ModelCalls:
    """Stands in for the hop to the model service: records each call, answers after a release."""

    def __init__(self, fail_on: str | None = None):
        self.calls: list[list[str]] = []
        self.release = asyncio.Event()
        self.fail_on = fail_on

    async def score(self, pairs: list[dict]) -> list[dict]:
        self.calls.append([pair["text"] for pair in pairs])
        await self.release.wait()
        if self.fail_on in self.calls[-1]:
            raise ConnectionError("model worker gone")
        return [{"text": pair["text"], "stance": "neutral"} for pair in pairs]


def pairs(*texts: str) -> list[dict]:
    return [{"text": text, "target": "t"} for text in texts]


async def settle():
    for _ in range(5):
        await asyncio.sleep(0)


def test_requests_waiting_behind_a_call_go_together_in_the_next():
    async def scenario():
        model = ModelCalls()
        coalescer = Coalescer(model.score, max_batch=64, calls_in_flight=1)
        first = asyncio.ensure_future(coalescer.score(pairs("a")))
        await settle()
        rest = [asyncio.ensure_future(coalescer.score(pairs(f"b{i}", f"c{i}"))) for i in range(3)]
        await settle()
        model.release.set()
        return model.calls, await first, await asyncio.gather(*rest)

    calls, first, rest = asyncio.run(scenario())
    assert calls == [["a"], ["b0", "c0", "b1", "c1", "b2", "c2"]]
    assert [r["text"] for r in first] == ["a"]
    assert [[r["text"] for r in result] for result in rest] == [["b0", "c0"], ["b1", "c1"], ["b2", "c2"]]


def test_a_call_never_carries_more_than_the_batch_size():
    async def scenario():
        model = ModelCalls()
        model.release.set()
        coalescer = Coalescer(model.score, max_batch=4, calls_in_flight=1)
        await asyncio.gather(*(coalescer.score(pairs(f"{i}a", f"{i}b", f"{i}c")) for i in range(4)))
        return model.calls

    calls = asyncio.run(scenario())
    assert all(len(call) <= 4 for call in calls)
    assert sorted(text for call in calls for text in call) == sorted(f"{i}{x}" for i in range(4) for x in "abc")


def test_a_request_cancelled_while_queued_is_never_scored():
    async def scenario():
        model = ModelCalls()
        coalescer = Coalescer(model.score, max_batch=64, calls_in_flight=1)
        first = asyncio.ensure_future(coalescer.score(pairs("a")))
        await settle()
        gone = asyncio.ensure_future(coalescer.score(pairs("gone")))
        kept = asyncio.ensure_future(coalescer.score(pairs("kept")))
        await settle()
        gone.cancel()
        model.release.set()
        await first
        return model.calls, await kept

    calls, kept = asyncio.run(scenario())
    assert calls == [["a"], ["kept"]]
    assert [r["text"] for r in kept] == ["kept"]


def test_a_failed_call_fails_its_requests_and_the_next_calls_still_work():
    async def scenario():
        model = ModelCalls(fail_on="bad")
        coalescer = Coalescer(model.score, max_batch=64, calls_in_flight=1)
        first = asyncio.ensure_future(coalescer.score(pairs("bad")))
        await settle()
        model.release.set()
        with pytest.raises(ConnectionError):
            await first
        return await coalescer.score(pairs("after"))

    assert [r["text"] for r in asyncio.run(scenario())] == ["after"]
