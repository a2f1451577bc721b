"""Reference points for the model: majority class, TF-IDF + logistic regression, and a cue lexicon."""

from __future__ import annotations

import re

import numpy as np
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier

from model.labels import FRAME_LABELS, STANCE_LABELS

# Cue words from ../shared/LABELS.md's framing table, widened to their inflections.
FRAME_CUES = {
    "threat": r"threat|danger|endanger|concern|destabili[sz]|anxiety|risk|alarm(?:ing|ed)",
    "escalation": r"escalat|new turn|deepen|up to [\d,]+|further|for the first time|expand|intensif|step(?:ped)? up",
    "downplaying": r"should not cause alarm|not aimed at|routine|exaggerat|purely defensive|largely symbolic|no threat",
    "denial": r"\bden(?:y|ied|ies)\b|fake news|fabricat|stopped short of confirming|refused to (?:acknowledge|confirm)"
    r"|referred questions|dismiss",
}
AGAINST_CUES = r"condemn|critici[sz]|warn|oppos|sanction|protest|reckless|provocat|urg(?:e|ed)|demand|withdraw|illegal"
FAVOR_CUES = (
    r"support|welcom|prais|defend|justif|legitimate|necessary|friendship|partnership|routine|defensive|den(?:y|ied)"
)


def majority(train: dict, rows: dict) -> tuple[np.ndarray, np.ndarray]:
    """Always the commonest training stance; the commonest frame set (which is empty)."""
    stance = np.bincount(train["stance_ids"], minlength=len(STANCE_LABELS)).argmax()
    frames = (train["frame_matrix"].mean(axis=0) > 0.5).astype(int)
    n = len(rows["text"])
    return np.full(n, stance), np.tile(frames, (n, 1))


def tfidf_logistic(train: dict, rows: dict) -> tuple[np.ndarray, np.ndarray]:
    """Word 1-2-gram TF-IDF of the sentence plus the target, balanced logistic regression per head."""
    text_vectors = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True).fit(train["text"])
    target_vectors = TfidfVectorizer().fit(train["target"])

    def features(split):
        return hstack([text_vectors.transform(split["text"]), target_vectors.transform(split["target"])]).tocsr()

    stance_model = LogisticRegression(class_weight="balanced", max_iter=3000, C=4.0)
    stance_model.fit(features(train), train["stance_ids"])
    frame_model = OneVsRestClassifier(LogisticRegression(class_weight="balanced", max_iter=3000, C=4.0))
    frame_model.fit(features(train), train["frame_matrix"])
    test_features = features(rows)
    return stance_model.predict(test_features), frame_model.predict(test_features)


def lexicon(train: dict, rows: dict) -> tuple[np.ndarray, np.ndarray]:
    """LABELS.md cue words for frames; more against-cues than favor-cues means against, and so on."""
    stances, frames = [], []
    for text in rows["text"]:
        lower = text.lower()
        against, favor = len(re.findall(AGAINST_CUES, lower)), len(re.findall(FAVOR_CUES, lower))
        stance = "against" if against > favor else "favor" if favor > against else "neutral"
        stances.append(STANCE_LABELS.index(stance))
        frames.append([int(bool(re.search(FRAME_CUES[label], lower))) for label in FRAME_LABELS])
    return np.array(stances), np.array(frames)


BASELINES = {"majority": majority, "tfidf_logreg": tfidf_logistic, "lexicon": lexicon}


def as_arrays(split) -> dict:
    """Columns of a labelled split as the arrays the baselines use."""
    return {
        "text": list(split["text"]),
        "target": list(split["target"]),
        "stance_ids": np.array([STANCE_LABELS.index(s) for s in split["stance"]]),
        "frame_matrix": np.array([[int(f in frames) for f in FRAME_LABELS] for frames in split["frames"]]),
    }
