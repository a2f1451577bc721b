"""Document splitting: sentences and offsets that slice back to the text."""

from model.documents import split_sentences


def test_abbreviations_do_not_end_sentences():
    spans = split_sentences("The U.S. envoy met Lt. Gen. Park in Seoul. Talks ended at noon.")
    assert [s.text for s in spans] == ["The U.S. envoy met Lt. Gen. Park in Seoul.", "Talks ended at noon."]


def test_offsets_slice_back_to_each_sentence():
    document = "  Seoul warns of threat\n\nPyongyang fired two missiles.  Tokyo protested!\nMore to follow?  "
    spans = split_sentences(document)
    assert len(spans) == 4
    for span in spans:
        assert document[span.start : span.end] == span.text
        assert span.text == span.text.strip()


def test_repeated_sentences_get_their_own_offsets():
    document = "Talks failed. Talks failed. Talks failed."
    spans = split_sentences(document)
    assert [s.start for s in spans] == [0, 14, 28]


def test_empty_document_has_no_sentences():
    assert split_sentences(" \n\n ") == []


def test_a_long_paragraph_splits_window_by_window_as_it_would_whole(monkeypatch):
    import model.documents as documents

    paragraph = " ".join(
        f"Day {i}: the U.S. envoy said the drills near Mt. Paektu were routine; Lt. Gen. Kim agreed." for i in range(60)
    )
    whole = split_sentences(paragraph)
    monkeypatch.setattr(documents, "WINDOW_CHARS", 400)
    windowed = split_sentences(paragraph)
    assert windowed == whole
    assert len(whole) == 60


def test_a_sentence_longer_than_the_window_is_cut_not_lost(monkeypatch):
    import model.documents as documents

    monkeypatch.setattr(documents, "WINDOW_CHARS", 100)
    document = "word " * 100 + "End here. Next one."
    spans = split_sentences(document)
    assert "".join(document[s.start : s.end] for s in spans).replace(" ", "") == document.replace(" ", "")
    assert all(document[s.start : s.end] == s.text for s in spans)
