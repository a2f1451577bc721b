"""Split a whole document into sentences with character offsets into the original text."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import pysbd

PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
# pysbd's time grows faster than linearly with its input (100,000 characters without a blank line took
# 13 s); segmenting a long paragraph window by window keeps the cost linear.
WINDOW_CHARS = 4000


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
        for piece in _segment(paragraph):
            sentence = piece.strip()
            if not sentence:
                continue
            start = document.index(sentence, cursor)
            cursor = start + len(sentence)
            spans.append(SentenceSpan(sentence, start, cursor))
    return spans


def _segment(paragraph: str) -> list[str]:
    """pysbd over windows of the paragraph; each window's last sentence, maybe cut, starts the next window."""
    sentences: list[str] = []
    begin = 0
    while len(paragraph) - begin > WINDOW_CHARS:
        window = paragraph[begin : begin + WINDOW_CHARS]
        pieces = [piece.strip() for piece in _segmenter().segment(window) if piece.strip()]
        if len(pieces) < 2:  # one sentence longer than the window: cut it there
            sentences.append(window)
            begin += WINDOW_CHARS
            continue
        cursor = begin
        for piece in pieces[:-1]:
            cursor = paragraph.index(piece, cursor) + len(piece)
        sentences += pieces[:-1]
        begin = paragraph.index(pieces[-1], cursor)
    return sentences + [piece for piece in _segmenter().segment(paragraph[begin:]) if piece.strip()]
