"""Forward batches: every sentence scored once, within the size limit, with little padding."""

import random

import pytest

from model.batching import CPU_PASS_COST_TOKENS, length_batches


def padded_tokens(lengths, batches):
    return sum(len(batch) * max(lengths[i] for i in batch) for batch in batches)


def test_every_index_appears_once_in_batches_no_larger_than_asked():
    lengths = [random.Random(seed).randint(5, 128) for seed in range(300)]
    batches = length_batches(lengths, max_batch=16, pass_cost=CPU_PASS_COST_TOKENS)
    assert sorted(i for batch in batches for i in batch) == list(range(300))
    assert all(1 <= len(batch) <= 16 for batch in batches)


def test_short_and_long_sentences_are_not_padded_together():
    lengths = [20, 90, 21, 88, 19, 92, 22, 89] * 2  # a service call: two length groups, mixed
    batches = length_batches(lengths, max_batch=16, pass_cost=CPU_PASS_COST_TOKENS)
    assert sorted(sorted(lengths[i] for i in batch) for batch in batches) == [
        sorted(length for length in lengths if length < 50),
        sorted(length for length in lengths if length > 50),
    ]
    assert padded_tokens(lengths, batches) < 0.7 * len(lengths) * max(lengths)


def test_equal_lengths_fill_whole_batches():
    batches = length_batches([40] * 100, max_batch=32, pass_cost=CPU_PASS_COST_TOKENS)
    assert sorted(len(batch) for batch in batches) == [4, 32, 32, 32]


def test_an_expensive_pass_takes_the_fewest_batches():
    lengths = [20, 90, 21, 88, 19, 92, 22, 89]
    assert len(length_batches(lengths, max_batch=8, pass_cost=100_000)) == 1


def test_no_sentences_no_batches_and_a_zero_batch_size_is_refused():
    assert length_batches([], max_batch=8, pass_cost=CPU_PASS_COST_TOKENS) == []
    with pytest.raises(ValueError, match="max_batch"):
        length_batches([10], max_batch=0, pass_cost=CPU_PASS_COST_TOKENS)
