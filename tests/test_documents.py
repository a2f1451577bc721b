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
