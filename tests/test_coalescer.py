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


async def one_call_out(model: ModelCalls, max_batch: int = 64) -> tuple[Coalescer, asyncio.Future]:
    """A coalescer allowed one call at a time, with a call for "a" already out and held by `model`."""
    coalescer = Coalescer(model.score, max_batch=max_batch, calls_in_flight=1)
    first = asyncio.ensure_future(coalescer.score(pairs("a"), arrived=0))
    await settle()
    return coalescer, first


def test_requests_waiting_behind_a_call_go_together_in_the_next():
    async def scenario():
        model = ModelCalls()
        coalescer, first = await one_call_out(model)
        rest = [asyncio.ensure_future(coalescer.score(pairs(f"b{i}", f"c{i}"), arrived=1 + i)) for i in range(3)]
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
        await asyncio.gather(*(coalescer.score(pairs(f"{i}a", f"{i}b", f"{i}c"), arrived=i) for i in range(4)))
        return model.calls

    calls = asyncio.run(scenario())
    assert all(len(call) <= 4 for call in calls)
    assert sorted(text for call in calls for text in call) == sorted(f"{i}{x}" for i in range(4) for x in "abc")


def test_a_request_cancelled_while_queued_is_never_scored():
    async def scenario():
        model = ModelCalls()
        coalescer, first = await one_call_out(model)
        gone = asyncio.ensure_future(coalescer.score(pairs("gone"), arrived=1))
        kept = asyncio.ensure_future(coalescer.score(pairs("kept"), arrived=2))
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
        model = ModelCalls(fail_on="a")
        coalescer, first = await one_call_out(model)
        model.release.set()
        with pytest.raises(ConnectionError):
            await first
        return await coalescer.score(pairs("after"), arrived=1)

    assert [r["text"] for r in asyncio.run(scenario())] == ["after"]


def test_the_request_that_arrived_first_goes_first_whatever_was_queued_since():
    async def scenario():
        model = ModelCalls()
        coalescer, first = await one_call_out(model, max_batch=2)
        later = [
            asyncio.ensure_future(coalescer.score(pairs(f"late{i}", f"late{i}b"), arrived=5 + i)) for i in range(2)
        ]
        await settle()
        document_chunk = asyncio.ensure_future(coalescer.score(pairs("doc1", "doc2"), arrived=1))
        await settle()
        model.release.set()
        await asyncio.gather(first, document_chunk, *later)
        return model.calls

    assert asyncio.run(scenario()) == [["a"], ["doc1", "doc2"], ["late0", "late0b"], ["late1", "late1b"]]


def test_a_cancelled_request_does_not_keep_the_ones_behind_it_out_of_the_next_call():
    async def scenario():
        model = ModelCalls()
        coalescer, first = await one_call_out(model, max_batch=4)
        rest = [asyncio.ensure_future(coalescer.score(pairs(f"b{i}"), arrived=1 + 2 * i)) for i in range(2)]
        gone = asyncio.ensure_future(coalescer.score(pairs("x1", "x2", "x3", "x4"), arrived=2))  # between them
        await settle()
        gone.cancel()
        await settle()
        model.release.set()
        await first
        return model.calls, await asyncio.gather(*rest)

    calls, rest = asyncio.run(scenario())
    assert calls == [["a"], ["b0", "b1"]]
    assert [[r["text"] for r in result] for result in rest] == [["b0"], ["b1"]]
