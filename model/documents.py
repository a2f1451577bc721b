"""Split a whole document into sentences with character offsets into the original text."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import pysbd

PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


@dataclass(frozen=True)
class SentenceSpan:
    """A sentence and its [start, end) character offsets: ``document[start:end] == text``."""

    text: str
    start: int
    end: int


@lru_cache(maxsize=1)
def _segmenter() -> pysbd.Segmenter:
    return pysbd.Segmenter(language="en", clean=False)


def split_sentences(document: str) -> list[SentenceSpan]:
    """Split on blank lines (so a headline on its own line is a sentence), then with pysbd.

    pysbd knows abbreviations such as "U.S." and "Lt. Gen.". Offsets are found by
    searching forward from the previous sentence, so repeated sentences get their
    own positions.
    """
    spans: list[SentenceSpan] = []
    cursor = 0
    for paragraph in PARAGRAPH_BREAK.split(document):
        for piece in _segmenter().segment(paragraph):
            sentence = piece.strip()
            if not sentence:
                continue
            start = document.index(sentence, cursor)
            cursor = start + len(sentence)
            spans.append(SentenceSpan(sentence, start, cursor))
    return spans
