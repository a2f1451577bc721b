"""Request fields and their limits; pydantic turns a violation into a 400 that names the field."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from service.settings import Settings

SETTINGS = Settings.from_env()


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty or whitespace only")
    return value


Sentence = Annotated[str, StringConstraints(max_length=SETTINGS.max_sentence_chars), AfterValidator(_not_blank)]
Document = Annotated[str, StringConstraints(max_length=SETTINGS.max_document_chars), AfterValidator(_not_blank)]
Target = Annotated[str, StringConstraints(max_length=SETTINGS.max_target_chars), AfterValidator(_not_blank)]
Sentences = Annotated[list[Sentence], Field(min_length=1, max_length=SETTINGS.max_sentences)]


class Pair(BaseModel):
    """One unit of adaptive batching: a sentence and the target to judge it against."""

    text: Document  # sentences split from a document may be longer than a /classify sentence
    target: Target
